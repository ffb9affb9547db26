"""Fixtures shared by tests/ and the assignments' tests
(grader/assignments/<a>/tests/): a session fixture defined here exists once,
so the book is built once per session whichever test asks for it first

Nothing of grader is imported here: tests/conftest.py sets
GRADER_EXTRA_ROOTS before any grader module is imported.
"""
import pytest


@pytest.fixture(scope="session")
def built_book():
    """build/book after a successful build; fails with Sphinx's log if not
    (tests/book/pages.py)"""
    from tests.book.pages import build_book
    return build_book()
