"""`grader export`: grades out as CSV

Two files, both read from nbgrader's gradebook (hand grades included):

- `grades.csv`: nbgrader's own CSV columns (those of `nbgrader export`:
  assignment, duedate, timestamp, student_id, last_name, first_name, email,
  raw_score, late_submission_penalty, score, max_score), then
  `needs_manual_grade` and one column per function and written answer
  (the points earned there; blank where an assignment has no such column or
  the student submitted nothing). One row per assignment and student, as
  nbgrader writes it: a student without a submission scores 0.
- a Canvas gradebook CSV (`--canvas FILE`): "Student, ID, SIS User ID,
  SIS Login ID, Section", then one column per assignment named
  "<assignment> (<Canvas id>)" (or just the name, which makes Canvas create
  the assignment, when no Canvas id is given), a "Points Possible" row, then
  one row per student with the score after any late penalty (blank where
  nothing was submitted, so an import changes nothing there).
"""
import csv
from pathlib import Path

from grader.course import default_db_url
from grader.gradebook import class_rows, column_order

NBGRADER_COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name",
                    "first_name", "email", "raw_score", "late_submission_penalty", "score",
                    "max_score"]
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def _num(x):
    return "" if x is None else f"{float(x):g}"


def _text(x):
    return "" if x is None else str(x)


def export(course_dir=".", to="grades.csv", db_url=None, assignments=None, canvas=None,
           canvas_ids=None):
    """Write the nbgrader-style CSV to `to` (and the Canvas CSV to `canvas`
    when given); return the path of the first. canvas_ids maps assignment
    names to Canvas assignment ids."""
    course_dir = Path(course_dir).resolve()
    db_url = db_url or default_db_url(course_dir)
    data = class_rows(db_url, assignments)
    columns = []
    for name, _, _, rows, _ in data:
        for c in column_order(name, [r for r in rows.values() if r]):
            if c not in columns:
                columns.append(c)
    path = Path(to)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(NBGRADER_COLUMNS + ["needs_manual_grade"] + columns)
        for name, duedate, max_score, rows, students in data:
            for sid, first, last, email in students:
                r = rows.get(sid)
                base = [name, _text(duedate), _text(r and r["timestamp"]), sid, _text(last),
                        _text(first), _text(email)]
                if r is None:
                    w.writerow(base + ["0", "0", "0", _num(max_score), "False"]
                               + [""] * len(columns))
                    continue
                w.writerow(base + [_num(r["total"]), _num(r["late_penalty"]), _num(r["score"]),
                                   _num(max_score), str(r["needs_manual"])]
                           + [_num(r["columns"][c][0]) if c in r["columns"] else ""
                              for c in columns])
    if canvas:
        export_canvas(data, canvas, canvas_ids)
    return path


def export_canvas(data, to, canvas_ids=None):
    """Canvas's gradebook import format (see the module doc)"""
    canvas_ids = canvas_ids or {}
    graded = [d for d in data if any(d[3].values())]
    students = {}
    for *_, rows, people in graded:
        for sid, first, last, _ in people:
            students[sid] = (first, last)
    with open(to, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(CANVAS_COLUMNS + [f"{name} ({canvas_ids[name]})" if name in canvas_ids
                                     else name for name, *_ in graded])
        w.writerow(["Points Possible", "", "", "", ""] + [_num(d[2]) for d in graded])
        for sid in sorted(students):
            first, last = students[sid]
            display = f"{last}, {first}" if last and first else (last or first or sid)
            w.writerow([display, "", sid, sid, ""]
                       + [_num(rows[sid]["score"]) if rows.get(sid) else ""
                          for _, _, _, rows, _ in graded])
    return Path(to)
