"""Reading grades back from the gradebook: per student, per function"""
from collections import defaultdict

from nbgrader.api import Gradebook

from grader.checks.specs import FUNCTIONS, functions_of


def function_of(grade_id):
    """'pool2d-values' -> 'pool2d'; 'max_vs_avg-answer' -> 'max_vs_avg-answer'"""
    name, _, _ = grade_id.rpartition("-")
    return name if name in FUNCTIONS else grade_id


def grade_rows(db_url, assignment):
    """[{student, columns: {function or answer: (score, max)}, total, max}]"""
    rows = []
    with Gradebook(db_url) as gb:
        try:
            submissions = gb.find_assignment(assignment).submissions
        except Exception:  # noqa: BLE001
            return []
        for sub in sorted(submissions, key=lambda s: s.student_id):
            cols = defaultdict(lambda: [0.0, 0.0])
            for nb in sub.notebooks:
                for grade in nb.grades:
                    col = cols[function_of(grade.name)]
                    col[0] += grade.score or 0.0
                    col[1] += grade.max_score
            rows.append({"student": sub.student_id,
                         "columns": {k: tuple(v) for k, v in cols.items()},
                         "total": sum(v[0] for v in cols.values()),
                         "max": sum(v[1] for v in cols.values()),
                         "needs_manual": bool(sub.needs_manual_grade)})
    return rows


def column_order(assignment, rows):
    order = [s.name for s in functions_of(assignment)]
    extra = sorted({c for r in rows for c in r["columns"]} - set(order))
    return order + extra


def grade_table(db_url, assignment):
    """A readable table: student, points per function, total"""
    rows = grade_rows(db_url, assignment)
    if not rows:
        return f"(no grades for {assignment} yet)"
    cols = column_order(assignment, rows)
    short = {c: _short(c) for c in cols}
    head = ["student"] + [short[c] for c in cols] + ["total"]
    body = []
    for r in rows:
        cells = [r["student"]]
        for c in cols:
            score, top = r["columns"].get(c, (0.0, 0.0))
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
        out.append("* written answers still need a grade in formgrader")
    return "\n".join(out)


def _short(name):
    mapping = {"pool2d_strided": "strided", "avg_pool_as_conv": "avg_conv",
               "max_pool_as_conv": "max_conv", "softmax_pool2d": "softmax",
               "min_pool2d": "min_pool", "max_vs_avg-answer": "Q1", "min_pool-answer": "Q2",
               "softmax_pool-answer": "Q3"}
    return mapping.get(name, name)
