"""Fixtures of the hostile corpus (corpus.py): one warm sandbox for the whole
suite, the grades of the notebooks the attacks are compared with, and the
honest student who is graded after every attack"""
import pytest

from grader.plan import DEFAULT_SEED, trials
from grader.sandbox.bwrap import bwrap_works
from grader.sandbox.launcher import Sandbox

from .corpus import ASSIGNMENT, LIMITS, grade, notebook

_BASELINES = {}


@pytest.fixture(scope="session")
def plan():
    """The hidden plan, built once (the references' outcomes)"""
    return trials(ASSIGNMENT, DEFAULT_SEED, ("cpu",))


@pytest.fixture(scope="session")
def sandbox(plan):
    """One warm sandbox for the whole corpus: start-up is paid once, and every
    attack is followed by honest students in the same sandbox"""
    if not bwrap_works():
        pytest.skip("needs root and bubblewrap: the isolation is what these tests check")
    sb = Sandbox(LIMITS)
    yield sb
    sb.close()


@pytest.fixture(scope="session")
def baseline(sandbox):
    """The grade of a notebook without the attack, by what it replaces"""
    def get(code=None):
        key = tuple(sorted((code or {}).items()))
        if key not in _BASELINES:
            _BASELINES[key] = grade(sandbox, notebook(code))
        return _BASELINES[key]
    return get


@pytest.fixture
def harms_nobody(sandbox):
    """Call after an attack: an honest submission graded next gets full marks"""
    def check():
        result = grade(sandbox, notebook())
        failed = {k: v.message[:300] for k, v in result.verdicts.items()
                  if not v.passed}
        assert not failed, f"an honest student graded after the attack lost points: {failed}"
        assert not result.problems, result.problems
        return result
    return check


