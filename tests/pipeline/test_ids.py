"""Any student id nbgrader accepts keeps its name everywhere

Reproduction (issue 18, 3): the result cache named its files
`{student}.{notebook}.json` and the class report split at the first dot, so
`jane.doe` came back as `jane`. Ids with dots, dashes, digits and unicode
letters are graded, cached, reported, fed back and exported under their own
id, next to `jane`, whose name is a prefix of `jane.doe`.
"""
import csv
import html
import shutil

import pytest

from grader.autograde import autograde
from grader.course import default_db_url, results_path
from grader.export import export
from grader.feedback import feedback
from grader.ledger import MARKER, cached_results
from grader.report import report
from grader.sample import build
from grader.sample import default_assignment

A = default_assignment()  # the assignment with the sample class

from ..scale._helpers import gradebook_grades, sql_check

# id -> the sample student whose notebook it hands in
IDS = {"jane.doe": "ada", "jane": "alan", "mary-jane": "claude", "007": "ada",
       "josé.álvarez": "alan", "李雷": "ada", "o.brien.2": "niklaus"}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    sample = tmp_path_factory.mktemp("sample")
    build(sample, A)
    course = tmp_path_factory.mktemp("ids")
    for student, like in IDS.items():
        shutil.copytree(sample / "submitted" / like, course / "submitted" / student)
    summary = autograde(A, course, workers=2, quiet=True)
    assert sorted(summary.graded) == sorted(IDS), summary.failed
    return course


def test_graded_and_recorded_under_their_own_ids(course):
    grades = sql_check(default_db_url(course))
    assert sorted(grades) == sorted(IDS)
    totals = {s: sum(v or 0 for v in g.values())
              for s, g in gradebook_grades(default_db_url(course)).items()}
    assert totals["jane.doe"] == totals["007"] == totals["李雷"] > totals["jane"] > 0
    assert totals["jane"] == totals["josé.álvarez"] and totals["o.brien.2"] == 0


def test_cached_under_their_own_ids(course):
    """One folder per student in the result cache, read back whole; a run
    that finds a kept result records it without grading it again"""
    for student in IDS:
        assert results_path(course, A, student, A).is_file(), student
    assert sorted(cached_results(course, A)[0]) == sorted(IDS)
    (course / "autograded" / "jane.doe" / A / MARKER).unlink()
    again = autograde(A, course, workers=1, quiet=True)
    assert again.graded == ["jane.doe"] and again.timings["graded"] == 0


def test_reported_fed_back_and_exported_under_their_own_ids(course, tmp_path):
    page = html.unescape(report(course, to=tmp_path / "report.html").read_text())
    assert ">o.brien.2</td>" in page and ">o</td>" not in page   # the corrupt file's incident
    assert "Still to grade in formgrader: 007, jane.doe, 李雷." in page
    pages = {p.parts[-3]: p for p in feedback(A, course)}
    assert sorted(pages) == sorted(IDS)
    assert "Feedback for <b>josé.álvarez</b>" in html.unescape(pages["josé.álvarez"].read_text())
    rows = list(csv.DictReader(open(export(course, to=tmp_path / "grades.csv"),
                                    encoding="utf-8")))
    assert sorted(r["student_id"] for r in rows) == sorted(IDS)
    totals = {s: sum(v or 0 for v in g.values())
              for s, g in gradebook_grades(default_db_url(course)).items()}
    for row in rows:
        assert float(row["raw_score"]) == pytest.approx(totals[row["student_id"]])
