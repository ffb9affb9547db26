"""The scale tests' small class (tests/scale/conftest.py), for these tests too"""
from ..scale.conftest import course, template  # noqa: F401
