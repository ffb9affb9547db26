"""Reading grades back from the gradebook: per student, per function

Everything here reads nbgrader's gradebook only, so hand grading in
formgrader (a manual score or comment on a written answer, or an override
of an automatic score) shows up in every table and export.
"""
from collections import defaultdict

from nbgrader.api import Gradebook, MissingEntry

from grader.checks.specs import ASSIGNMENTS, FUNCTIONS, functions_of


def function_of(grade_id):
    """'pool2d-values' -> 'pool2d'; 'max_vs_avg-answer' -> 'max_vs_avg-answer'"""
    name, _, _ = grade_id.rpartition("-")
    return name if name in FUNCTIONS else grade_id


def is_pending(grade):
    """A grade no one has given yet: a written answer with neither an
    automatic score (nbgrader gives an empty answer 0) nor a manual one"""
    return grade.auto_score is None and grade.manual_score is None


def _submission_row(sub):
    cols = defaultdict(lambda: [0.0, 0.0])
    aspects, pending = {}, []
    for nb in sub.notebooks:
        for grade in nb.grades:
            col = cols[function_of(grade.name)]
            col[0] += grade.score or 0.0
            col[1] += grade.max_score
            aspects[grade.name] = (grade.score or 0.0, grade.max_score)
            if is_pending(grade):
                pending.append(grade.name)
    raw = sum(v[0] for v in cols.values())
    penalty = sub.late_submission_penalty or 0.0
    student = sub.student
    return {"student": sub.student_id,
            "first_name": student.first_name, "last_name": student.last_name,
            "email": student.email,
            "timestamp": sub.timestamp,
            "columns": {k: tuple(v) for k, v in cols.items()},
            "aspects": aspects,
            "total": raw,
            "late_penalty": penalty,
            "score": max(0.0, raw - penalty),
            "max": sum(v[1] for v in cols.values()),
            "pending": pending,
            "needs_manual": bool(pending)}


def grade_rows(db_url, assignment):
    """[{student, columns: {function or answer: (score, max)}, aspects:
    {grade_id: (score, max)}, total, score (after late penalty), max,
    pending: [answers still to grade], needs_manual, ...}], one per submission"""
    rows = []
    with Gradebook(db_url) as gb:
        try:
            submissions = gb.find_assignment(assignment).submissions
        except MissingEntry:
            return []
        for sub in sorted(submissions, key=lambda s: s.student_id):
            rows.append(_submission_row(sub))
    return rows


def class_rows(db_url, assignments=None):
    """nbgrader's export view: every assignment in the gradebook (in the
    course's order) × every student, with None for a missing submission.
    Returns [(assignment, duedate, max_score, {student: row or None},
    students)], students as [(id, first, last, email)]."""
    out = []
    with Gradebook(db_url) as gb:
        students = [(s.id, s.first_name, s.last_name, s.email)
                    for s in sorted(gb.students, key=lambda s: s.id)]
        names = [a.name for a in gb.assignments]
        order = [a for a in ASSIGNMENTS if a in names] + sorted(set(names) - set(ASSIGNMENTS))
        for name in order:
            if assignments and name not in assignments:
                continue
            a = gb.find_assignment(name)
            subs = {s.student_id: _submission_row(s) for s in a.submissions}
            out.append((name, a.duedate, a.max_score,
                        {sid: subs.get(sid) for sid, *_ in students}, students))
    return out


def column_order(assignment, rows):
    try:
        order = [s.name for s in functions_of(assignment)]
    except ValueError:
        order = []
    extra = sorted({c for r in rows for c in r["columns"]} - set(order))
    return order + extra


def grade_table(db_url, assignment):
    """A readable table: student, points per function, total"""
    rows = grade_rows(db_url, assignment)
    if not rows:
        return f"(no grades for {assignment} yet)"
    cols = column_order(assignment, rows)
    short = {c: _short(c, cols) for c in cols}
    head = ["student"] + [short[c] for c in cols] + ["total"]
    body = []
    for r in rows:
        cells = [r["student"]]
        for c in cols:
            score, top = r["columns"].get(c, (0.0, 0.0))
            if c in r["pending"]:
                cells.append(f"?/{top:g}")  # no one has graded it yet
            else:
                cells.append(f"{score:g}/{top:g}" if top else "-")
        cells.append(f"{r['total']:g}/{r['max']:g}" + (" *" if r["needs_manual"] else ""))
        body.append(cells)
    widths = [max(len(str(row[i])) for row in [head] + body) for i in range(len(head))]
    line = lambda cells: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    out = [line(head), "  ".join("-" * w for w in widths)] + [line(b) for b in body]
    legend = ", ".join(f"{short[c]} = {c}" for c in cols if short[c] != c)
    if legend:
        out += ["", f"columns: {legend}"]
    if any(r["needs_manual"] for r in rows):
        out.append("* written answers still need a grade in formgrader (?)")
    return "\n".join(out)


def _short(name, cols):
    """A function's column name from its spec; written answers are Q1, Q2, ..."""
    if name in FUNCTIONS:
        return FUNCTIONS[name].column or name
    answers = [c for c in cols if c not in FUNCTIONS]
    return f"Q{answers.index(name) + 1}"
