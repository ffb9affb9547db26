"""`grader report`: the class report, one self-contained HTML page

For each assignment with grades: the score distribution, the pass rate of
every function and aspect, the most common failure reasons, the submissions
that crashed, timed out or hit a limit, the written answers still to grade,
and how long grading took. Scores come from nbgrader's gradebook (so hand
grades count); reasons, incidents and times from the grader's kept results
(ledger.py: DIR/.grader/results/<assignment>/<student>/<notebook>.json).

Three parts: the analysis (analysis.py, pure functions over the results'
fields and the gradebook's rows), the figures (figures.py, matplotlib PNGs
embedded as base64) and the page (grader/templates/report.html.j2), which
this module fills in with the analysis put in words (explain.py).
"""
import datetime
import html
import statistics
from collections import OrderedDict
from pathlib import Path

import jinja2

from grader import ledger
from grader.checks import explain
from grader.checks.specs import ASPECTS, ASSIGNMENTS, FUNCTIONS
from grader.checks.verdict import Verdict
from grader.course import default_db_url
from grader.gradebook import column_order, grade_rows
from grader.report import analysis, figures

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
KINDS = {"unreadable": "unreadable file", "timeout": "timed out", "crash": "crashed",
         "limit": "hit a limit", "error": "error", "ungraded": "not graded",
         "rebuilt": "recorded from the release", "unrecorded": "not recorded"}


def assignments_with_grades(db_url):
    from nbgrader.api import Gradebook
    with Gradebook(db_url) as gb:
        names = [a.name for a in gb.assignments if a.num_submissions]
    return [a for a in ASSIGNMENTS if a in names] + sorted(set(names) - set(ASSIGNMENTS))


def reason_line(verdict):
    """The reason a check failed, in one line: the sentence after the call
    ("the result is float32, expected float64 ..."), its values elided, or
    the message's first line when there is no call"""
    if verdict.call is None:
        lines = explain.message(verdict).splitlines()
        return lines[0].rstrip(".") if lines else "failed"
    text = explain.reason(verdict.reason) + "."
    parts = []
    for line in text.splitlines():
        if line.startswith((" ", "\t")):
            if parts:  # a value inside the reason: elide it
                parts.append("…")
            continue
        if line.startswith("(") and "calls failed" in line or line.rstrip() in ("expected:", "got:"):
            break
        parts.append(line.strip())
        if line.rstrip().endswith("."):
            break
    joined = " ".join(p for i, p in enumerate(parts) if not (p == "…" and i and parts[i - 1] == "…"))
    return joined.rstrip(".") or text


def _detail(detail):
    """An incident's detail (analysis.incidents) in words"""
    if isinstance(detail, Verdict):
        return reason_line(detail)
    if isinstance(detail, list):
        return "; ".join(explain.problem(p) for p in detail)
    if isinstance(detail, int):
        return f"printed {detail:,} bytes; the output was cut"
    return str(detail)


def _rate_color(rate):
    """red (0) -> amber (0.5) -> green (1)"""
    stops = [(0.0, (0xf4, 0xc7, 0xc3)), (0.5, (0xff, 0xe8, 0xa3)), (1.0, (0xb7, 0xe1, 0xc1))]
    rate = min(1.0, max(0.0, rate))
    for (a, ca), (b, cb) in zip(stops, stops[1:]):
        if rate <= b:
            t = (rate - a) / (b - a)
            c = tuple(round(x + (y - x) * t) for x, y in zip(ca, cb))
            break
    return "#%02x%02x%02x" % c


def _reasons(results):
    """The failure reasons in words, most common first (analysis.failure_reasons)"""
    out = []
    for g in analysis.failure_reasons(results):
        lines = [reason_line(v) for _, v in g["verdicts"]]
        variants = set(lines)
        checks = ", ".join(f"{gid} ×{n}" if n > 1 else gid
                           for gid, n in g["checks"].most_common(6))
        if len(g["checks"]) > 6:
            checks += f", … ({len(g['checks'])} checks)"
        out.append({"reason": lines[0] if len(variants) == 1 else analysis.generalise(lines[0]),
                    "example": lines[0] if len(variants) > 1 else None,
                    "students": ", ".join(sorted(g["students"])),
                    "n_students": len(g["students"]), "count": g["count"], "checks": checks})
    return sorted(out, key=lambda g: (-g["n_students"], -g["count"], g["reason"]))


