"""Reading grades back, from nbgrader's API and from SQL"""
import json
from pathlib import Path

import sqlalchemy
from nbgrader.api import Gradebook

from grader.sample import default_assignment

# the assignment with the sample class
ASSIGNMENT = default_assignment()
# right answers (ada), mistakes in one or two aspects (alan, claude, ken),
# a half-finished notebook (edsger) and an unreadable file (niklaus)
STUDENTS = ["ada", "alan", "claude", "edsger", "ken", "niklaus"]


def gradebook_grades(db_url, assignment=ASSIGNMENT):
    """{student: {grade_id: score}} through nbgrader's API"""
    out = {}
    with Gradebook(db_url) as gb:
        for sub in gb.find_assignment(assignment).submissions:
            out[sub.student_id] = {g.name: g.score for nb in sub.notebooks for g in nb.grades}
    return out


def sql_check(db_url, assignment=ASSIGNMENT):
    """Read the gradebook with plain SQL: one submission per student and,
    in every submission, one grade row per grade cell of the source, each
    autograded cell with a score. Returns {student: {grade_id: auto_score}}"""
    engine = sqlalchemy.create_engine(db_url)
    try:
        with engine.connect() as conn:
            q = lambda sql, **kw: conn.execute(sqlalchemy.text(sql), kw).fetchall()
            cells = {name for (name,) in q(
                "SELECT bc.name FROM grade_cells gc JOIN base_cell bc ON bc.id = gc.id "
                "JOIN notebook n ON n.id = bc.notebook_id JOIN assignment a "
                "ON a.id = n.assignment_id WHERE a.name = :a", a=assignment)}
            subs = q("SELECT s.student_id, COUNT(*) FROM submitted_assignment s JOIN assignment a "
                     "ON a.id = s.assignment_id WHERE a.name = :a GROUP BY s.student_id",
                     a=assignment)
            dupes = {student: n for student, n in subs if n != 1}
            assert not dupes, f"students with more than one submission: {dupes}"
            rows = q("SELECT s.student_id, bc.name, g.auto_score FROM grade g "
                     "JOIN grade_cells gc ON gc.id = g.cell_id "
                     "JOIN base_cell bc ON bc.id = gc.id "
                     "JOIN submitted_notebook sn ON sn.id = g.notebook_id "
                     "JOIN submitted_assignment s ON s.id = sn.assignment_id "
                     "JOIN assignment a ON a.id = s.assignment_id WHERE a.name = :a",
                     a=assignment)
    finally:
        engine.dispose()
    out = {}
    for student, name, score in rows:
        assert name not in out.setdefault(student, {}), f"{student}: two rows for {name}"
        out[student][name] = score
    for student, grades in out.items():
        assert set(grades) == cells, f"{student}: grade rows {sorted(set(grades) ^ cells)}"
        unscored = [g for g, s in grades.items() if s is None and not g.endswith("-answer")]
        assert not unscored, f"{student}: autograded cells without a score: {unscored}"
    return out


def saved_results(course_dir, assignment=ASSIGNMENT):
    """{student: verdicts} from the results the run kept (plain data)"""
    out = {}
    for path in (Path(course_dir) / ".grader" / "results" / assignment).glob("*/*.json"):
        out[path.parent.name] = json.loads(path.read_text())["result"]["verdicts"]
    return out
