"""`grader export`: grades out as CSV, with a column per function"""
import csv
from pathlib import Path

from grader.checks.specs import ASSIGNMENTS
from grader.course import default_db_url
from grader.results import column_order, grade_rows


def export(course_dir=".", to="grades.csv", db_url=None, assignments=None):
    """One row per student and assignment: nbgrader's columns (assignment,
    student_id, score, max_score, needs_manual_grade) plus one per function"""
    course_dir = Path(course_dir).resolve()
    db_url = db_url or default_db_url(course_dir)
    rows, columns = [], []
    for assignment in assignments or ASSIGNMENTS:
        found = grade_rows(db_url, assignment)
        for c in column_order(assignment, found):
            if c not in columns:
                columns.append(c)
        for r in found:
            rows.append((assignment, r))
    path = Path(to)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["assignment", "student_id", "score", "max_score", "needs_manual_grade"]
                   + columns)
        for assignment, r in rows:
            w.writerow([assignment, r["student"], f"{r['total']:g}", f"{r['max']:g}",
                        r["needs_manual"]]
                       + [f"{r['columns'][c][0]:g}" if c in r["columns"] else "" for c in columns])
    return path