def assignment_section(course_dir, db_url, assignment):
    """The page's section of one assignment, as the template's values (None
    where it has no grades)"""
    rows = grade_rows(db_url, assignment)
    results, other_format = ledger.cached_results(course_dir, assignment)
    if not rows:
        return None
    stats = analysis.score_stats(rows)
    top, pending = stats["top"], [r["student"] for r in rows if r["pending"]]
    scores = [r["score"] for r in rows]
    a = {"name": assignment, "submissions": len(rows), "mean": f"{stats['mean']:.1f}",
         "top": f"{top:g}", "stats": stats, "pending": pending, "other_format": other_format}
    a["cards"] = [("submissions", f"{len(rows)}"), ("mean", f"{stats['mean']:.1f} / {top:g}"),
                  ("median", f"{stats['median']:g}"),
                  ("range", f"{stats['min']:g} – {stats['max']:g}"),
                  ("to grade by hand", f"{len(pending)} submission"
                                       f"{'s' if len(pending) != 1 else ''}")]
    a["devices"] = ", ".join(analysis.devices_checked(results))
    a["unchecked"] = sum(1 for r in rows if any(m == 0 and gid.endswith("-devices")
                                               for gid, (_, m) in r["aspects"].items()))
    a["histogram"] = figures.score_histogram(scores, top, f"{assignment}: {len(rows)} submissions")
    functions = [c for c in column_order(assignment, rows) if c in FUNCTIONS]
    aspects = [x for x in ASPECTS if any(x in FUNCTIONS[f].aspects for f in functions)]
    a["aspects"] = [(x, ASPECTS[x]) for x in aspects]
    a["functions"], shares = [], []
    for f in functions:
        cells = []
        for x in aspects:
            if x not in FUNCTIONS[f].aspects:
                cells.append(None)
                continue
            passed, of, worth = analysis.pass_rate(rows, f"{f}-{x}")
            rate = passed / of if of else 0.0
            cells.append({"grade_id": f"{f}-{x}", "unchecked": of and not worth,
                          "passed": passed, "of": of, "color": _rate_color(rate),
                          "percent": f"{100 * rate:.0f}"})
        shares.append(analysis.points_share(rows, f))
        a["functions"].append({"name": f, "cells": cells, "share": f"{100 * shares[-1]:.0f}"})
    if functions:
        a["bars"] = figures.function_bars(functions, shares, "Points earned, per function")
    a["answers"] = []
    for q in (c for c in column_order(assignment, rows) if c not in FUNCTIONS):
        done = [r for r in rows if q in r["columns"] and q not in r["pending"]]
        mean = (f'{statistics.mean(r["columns"][q][0] for r in done):.2f} / '
                f'{done[0]["columns"][q][1]:g}') if done else "–"
        a["answers"].append({"name": q, "done": len(done), "mean": mean,
                             "todo": sum(1 for r in rows if q in r["pending"])})
    reasons = _reasons(results)
    a["reasons"] = None if not results else reasons[:20]
    a["more_reasons"] = max(0, len(reasons) - 20)
    found = analysis.incidents(results)
    in_gradebook = {r["student"] for r in rows}
    found += [(student, "unrecorded", "", "a result was graded but is not in the gradebook")
              for student in sorted(set(results) - in_gradebook)
              if not any(r.not_recorded for _, r in results[student])]
    a["incidents"] = [{"student": s, "kind": k, "label": KINDS[k], "where": w,
                       "detail": _detail(d)[:300]} for s, k, w, d in found if k != "error"]
    by = OrderedDict()
    for student, _, where, detail in (i for i in found if i[1] == "error"):
        by.setdefault(student, []).append(f"{where}: {detail}")
    a["errors"] = list(by.items())
    seconds = analysis.grading_seconds(results)
    a["time"] = None
    if seconds:
        vals = sorted(seconds.values())
        a["time"] = {"n": len(vals), "total": f"{sum(vals):.1f}",
                     "mean": f"{statistics.mean(vals):.1f}",
                     "median": f"{statistics.median(vals):.1f}", "slowest": f"{vals[-1]:.1f}",
                     "slow": [(s, f"{t:.1f}") for s, t in
                              sorted(seconds.items(), key=lambda kv: -kv[1])[:3]],
                     "figure": figures.time_figure(seconds, "Grading time per submission")}
    return a


def render(course_dir, sections, now):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                             trim_blocks=True, lstrip_blocks=True, autoescape=False)
    env.filters["h"] = lambda s: html.escape(str(s), quote=True)
    return env.get_template("report.html.j2").render(course=str(course_dir), sections=sections,
                                                     now=now)


def report(course_dir=".", to="report.html", db_url=None, assignments=None):
    """Write the class report; return its path"""
    course_dir = Path(course_dir).resolve()
    db_url = db_url or default_db_url(course_dir)
    names = assignments or assignments_with_grades(db_url)
    sections = [s for s in (assignment_section(course_dir, db_url, n) for n in names) if s]
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    path = Path(to)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(course_dir, sections, now), encoding="utf-8")
    return path

