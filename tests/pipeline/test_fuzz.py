"""One bad submission costs only itself: a seeded fuzzer over the whole path

A class of FUZZED generated submissions (tests/pipeline/fuzz.py: cells
deleted, duplicated, reordered, retyped; solution and test cells deleted;
test cells turned to markdown; ids and grade ids missing, duplicated or
foreign; nbgrader metadata changed; nbformat 3 and 4.0; JSON that is no
notebook; non-UTF-8 bytes; huge sources; other assignments' notebooks)
plus four of the sample class goes through `grader autograde`, `grader
feedback`, `grader report` and `grader export`, each as a command, as an
instructor runs them. Every submission really runs in the sandbox and is
recorded through nbgrader; most carry cheap code, so that the class
grades in a few minutes.
"""
import csv
import html
import json
import re
import shutil
import subprocess
import sys
import time

import pytest
from nbgrader.api import Gradebook

from grader.autograde import autograde
from grader.course import REPO, default_db_url
from grader.sample import build
from grader.sample import default_assignment

A = default_assignment()  # the assignment with the sample class

from ..scale._helpers import gradebook_grades, sql_check
from .fuzz import hidden_test_lines, submissions, tally

SEED = 20261201
FUZZED = 500
CONTROLS = ("ada", "alan", "claude", "niklaus")  # right, two mistakes, a corrupt file
UNREADABLE = {"JSON not a notebook", "not UTF-8", "truncated JSON"}


