"""Fixtures of the publish tests: one students' repository, and one clone of it, per session"""
import pytest

from grader.publish import publish
from tests.publish._students import published_clone


@pytest.fixture(scope="session")
def published(tmp_path_factory):
    """A folder that `grader publish` wrote from this repository (do not modify it)"""
    to = tmp_path_factory.mktemp("students") / "repo"
    publish(to=to, say=lambda line: None)
    return to


@pytest.fixture(scope="session")
def students_clone(tmp_path_factory):
    """A fresh clone of the committed students' repository (do not modify it)"""
    return published_clone(tmp_path_factory.mktemp("release"))
