"""The sample class of this assignment, graded end to end: the grades are right"""
import shutil

import pytest
from nbgrader.api import Gradebook

from grader.autograde import autograde
from grader.checks.specs import functions_of
from grader.course import default_db_url
from grader.feedback import feedback
from grader.sample import build
from grader.assignments.pooling.sample_class import STUDENTS


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    build(course, "pooling")
    summary = autograde("pooling", course, workers=2, quiet=True)
    return course, summary


def _scores(course, student):
    """{grade_id: (score, max)} from nbgrader's gradebook"""
    with Gradebook(default_db_url(course)) as gb:
        sub = gb.find_submission("pooling", student)
        return {g.name: (g.score, g.max_score) for nb in sub.notebooks for g in nb.grades}


def test_every_submission_is_graded(graded):
    """Is every sample student in the gradebook, with problems only where expected?"""
    course, summary = graded
    assert sorted(summary.graded) == sorted(STUDENTS)
    assert set(summary.failed) == {"niklaus"}  # the corrupt file


@pytest.mark.parametrize("student", sorted(STUDENTS))
def test_points_are_lost_exactly_where_the_mistake_is(graded, student):
    """Does each mistake cost points on its own function, and only there?"""
    course, _ = graded
    scores = _scores(course, student)
    loses = STUDENTS[student]["loses"]
    for spec in functions_of("pooling"):
        got = {a: scores[spec.grade_id(a)] for a in spec.aspects}
        total = sum(s for s, _ in got.values())
        if loses == "all" or spec.name in loses:
            assert total < spec.points, f"{student} should lose points on {spec.name}"
            for aspect in ([] if loses == "all" else loses[spec.name]):
                assert got[aspect][0] == 0, f"{student}: {spec.name}-{aspect} should fail"
        else:
            failed = [a for a, (s, m) in got.items() if s != m]
            assert not failed, f"{student} lost points on {spec.name}: {failed}"


def test_a_hang_costs_only_its_function(graded):
    """Was the never-returning function stopped, and the rest graded?"""
    course, _ = graded
    scores = _scores(course, "guido")
    assert scores["softmax_pool2d-values"][0] == 0
    assert scores["pool2d-values"][0] == scores["pool2d-values"][1]
    radia = _scores(course, "radia")  # a demo cell that loops forever
    assert all(s == m for gid, (s, m) in radia.items() if not gid.endswith("-answer"))


def test_feedback_says_what_was_called_and_hides_the_tests(graded):
    """Does the feedback show the call, the expected and the returned values,
    and never the hidden test code?"""
    course, _ = graded
    pages = feedback("pooling", course, student="claude")
    html = pages[0].read_text()
    assert "pool2d should return the right numbers" in html
    assert "expected:" in html and "got:" in html
    for secret in ("BEGIN HIDDEN TESTS", "hidden=True"):
        assert secret not in html


def test_regrading_is_skipped_unless_forced(graded):
    """Does a second run grade nothing new, and --force everything again?"""
    course, _ = graded
    again = autograde("pooling", course, workers=1, quiet=True)
    assert again.graded == [] and len(again.skipped) == len(STUDENTS)
    sub = course / "submitted" / "ada" / "pooling"
    copy = course / "only-ada"
    shutil.copytree(sub, copy / "submitted" / "ada" / "pooling")
    forced = autograde("pooling", copy, workers=1, quiet=True, force=True)
    assert forced.graded == ["ada"]