def _grader(*args, course):
    start = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "grader", *args, "--course", str(course)],
                         cwd=REPO, capture_output=True, text=True, timeout=1500)
    return out, round(time.monotonic() - start, 1)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The fuzzed class graded, fed back, reported and exported; and the
    control students graded alone in a class of their own"""
    sample = tmp_path_factory.mktemp("sample")
    build(sample, A)
    clean = tmp_path_factory.mktemp("clean")
    course = tmp_path_factory.mktemp("fuzzed")
    for name in CONTROLS:
        shutil.copytree(sample / "submitted" / name, clean / "submitted" / name)
        shutil.copytree(sample / "submitted" / name, course / "submitted" / name)
    generated = submissions(SEED, FUZZED)
    for name, data, _ in generated:
        folder = course / "submitted" / name / A
        folder.mkdir(parents=True)
        (folder / f"{A}.ipynb").write_bytes(data)
    alone = autograde(A, clean, workers=1, quiet=True)
    assert sorted(alone.graded) == sorted(CONTROLS), alone.failed
    stages, seconds = {}, {}
    for stage, args in (("autograde", ["autograde", A, "--quiet"]),
                        ("feedback", ["feedback", A]),
                        ("report", ["report", "--to", str(course / "report.html")]),
                        ("export", ["export", "--to", str(course / "grades.csv")])):
        stages[stage], seconds[stage] = _grader(*args, course=course)
    print(f"\nfuzzer: seed {SEED}, {FUZZED} submissions + {len(CONTROLS)} controls; "
          f"seconds per stage {seconds}\nkinds: {json.dumps(tally(generated))}")
    return {"course": course, "clean": clean, "generated": generated, "stages": stages,
            "kinds": {name: kinds for name, _, kinds in generated}}


def _named(stdout):
    """{student: reason} from the summary `grader autograde` prints"""
    return dict(re.findall(r"^  (\S+): (.*)$", stdout, re.M))


def test_no_stage_aborts(run):
    """Does every command of the path finish with status 0?"""
    for stage, out in run["stages"].items():
        assert out.returncode == 0, (stage, out.stdout[-3000:], out.stderr[-3000:])
    assert "Traceback" not in run["stages"]["autograde"].stderr


def test_the_fuzzer_covers_every_kind(run):
    """Did the seeded corpus hold each kind of damage the grader must survive?"""
    seen = tally(run["generated"])
    for kind in ("cells deleted", "cells duplicated", "cells reordered", "cell types changed",
                 "solution cells deleted", "test cells deleted", "test cells to markdown",
                 "every cell deleted", "cell ids", "grade ids", "nbgrader metadata",
                 "wrong types", "huge source", "another assignment", "nbformat 3",
                 "nbformat 4.0", "JSON not a notebook", "not UTF-8", "truncated JSON"):
        assert seen.get(kind, 0) >= 3, (kind, seen)
    assert len(run["generated"]) >= 500


def test_every_student_is_in_the_gradebook_with_every_grade(run):
    """One submission per student, a grade row for every grade cell, a score
    for every automatic one; every total within 0 and the maximum"""
    grades = sql_check(default_db_url(run["course"]))
    assert sorted(grades) == sorted(list(CONTROLS) + [n for n, _, _ in run["generated"]])
    with Gradebook(default_db_url(run["course"])) as gb:
        top = gb.find_assignment(A).max_score
        for sub in gb.find_assignment(A).submissions:
            assert 0 <= sub.score <= top, sub.student_id


def test_the_other_students_keep_their_grades(run):
    """Are the control students graded exactly as in a class of their own?"""
    fuzzed = gradebook_grades(default_db_url(run["course"]))
    alone = gradebook_grades(default_db_url(run["clean"]))
    for name in CONTROLS:
        assert fuzzed[name] == alone[name], name


def test_unreadable_files_score_zero_and_are_named_everywhere(run):
    """A file that is no notebook: 0, with its reason in the run's summary,
    its feedback page and the class report"""
    named = _named(run["stages"]["autograde"].stdout)
    report = html.unescape((run["course"] / "report.html").read_text(encoding="utf-8"))
    totals = {s: sum(v or 0 for v in g.values())
              for s, g in gradebook_grades(default_db_url(run["course"])).items()}
    unreadable = [n for n, kinds in run["kinds"].items() if UNREADABLE & set(kinds)]
    assert unreadable
    for name in unreadable:
        assert totals[name] == 0, name
        assert "not a readable notebook" in named.get(name, "") \
            or "no list of cells" in named.get(name, ""), name
        page = (run["course"] / "feedback" / name / A / f"{A}.html").read_text()
        assert "could not be read" in html.unescape(page), name
        assert re.search(rf">{name}</td><td><span[^>]*>unreadable file", report), name


def test_every_problem_is_named_in_feedback_and_report(run):
    """Each submission the summary names (an unreadable file, a notebook
    recorded from the release, code too big to run, ...) says why on its
    feedback page and has a row in the report's incidents"""
    named = _named(run["stages"]["autograde"].stdout)
    assert len(named) > FUZZED // 4
    assert not [n for n, why in named.items() if why.startswith("not recorded")]
    report = html.unescape((run["course"] / "report.html").read_text(encoding="utf-8"))
    incidents = report.split("crashed, timed out or hit a limit", 1)[1].split("<h3>", 1)[0]
    rebuilt = 0
    for name, why in named.items():
        page = html.unescape((run["course"] / "feedback" / name / A / f"{A}.html")
                             .read_text(encoding="utf-8"))
        first = why.split("; ")[0][:60]
        assert first in page, (name, first)
        assert f">{name}</td>" in incidents, name
        rebuilt += "recorded from the released notebook" in why
    assert rebuilt >= 20   # nbgrader's KeyError / MissingEntry cases, each costing only itself


def test_no_test_code_reaches_any_feedback_page(run):
    """No hidden test line, model answer, rubric or traceback on any page"""
    secrets = hidden_test_lines() | {"BEGIN HIDDEN TESTS", "hidden=True", "Model answer",
                                     "Rubric, for graders", "BEGIN SOLUTION",
                                     "Traceback (most recent call last)"}
    pages = sorted((run["course"] / "feedback").glob(f"*/{A}/{A}.html"))
    assert len(pages) == FUZZED + len(CONTROLS)
    for path in pages:
        page = html.unescape(path.read_text(encoding="utf-8"))
        leaked = [s for s in secrets if s in page]
        assert not leaked, (path.parts[-3], leaked)


def test_the_export_has_every_student_with_the_gradebooks_score(run):
    rows = {r["student_id"]: r for r in csv.DictReader(open(run["course"] / "grades.csv"))}
    assert len(rows) == FUZZED + len(CONTROLS)
    totals = {s: sum(v or 0 for v in g.values())
              for s, g in gradebook_grades(default_db_url(run["course"])).items()}
    for student, total in totals.items():
        assert float(rows[student]["raw_score"]) == pytest.approx(total), student
