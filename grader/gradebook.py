"""nbgrader's gradebook for a course: the assignment put in, grades read back

`ensure_assignment` puts an assignment's source notebooks into the
gradebook (nbgrader's generate_assignment, through `nbgrader_api`, the one
place the API is set up). Everything else here reads nbgrader's gradebook
only, so hand grading in formgrader (a manual score or comment on a
written answer, or an override of an automatic score) shows up in every
table and export.
"""
from collections import defaultdict
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from grader.checks.specs import ASSIGNMENTS, FUNCTIONS, functions_of
from grader.course import nbgrader_config


def nbgrader_api(course_dir, db_url=None, config=None, assignment=None):
    """nbgrader's API on a course (`config`: nbgrader_config's, changed;
    `assignment`: the one whose source folder it reads), logging errors only"""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    config = config or nbgrader_config(course_dir, db_url=db_url, assignment=assignment)
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    api.log.setLevel("ERROR")
    return api


def ensure_assignment(course_dir, assignment, db_url, devices=("cpu",)):
    """Put the source notebooks' cells into the course gradebook (nbgrader's
    generate_assignment, releasing into DIR/release) when they are missing or
    changed, with every `<function>-devices` cell worth 0 where `devices`
    holds the CPU alone (no second device checks them)"""
    from grader.ledger import checks_fingerprint
    stamp = Path(course_dir) / ".grader" / f"{assignment}.source"
    want = f"{checks_fingerprint(assignment)} devices={','.join(devices)}"
    try:
        with Gradebook(db_url) as gb:
            gb.find_assignment(assignment)
        known = stamp.exists() and stamp.read_text() == want
    except MissingEntry:
        known = False
    if known:
        return
    result = nbgrader_api(course_dir, db_url, assignment=assignment).generate_assignment(
        assignment, force=True)
    if not result["success"]:
        raise RuntimeError(f"nbgrader could not add {assignment} to the gradebook:\n{result['log']}")
    if list(devices) == ["cpu"]:
        _devices_worth_nothing(db_url, assignment)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(want)


def _devices_worth_nothing(db_url, assignment):
    """Every `<function>-devices` grade cell of the assignment worth 0 in the
    gradebook. nbgrader's checksum of a grade cell covers its points, so the
    source cell's checksum is computed again for 0 points (recording checks
    the restored test cells against it)."""
    import nbformat
    from nbgrader.utils import compute_checksum
    with Gradebook(db_url) as gb:
        for notebook in gb.find_assignment(assignment).notebooks:
            sources = {cell.name: cell for cell in notebook.source_cells}
            for cell in notebook.grade_cells:
                if not cell.name.endswith("-devices"):
                    continue
                cell.max_score = 0.0
                source = sources[cell.name]
                source.checksum = compute_checksum(nbformat.from_dict({
                    "cell_type": source.cell_type, "source": source.source,
                    "metadata": {"nbgrader": {"grade": True, "solution": False,
                                              "locked": source.locked, "grade_id": cell.name,
                                              "points": 0.0}}}))
        gb.db.commit()


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
