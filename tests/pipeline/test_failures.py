"""A submission that fails at one stage costs only itself

Reproduction (issue 18, 2): a valid notebook whose cells were all deleted
made nbgrader's OverwriteCells raise KeyError while recording, `grader
autograde` exit 1 and the rest of the class stay out of the gradebook. Here
it is recorded (from the released notebook, 0 points, saying why), and the
run goes on and exits 0. Then each stage fails on purpose for one student:
grading (a worker raises), recording (nbgrader raises even on the rebuilt
notebook) and feedback (nbgrader cannot write the page).
"""
import html
import json
import shutil
import subprocess
import sys

import pytest

from grader.autograde import autograde
from grader.checks.explain import REBUILT
from grader.course import REPO, default_db_url, results_path
from grader.ledger import read_marker
from grader.sample import build
from grader.checks.specs import functions_of
from grader.sample import default_assignment

A = default_assignment()  # the assignment with the sample class

from ..scale._helpers import gradebook_grades, sql_check

EMPTY = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    course = tmp_path_factory.mktemp("sample")
    build(course, A)
    return course


def _course(sample, tmp_path, **students):
    """A course with sample students (name=sample name) and `empty`"""
    for name, like in students.items():
        shutil.copytree(sample / "submitted" / like, tmp_path / "submitted" / name)
    folder = tmp_path / "submitted" / "empty" / A
    folder.mkdir(parents=True)
    (folder / f"{A}.ipynb").write_bytes(EMPTY)
    return tmp_path


def _total(course, student):
    return sum(v or 0 for v in gradebook_grades(default_db_url(course))[student].values())


def test_a_notebook_without_cells_does_not_stop_the_class(sample, tmp_path):
    """`grader autograde` on a class with a `"cells": []` notebook: exit 0,
    everyone in the gradebook, that notebook 0 with its reason named; the
    second run exits 0 too and grades nothing again"""
    course = _course(sample, tmp_path, ada="ada")
    command = [sys.executable, "-m", "grader", "autograde", A, "--course", str(course)]
    first = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr[-3000:]
    assert f"  empty: {REBUILT}" in first.stdout
    assert "KeyError" in first.stdout  # what nbgrader raised, said once
    grades = sql_check(default_db_url(course))
    assert sorted(grades) == ["ada", "empty"]
    assert _total(course, "empty") == 0 and _total(course, "ada") > 40
    again = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "graded 0, up to date 2" in again.stdout
    nb = json.loads((course / "autograded" / "empty" / A / f"{A}.ipynb").read_text())
    assert REBUILT in "".join(nb["cells"][0]["source"])
    assert nb["metadata"]["grader"]["problems"][-1]["code"] == "rebuilt"


@pytest.fixture(scope="module")
def failing(sample, tmp_path_factory):
    """One run in this process where grading raises for `broken` and
    recording raises for `unrecordable` (even rebuilt); then a run without
    the faults"""
    from grader import worker
    from grader.record import Recorder
    course = _course(sample, tmp_path_factory.mktemp("failing"), ada="ada", broken="alan",
                     unrecordable="claude")
    real_grade, real_record = worker.grade, Recorder._record
    broken = (course / "submitted" / "broken" / A / f"{A}.ipynb").read_bytes()

    def grade(data, *args, **kwargs):
        if data == broken:
            raise RuntimeError("the worker ran out of disk")
        return real_grade(data, *args, **kwargs)

    def record(self, sub, *args, **kwargs):
        if sub.student == "unrecordable":
            raise KeyError("made up by the test")
        return real_record(self, sub, *args, **kwargs)

    mp = pytest.MonkeyPatch()
    mp.setattr(worker, "grade", grade)
    mp.setattr(Recorder, "_record", record)
    try:
        first = autograde(A, course, workers=1, quiet=True)
        grades = sql_check(default_db_url(course))
    finally:
        mp.undo()
    kept = json.loads(results_path(course, A, "broken", A).read_text())
    marked = {s for s in ("ada", "broken", "empty", "unrecordable")
              if read_marker(course, A, s)}
    second = autograde(A, course, workers=1, quiet=True)
    return {"course": course, "first": first, "grades": grades, "kept": kept,
            "marked": marked, "second": second}


def test_a_worker_failure_is_recorded_as_zero_with_its_reason(failing):
    """The worker raised on `broken`: in the gradebook with 0 and the
    reason, named in the summary, not marked done, so the next run grades
    it for real"""
    first, course = failing["first"], failing["course"]
    assert "broken" in failing["grades"] and sum(v or 0 for v in
                                                 failing["grades"]["broken"].values()) == 0
    assert first.failed["broken"] == "grading failed: RuntimeError: the worker ran out of disk"
    kept = failing["kept"]   # for the report, under no key: not taken for a graded result
    assert kept["key"] is None and kept["result"]["state"] == "ungraded"
    assert read_marker(course, A, "ada") is not None
    assert "broken" in failing["second"].graded
    assert read_marker(course, A, "broken") is not None
    assert _total(course, "broken") > 30   # alan's mistakes cost a few points, no more


def test_a_recording_failure_costs_only_that_submission(failing):
    """nbgrader raised on `unrecordable`, rebuilt too: not in the gradebook,
    named (not recorded), the others recorded; the next run records it from
    the kept result, without grading it again"""
    first, course = failing["first"], failing["course"]
    assert "unrecordable" not in failing["grades"]
    assert sorted(failing["grades"]) == ["ada", "broken", "empty"]
    assert first.failed["unrecordable"].startswith("not recorded: RecordingFailed")
    assert "made up by the test" in first.failed["unrecordable"]
    assert failing["marked"] == {"ada", "empty"}   # done: neither `broken` nor this one
    second = failing["second"]
    assert sorted(second.graded) == ["broken", "unrecordable"]
    assert second.timings["graded"] == 1   # only `broken` went to a sandbox
    assert sorted(sql_check(default_db_url(course))) == ["ada", "broken", "empty",
                                                         "unrecordable"]


def test_a_feedback_failure_costs_only_that_page(failing, monkeypatch):
    """nbgrader cannot write ada's page: the others are written, and ada gets
    a plain page with her grades and the reason"""
    from grader.feedback import FeedbackSummary, feedback
    real = FeedbackSummary.preprocess

    def preprocess(self, nb, resources):
        if resources["nbgrader"]["student"] == "ada":
            raise ValueError("the page cannot be made")
        return real(self, nb, resources)

    monkeypatch.setattr(FeedbackSummary, "preprocess", preprocess)
    course = failing["course"]
    pages = feedback(A, course)
    assert [p.parts[-3] for p in pages] == ["ada", "broken", "empty", "unrecordable"]
    ada = html.unescape((course / "feedback" / "ada" / A / f"{A}.html").read_text())
    assert "ValueError: the page cannot be made" in ada
    first = functions_of(A)[0]
    points = first.aspects["values"]
    assert first.grade_id("values") in ada and f"{points} / {points}" in ada
    empty = html.unescape((course / "feedback" / "empty" / A / f"{A}.html")
                          .read_text())
    assert 'id="summary"' in empty and REBUILT in empty
