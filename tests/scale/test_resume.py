"""Nothing lost: a run killed halfway resumes where it stopped, and a
recording is all or nothing (--force: test_postgres.py)"""
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from grader import ledger
from grader.autograde import autograde
from grader.checks.verdict import Verdict
from grader.course import REPO, default_db_url
from grader.ledger import MARKER, read_marker
from grader.record import Recorder
from grader.result import GradeResult
from grader.sandbox.procs import descendants, proc_table

from ._helpers import ASSIGNMENT, STUDENTS, gradebook_grades, sql_check

EXTRA = [f"copy{i}" for i in range(4)]   # more work, so that the kill lands mid-run


def _descendants(root):
    return set(descendants(proc_table(), root))


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _stages(pids):
    """The sandboxes' staging directories, from their bubblewrap command lines"""
    out = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        for i, arg in enumerate(args[1:], 1):
            if arg == "/opt/grader" and args[i - 1].startswith(tempfile.gettempdir()):
                out.add(args[i - 1])
    return out


def _clean_after_kill(pids, stages):
    """What a SIGKILLed run cannot clean up itself: its sandboxes' staging
    directories and cgroups (grader/sandbox/launcher.py names them)"""
    for stage in stages:
        shutil.rmtree(stage, ignore_errors=True)
    for pid in pids:
        for path in glob.glob(f"/sys/fs/cgroup/**/grader-sandbox-{pid}-*", recursive=True):
            for _ in range(20):
                try:
                    os.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)


def test_a_killed_run_resumes_without_duplicates(course, sequential):
    """SIGKILL the whole `grader autograde` process group after a few
    submissions are recorded: does everything it started die with it, is
    every recorded submission complete, and does the next run grade only
    what is missing, with one submission per student in the end?"""
    for name in EXTRA:
        shutil.copytree(course / "submitted" / "ada", course / "submitted" / name)
    everyone = sorted(STUDENTS + EXTRA)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "grader", "autograde", ASSIGNMENT,
                             "--course", str(course), "--workers", "2"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    recorded, tree, stages = 0, set(), set()
    deadline = time.monotonic() + 240
    try:
        for line in proc.stderr:    # one progress line per recorded submission
            new = _descendants(proc.pid) - tree
            tree |= new
            stages |= _stages(new)
            if f"/{len(everyone)} " in line and "[" in line and "starting" not in line:
                recorded = int(line.split("] ", 1)[1].split("/", 1)[0])
            if recorded >= 3 or time.monotonic() > deadline:
                break
        new = _descendants(proc.pid) - tree
        tree |= new
        stages |= _stages(new)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert recorded >= 3, "the run did not get far enough to be killed mid-way"
    # the workers, the forkserver and the sandboxes go with it
    end = time.monotonic() + 20
    while time.monotonic() < end and any(_alive(p) for p in tree):
        time.sleep(0.2)
    assert not [p for p in tree if _alive(p)], "processes outlived the killed run"
    _clean_after_kill(tree, stages)

    marked = {s for s in everyone if read_marker(course, ASSIGNMENT, s)}
    grades = sql_check(default_db_url(course))       # complete rows only
    assert marked <= set(grades), "a marker without its grades"
    assert len(marked) >= 3 and len(marked) < len(everyone), "the kill was not mid-run"

    summary = autograde(ASSIGNMENT, course, workers=2, quiet=True)
    assert sorted(summary.skipped) == sorted(marked)
    assert sorted(summary.graded) == sorted(set(everyone) - marked)
    grades = sql_check(default_db_url(course))
    assert sorted(grades) == everyone
    final = gradebook_grades(default_db_url(course))
    for student in STUDENTS:
        assert final[student] == sequential["grades"][student]
    for name in EXTRA:
        assert final[name] == sequential["grades"]["ada"]
    assert all((course / "autograded" / s / ASSIGNMENT / MARKER).exists() for s in everyone)

    again = autograde(ASSIGNMENT, course, workers=2, quiet=True)
    assert again.graded == [] and sorted(again.skipped) == everyone


def test_kept_results_are_recorded_without_grading_again(template, sequential, tmp_path):
    """A result graded but not recorded (a run killed in between), or a
    marker whose gradebook was replaced by an empty one: is each recorded
    from the kept result, with no sandbox run?"""
    course = tmp_path / "course"
    shutil.copytree(sequential["course"], course)
    shutil.copy(template / "gradebook.db", course / "gradebook.db")  # no grades in it
    (course / "autograded" / "ada" / ASSIGNMENT / MARKER).unlink()    # never recorded
    summary = autograde(ASSIGNMENT, course, workers=2, quiet=True)
    assert sorted(summary.graded) == sorted(STUDENTS)
    assert summary.timings["graded"] == 0          # nothing went to a sandbox
    assert gradebook_grades(default_db_url(course)) == sequential["grades"]
    sql_check(default_db_url(course))


def test_a_failed_recording_leaves_no_rows(course, sequential, monkeypatch):
    """When recording fails halfway through a submission, is none of it in
    the gradebook (one transaction), and does the next try record it whole?"""
    from nbgrader.preprocessors import SaveAutoGrades
    db = default_db_url(course)
    path = course / "submitted" / "alan" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    sub = ledger.read("alan", ASSIGNMENT, path)
    result = GradeResult({g: Verdict.from_json(v) for g, v in sequential["results"]["alan"].items()})
    real = SaveAutoGrades._add_score
    calls = []

    def failing(self, cell, resources):   # from the 10th grade on (the rebuilt notebook too)
        calls.append(1)
        if len(calls) >= 10:
            raise RuntimeError("the disk is full")
        return real(self, cell, resources)

    monkeypatch.setattr(SaveAutoGrades, "_add_score", failing)
    with Recorder(course, ASSIGNMENT, db) as rec:
        with pytest.raises(RuntimeError, match="disk is full"):
            rec.record(sub, result)
        assert "alan" not in sql_check(db)
        assert len(calls) == 11   # the notebook as submitted, then the rebuilt one
        monkeypatch.setattr(SaveAutoGrades, "_add_score", real)
        rec.record(sub, result)
        rec.record(sub, result)            # again: updated, not duplicated
    assert sql_check(db)["alan"] is not None
    assert gradebook_grades(db)["alan"] == sequential["grades"]["alan"]
