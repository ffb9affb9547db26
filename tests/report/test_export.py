"""Grades out: nbgrader's CSV plus per-function columns, and Canvas's format"""
import csv
import io

import pytest
from nbgrader.api import Gradebook
from nbgrader.plugins.export import CsvExportPlugin

from grader.cli import main
from grader.course import default_db_url
from grader.export import CANVAS_COLUMNS, NBGRADER_COLUMNS, export

from .conftest import (A, ANSWERS, FUNCTION, FUNCTIONS, HANGS, LOST, MAX_SCORE, SPECS, STUDENTS,
                       counted, loses)


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def grades(course, tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    export(course, to=out / "grades.csv", canvas=out / "canvas.csv",
           canvas_ids={A: "4321"})
    return out


def test_grades_csv_has_nbgrader_columns_then_one_per_function(grades):
    """Does the header start with `nbgrader export`'s columns, then name every
    function and written answer of the assignment?"""
    header = read(grades / "grades.csv")[0]
    assert header[:len(NBGRADER_COLUMNS)] == NBGRADER_COLUMNS
    assert header[len(NBGRADER_COLUMNS)] == "needs_manual_grade"
    assert ANSWERS
    assert header[len(NBGRADER_COLUMNS) + 1:] == FUNCTIONS + list(ANSWERS)


def test_grades_csv_agrees_with_nbgrader_export(course, grades, tmp_path):
    """Are the shared columns exactly what nbgrader's own CSV exporter
    writes, row for row?"""
    theirs = tmp_path / "nbgrader.csv"
    plugin = CsvExportPlugin(to=str(theirs))
    with Gradebook(default_db_url(course)) as gb:
        plugin.export(gb)
    nb_rows = {(r["assignment"], r["student_id"]): r
               for r in csv.DictReader(io.StringIO(theirs.read_text()))}
    ours = {(r["assignment"], r["student_id"]): r
            for r in csv.DictReader(open(grades / "grades.csv", encoding="utf-8"))}
    assert set(ours) == set(nb_rows) == {(A, s) for s in STUDENTS}
    for key, theirs_row in nb_rows.items():
        for col in NBGRADER_COLUMNS:
            a, b = ours[key][col], theirs_row[col]
            try:
                assert float(a) == float(b), (key, col, a, b)
            except ValueError:
                assert a == b, (key, col, a, b)


def test_per_function_columns_add_up(grades):
    """Do the per-function columns hold the points and sum to the score?"""
    rows = {r["student_id"]: r for r in csv.DictReader(open(grades / "grades.csv"))}
    for student, row in rows.items():
        parts = sum(float(row[c]) for c in FUNCTIONS + list(ANSWERS))
        assert parts == pytest.approx(float(row["raw_score"])), student
    lost = sum(SPECS[FUNCTION].aspects[a] for a in LOST)   # alan's (of all that count)
    assert lost and float(rows["alan"][FUNCTION]) == sum(counted(SPECS[FUNCTION]).values()) - lost
    assert float(rows["guido"][HANGS]) == 0            # it hangs
    assert loses("niklaus") == "all" and float(rows["niklaus"]["score"]) == 0  # corrupt file
    assert float(rows["ada"]["max_score"]) == MAX_SCORE  # `devices` worth 0 on a cpu course
    assert rows["ada"]["needs_manual_grade"] == "True"     # answers not graded yet
    assert rows["alan"]["needs_manual_grade"] == "False"   # no answers: nbgrader gave 0


def test_canvas_csv(grades):
    """Is the Canvas file in Canvas's import format: five identity columns,
    '<assignment> (<id>)', a Points Possible row, one row per student?"""
    rows = read(grades / "canvas.csv")
    assert rows[0] == CANVAS_COLUMNS + [f"{A} (4321)"]
    assert CANVAS_COLUMNS == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert rows[1][0] == "Points Possible" and float(rows[1][5]) == MAX_SCORE
    body = {r[3]: r for r in rows[2:]}
    assert sorted(body) == sorted(STUDENTS)
    ours = {r["student_id"]: r for r in csv.DictReader(open(grades / "grades.csv"))}
    for student, r in body.items():
        assert len(r) == 6
        assert float(r[5]) == float(ours[student]["score"])


def test_cli_export_and_report(course, tmp_path, capsys):
    """Do `grader export --canvas` and `grader report` write their files?"""
    assert main(["export", "--course", str(course), "--to", str(tmp_path / "g.csv"),
                 "--canvas", str(tmp_path / "c.csv")]) == 0
    assert read(tmp_path / "c.csv")[0][-1] == A  # no Canvas id given
    assert main(["report", "--course", str(course), "--to", str(tmp_path / "r.html")]) == 0
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    out = capsys.readouterr().out
    assert "g.csv" in out and "c.csv" in out and "r.html" in out
