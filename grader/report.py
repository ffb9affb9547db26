"""`grader report`: the class report, one self-contained HTML page

For each assignment with grades: the score distribution, the pass rate of
every function and aspect, the most common failure reasons, the submissions
that crashed, timed out or hit a limit, the written answers still to grade,
and how long grading took. Scores come from nbgrader's gradebook (so hand
grades count); reasons, incidents and times from the grader's cached
results (DIR/.grader/results/<assignment>/<student>/<notebook>.json).
Figures are matplotlib PNGs embedded as base64: the page needs no other file.
"""
import base64
import datetime
import html
import io
import json
import re
import statistics
from collections import Counter, OrderedDict
from pathlib import Path

from grader.checks.specs import ASPECTS, ASSIGNMENTS, FUNCTIONS
from grader.course import default_db_url
from grader.results import column_order, grade_rows

e = lambda s: html.escape(str(s), quote=True)


# --- reading -------------------------------------------------------------------

def cached_results(course_dir, assignment):
    """{student: [result dict per notebook]} from the grader's cache, one
    folder per student (and, from older runs, `<student>.<notebook>.json`;
    notebook names have no dot, student ids may)"""
    out = {}
    folder = Path(course_dir) / ".grader" / "results" / assignment
    found = [(p.parent.name, p.stem, p) for p in folder.glob("*/*.json")]
    found += [(*p.stem.rpartition(".")[::2], p) for p in folder.glob("*.json")]
    for student, notebook, path in sorted(found):
        try:
            result = json.loads(path.read_text(encoding="utf-8"))["result"]
            result = dict(result, notebook=notebook)
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if student:
            out.setdefault(student, []).append(result)
    return out


def assignments_with_grades(db_url):
    from nbgrader.api import Gradebook
    with Gradebook(db_url) as gb:
        names = [a.name for a in gb.assignments if a.num_submissions]
    return [a for a in ASSIGNMENTS if a in names] + sorted(set(names) - set(ASSIGNMENTS))


# --- failure reasons -------------------------------------------------------------

_LIST = re.compile(r"\[[^\[\]]*\]")
_TUPLE = re.compile(r"\((?:\s*-?\d+\s*,?)+\)")
_NUM = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w])")
_TICKS = re.compile(r"`[^`]*`")


def reason_of(message):
    """The reason a check failed, in one line: the sentence after the call
    ("the result is float32, expected float64 ..."), or the message's first
    line when it has no call"""
    lines = (message or "").splitlines()
    if not lines:
        return "failed"
    if lines[0].rstrip().endswith("but for the call"):
        parts = []
        for line in lines[1:]:
            if line.startswith((" ", "\t")):
                if parts:  # a value inside the reason: elide it
                    parts.append("…")
                continue
            if line.startswith("(") and "calls failed" in line:
                break
            if line.rstrip() in ("expected:", "got:"):
                break
            parts.append(line.strip())
            if line.rstrip().endswith("."):
                break
        text = " ".join(p for i, p in enumerate(parts) if not (p == "…" and i and parts[i - 1] == "…"))
        return text.rstrip(".") or lines[0]
    return lines[0].rstrip(".")


def reason_key(reason):
    """Reasons that differ only in numbers, shapes or names are one reason"""
    key = _TICKS.sub("`…`", reason)
    for _ in range(3):
        key = _LIST.sub("[…]", key)
    key = _TUPLE.sub("(…)", key)
    return _NUM.sub("…", key)


def failure_reasons(results):
    """[{reason (an example), count, students, checks}] most common first"""
    groups = OrderedDict()
    for student, per_nb in results.items():
        for result in per_nb:
            for gid, v in (result.get("verdicts") or {}).items():
                if v.get("passed"):
                    continue
                reason = reason_of(v.get("message", ""))
                key = reason_key(reason)
                g = groups.setdefault(key, {"reason": key, "example": reason, "variants": set(),
                                            "count": 0, "students": set(), "checks": Counter()})
                g["variants"].add(reason)
                g["count"] += 1
                g["students"].add(student)
                g["checks"][gid] += 1
    for g in groups.values():
        if len(g["variants"]) == 1:  # nothing to generalise: say it as it is
            g["reason"] = g["example"]
    out = sorted(groups.values(), key=lambda g: (-len(g["students"]), -g["count"], g["reason"]))
    return out


# --- incidents -------------------------------------------------------------------

_LIMIT_WORDS = ("MemoryError", "DefaultCPUAllocator", "out of memory", "CPU time limit",
                "more data than allowed", "memory limit", "Cannot allocate")


def incidents(results, output_limit=65536):
    """[(student, kind, where, detail)]: kind is 'unreadable', 'timeout',
    'crash', 'limit', 'error' (a cell that raised), 'ungraded' (no worker
    could grade it: 0, graded again next run), 'rebuilt' (recorded from the
    released notebook) or 'unrecorded' (not in the gradebook)"""
    from grader.record import REBUILT
    out = []
    for student, per_nb in sorted(results.items()):
        for result in per_nb:
            nb = result.get("notebook", "")
            if result.get("not_recorded"):
                out.append((student, "unrecorded", nb, str(result["not_recorded"])))
            if result.get("unreadable"):
                out.append((student, "unreadable", nb, "; ".join(result.get("problems") or [])))
            elif result.get("ungraded"):
                out.append((student, "ungraded", nb, "; ".join(result.get("problems") or [])))
            else:
                for p in result.get("problems") or []:
                    kind = "rebuilt" if p.startswith(REBUILT) else \
                        "limit" if any(w in p for w in _LIMIT_WORDS) else \
                        "timeout" if "time" in p else "crash"
                    out.append((student, kind, nb, p))
            for index, cell in sorted((result.get("cells") or {}).items(),
                                      key=lambda kv: int(kv[0]) if str(kv[0]).isdigit() else 0):
                status = cell.get("status")
                if status in (None, "ok"):
                    continue
                detail = str(cell.get("error") or "")
                kind = {"timeout": "timeout", "crash": "crash", "garbled": "crash"}.get(status, "error")
                if any(w in detail for w in _LIMIT_WORDS):
                    kind = "limit"
                out.append((student, kind, f"cell {index}", detail))
            seen = set()
            for gid, v in (result.get("verdicts") or {}).items():
                if v.get("passed"):
                    continue
                msg = v.get("message", "")
                fn = gid.rpartition("-")[0] or gid
                kind = None
                if any(w in msg for w in _LIMIT_WORDS):
                    kind = "limit"
                elif "no answer:" in msg:
                    kind = "timeout"
                elif "the process died" in msg or "process died" in msg:
                    kind = "crash"
                if kind and (fn, kind) not in seen:
                    seen.add((fn, kind))
                    out.append((student, kind, f"function {fn}", reason_of(msg)))
            output = result.get("output") or {}
            total = int(output.get("total_bytes") or 0)
            if total > output_limit:
                out.append((student, "limit", nb, f"printed {total:,} bytes; the output was cut"))
    return out


# --- figures ---------------------------------------------------------------------

def _png(fig):
    import matplotlib.pyplot as plt
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _plt():
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    plt.rcParams.update({"font.size": 10, "axes.spines.top": False,
                         "axes.spines.right": False})
    return plt


def score_histogram(scores, top, title):
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.0, 3.2))
    top = top or max(scores or [1]) or 1
    bins = min(20, max(5, int(top)))
    ax.hist(scores, bins=bins, range=(0, top), color="#4c72b0", edgecolor="white")
    if scores:
        mean, median = statistics.mean(scores), statistics.median(scores)
        ax.axvline(mean, color="#c44e52", lw=1.5, label=f"mean {mean:.1f}")
        ax.axvline(median, color="#55a868", lw=1.5, ls="--", label=f"median {median:g}")
        ax.legend(frameon=False, loc="upper left")
    ax.set_xlim(0, top)
    ax.set_xlabel(f"score (out of {top:g})")
    ax.set_ylabel("students")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(title, loc="left", fontsize=11)
    return _png(fig)


def function_bars(names, shares, title):
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.0, 0.42 * len(names) + 0.9))
    y = list(range(len(names)))[::-1]
    ax.barh(y, [100 * s for s in shares], color="#4c72b0")
    ax.set_yticks(y, names, fontfamily="monospace")
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of the points earned by the class (%)")
    for yi, s in zip(y, shares):
        ax.text(min(100 * s + 1, 92), yi, f"{100 * s:.0f}%", va="center", fontsize=9)
    ax.set_title(title, loc="left", fontsize=11)
    return _png(fig)


def time_figure(seconds, title):
    plt = _plt()
    items = sorted(seconds.items(), key=lambda kv: kv[1])
    if len(items) <= 40:
        fig, ax = plt.subplots(figsize=(7.0, 0.28 * len(items) + 0.9))
        ax.barh(range(len(items)), [s for _, s in items], color="#8172b2")
        ax.set_yticks(range(len(items)), [n for n, _ in items], fontsize=8)
        ax.set_xlabel("seconds to grade the submission")
    else:
        fig, ax = plt.subplots(figsize=(7.0, 3.0))
        ax.hist([s for _, s in items], bins=30, color="#8172b2", edgecolor="white")
        ax.set_xlabel("seconds to grade a submission")
        ax.set_ylabel("submissions")
    ax.set_title(title, loc="left", fontsize=11)
    return _png(fig)


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


# --- the page --------------------------------------------------------------------

def assignment_section(course_dir, db_url, assignment):
    rows = grade_rows(db_url, assignment)
    results = cached_results(course_dir, assignment)
    if not rows:
        return "", {}
    top = max((r["max"] for r in rows), default=0)
    scores = [r["score"] for r in rows]
    pending = [(r["student"], r["pending"]) for r in rows if r["pending"]]
    stats = {"submissions": len(rows), "mean": statistics.mean(scores),
             "median": statistics.median(scores), "min": min(scores), "max": max(scores),
             "top": top, "pending": len(pending)}
    out = [f'<section class="rp-assignment" id="a-{e(assignment)}">',
           f'<h2>Assignment <code>{e(assignment)}</code></h2>',
           '<div class="rp-cards">']
    for label, value in (("submissions", f"{len(rows)}"),
                         ("mean", f"{stats['mean']:.1f} / {top:g}"),
                         ("median", f"{stats['median']:g}"),
                         ("range", f"{stats['min']:g} – {stats['max']:g}"),
                         ("to grade by hand", f"{len(pending)} submission"
                                              f"{'s' if len(pending) != 1 else ''}")):
        out.append(f'<div class="rp-card"><div class="rp-card-v">{e(value)}</div>'
                   f'<div class="rp-card-l">{e(label)}</div></div>')
    out.append('</div>')
    checked = sorted({d for per in results.values() for r in per for d in r.get("devices") or []},
                     key=lambda d: (d != "cpu", d))
    unchecked = [r for r in rows if any(m == 0 and gid.endswith("-devices")
                                        for gid, (_, m) in r["aspects"].items())]
    if checked:
        out.append(f'<p class="rp-devices">Devices checked: <b>{e(", ".join(checked))}</b>'
                   + (f'; the <code>devices</code> checks were not run and are worth 0 '
                      f'({len(unchecked)} submission{"s" if len(unchecked) != 1 else ""})'
                      if unchecked else '') + '.</p>')

    # distribution
    out.append('<h3>Score distribution</h3>')
    out.append(f'<img class="rp-fig" id="hist-{e(assignment)}" alt="histogram of the scores of '
               f'{e(assignment)}" src="data:image/png;base64,'
               f'{score_histogram(scores, top, f"{assignment}: {len(rows)} submissions")}">')

    # pass rates: function x aspect
    functions = [c for c in column_order(assignment, rows) if c in FUNCTIONS]
    aspects = [a for a in ASPECTS if any(a in FUNCTIONS[f].aspects for f in functions)]
    out.append('<h3>Pass rate of every function and aspect</h3>')
    out.append('<p class="rp-note">The share of submissions that passed each check '
               '(full points). Hover a cell for the counts.</p>')
    out.append('<table class="rp-table rp-heat"><thead><tr><th class="rp-l">function</th>')
    out += [f'<th title="{e(ASPECTS[a])}">{e(a)}</th>' for a in aspects]
    out.append('<th>points earned</th></tr></thead><tbody>')
    shares = []
    for f in functions:
        out.append(f'<tr class="rp-fn" data-function="{e(f)}"><td class="rp-l"><code>{e(f)}'
                   f'</code></td>')
        for a in aspects:
            if a not in FUNCTIONS[f].aspects:
                out.append('<td class="rp-na"></td>')
                continue
            gid = f"{f}-{a}"
            got = [r["aspects"][gid] for r in rows if gid in r["aspects"]]
            if got and not any(m for _, m in got):
                out.append(f'<td class="rp-unchecked" title="{e(gid)}: not checked, worth 0 '
                           f'in this course">not checked</td>')
                continue
            passed = sum(1 for s, m in got if m and s >= m)
            rate = passed / len(got) if got else 0.0
            out.append(f'<td style="background:{_rate_color(rate)}" title="{passed} of '
                       f'{len(got)} passed {e(gid)}">{100 * rate:.0f}%</td>')
        earned = sum(r["columns"].get(f, (0, 0))[0] for r in rows)
        possible = sum(r["columns"].get(f, (0, 0))[1] for r in rows)
        share = earned / possible if possible else 0.0
        shares.append(share)
        out.append(f'<td class="rp-num">{100 * share:.0f}%</td></tr>')
    out.append('</tbody></table>')
    if functions:
        out.append(f'<img class="rp-fig" alt="share of points per function" '
                   f'src="data:image/png;base64,'
                   f'{function_bars(functions, shares, "Points earned, per function")}">')

    # written answers
    answers = [c for c in column_order(assignment, rows) if c not in FUNCTIONS]
    if answers:
        out.append('<h3>Written answers (graded by hand)</h3>')
        out.append('<table class="rp-table"><thead><tr><th class="rp-l">question</th>'
                   '<th>graded</th><th>still to grade</th><th>mean so far</th>'
                   '</tr></thead><tbody>')
        for q in answers:
            todo = [r for r in rows if q in r["pending"]]
            done = [r for r in rows if q in r["columns"] and q not in r["pending"]]
            mean = (f'{statistics.mean(r["columns"][q][0] for r in done):.2f} / '
                    f'{done[0]["columns"][q][1]:g}') if done else "–"
            out.append(f'<tr data-answer="{e(q)}"><td class="rp-l"><code>{e(q)}</code></td>'
                       f'<td class="rp-num">{len(done)}</td><td class="rp-num">{len(todo)}</td>'
                       f'<td class="rp-num">{mean}</td></tr>')
        out.append('</tbody></table>')
        if pending:
            out.append('<p class="rp-note">Still to grade in formgrader: '
                       + ", ".join(e(s) for s, _ in pending) + '.</p>')

    # failure reasons
    reasons = failure_reasons(results)
    out.append('<h3>Most common failure reasons</h3>')
    if not results:
        out.append('<p class="rp-note">No cached results under .grader/results: run '
                   '<code>grader autograde</code> on this course to see them.</p>')
    elif not reasons:
        out.append('<p class="rp-note">No check failed.</p>')
    else:
        out.append('<table class="rp-table rp-reasons"><thead><tr><th class="rp-l">reason</th><th>students</th><th>failed checks</th>'
                   '<th class="rp-l">checks</th></tr></thead><tbody>')
        for g in reasons[:20]:
            checks = ", ".join(f"{gid} ×{n}" if n > 1 else gid
                               for gid, n in g["checks"].most_common(6))
            if len(g["checks"]) > 6:
                checks += f", … ({len(g['checks'])} checks)"
            example = (f'<div class="rp-eg">e.g. {e(g["example"])}</div>'
                       if len(g["variants"]) > 1 else "")
            out.append(f'<tr class="rp-reason"><td class="rp-l rp-mono">{e(g["reason"])}{example}</td>'
                       f'<td class="rp-num" title="{e(", ".join(sorted(g["students"])))}">'
                       f'{len(g["students"])}</td><td class="rp-num">{g["count"]}</td>'
                       f'<td class="rp-l rp-small">{e(checks)}</td></tr>')
        out.append('</tbody></table>')
        if len(reasons) > 20:
            out.append(f'<p class="rp-note">… and {len(reasons) - 20} rarer reasons.</p>')

    # incidents
    found = incidents(results)
    in_gradebook = {r["student"] for r in rows}
    found += [(student, "unrecorded", "", "a result was graded but is not in the gradebook")
              for student in sorted(set(results) - in_gradebook)
              if not any(r.get("not_recorded") for r in results[student])]
    out.append('<h3>Submissions that crashed, timed out or hit a limit</h3>')
    serious = [i for i in found if i[1] != "error"]
    if not serious:
        out.append('<p class="rp-note">None.</p>')
    else:
        out.append('<table class="rp-table rp-incidents"><thead><tr><th class="rp-l">student'
                   '</th><th>what</th><th class="rp-l">where</th><th class="rp-l">detail</th>'
                   '</tr></thead><tbody>')
        for student, kind, where, detail in serious:
            out.append(f'<tr class="rp-inc rp-{kind}"><td class="rp-l">{e(student)}</td>'
                       f'<td><span class="rp-tag rp-tag-{kind}">{e(_KIND[kind])}</span></td>'
                       f'<td class="rp-l">{e(where)}</td><td class="rp-l rp-mono rp-small">'
                       f'{e(detail[:300])}</td></tr>')
        out.append('</tbody></table>')
    errors = [i for i in found if i[1] == "error"]
    if errors:
        by = OrderedDict()
        for student, _, where, detail in errors:
            by.setdefault(student, []).append(f"{where}: {detail}")
        out.append('<p class="rp-note">Cells that raised an error while the notebook ran (the '
                   'rest was graded): ' + "; ".join(
                       f"<b>{e(s)}</b> ({len(v)}: {e(v[0][:80])}{' …' if len(v) > 1 else ''})"
                       for s, v in by.items()) + '.</p>')

    # grading time
    seconds = {s: sum(float(r.get("seconds") or 0) for r in per) for s, per in results.items()}
    out.append('<h3>Grading time</h3>')
    if seconds:
        vals = sorted(seconds.values())
        slow = sorted(seconds.items(), key=lambda kv: -kv[1])[:3]
        out.append(f'<p>{len(vals)} submissions took {sum(vals):.1f} s of grading in all '
                   f'(mean {statistics.mean(vals):.1f} s, median {statistics.median(vals):.1f} s, '
                   f'slowest {vals[-1]:.1f} s: '
                   + ", ".join(f"{e(s)} {t:.1f} s" for s, t in slow)
                   + '), not counting start-up; parallel workers share it out.</p>')
        out.append(f'<img class="rp-fig" alt="grading time per submission" '
                   f'src="data:image/png;base64,'
                   f'{time_figure(seconds, "Grading time per submission")}">')
    else:
        out.append('<p class="rp-note">No timings cached.</p>')
    out.append('</section>')
    stats.update(reasons=len(reasons), incidents=len(serious))
    return "\n".join(out), stats


_KIND = {"unreadable": "unreadable file", "timeout": "timed out", "crash": "crashed",
         "limit": "hit a limit", "error": "error", "ungraded": "not graded",
         "rebuilt": "recorded from the release", "unrecorded": "not recorded"}

CSS = """
:root { --ink:#1f2328; --muted:#656d76; --line:#d0d7de; --soft:#f6f8fa; }
* { box-sizing: border-box; }
body { margin:0; background:#f3f4f6; color:var(--ink); font-size:15px; line-height:1.5;
  font-family:-apple-system,"Segoe UI","Helvetica Neue",Arial,"Noto Sans","DejaVu Sans",sans-serif; }
main { max-width:1080px; margin:0 auto; padding:24px 16px 64px; }
header.rp-top, section.rp-assignment { background:#fff; border:1px solid var(--line);
  border-radius:10px; padding:20px 28px; margin-bottom:24px; }
h1 { margin:0; font-size:28px; }
h2 { margin:0 0 12px; font-size:22px; }
h3 { margin:28px 0 8px; font-size:17px; border-bottom:1px solid var(--line); padding-bottom:4px; }
code, .rp-mono { font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace; font-size:90%; }
.rp-sub, .rp-note { color:var(--muted); font-size:13px; }
.rp-toc a { margin-right:14px; }
.rp-cards { display:flex; gap:12px; flex-wrap:wrap; }
.rp-card { flex:1 1 150px; border:1px solid var(--line); border-radius:8px; padding:10px 14px;
  background:var(--soft); }
.rp-card-v { font-size:22px; font-weight:650; }
.rp-card-l { color:var(--muted); font-size:13px; }
img.rp-fig { display:block; max-width:100%; margin:8px 0; }
table.rp-table { border-collapse:collapse; width:100%; font-size:14px; margin:6px 0; }
.rp-table th, .rp-table td { border:1px solid var(--line); padding:5px 8px; text-align:center; }
.rp-table thead th { background:var(--soft); font-size:13px; white-space:nowrap; }
.rp-table .rp-l { text-align:left; }
.rp-table .rp-num { text-align:right; white-space:nowrap; }
.rp-table td.rp-na { background:repeating-linear-gradient(45deg,#fafafa,#fafafa 4px,#f0f0f0 4px,#f0f0f0 8px); }
.rp-heat td { font-variant-numeric:tabular-nums; }
.rp-heat td.rp-unchecked { color:var(--muted); font-size:12px; }
.rp-small { font-size:12px; color:#444; }
.rp-eg { color:var(--muted); font-size:12px; margin-top:2px; }
.rp-tag { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600;
  white-space:nowrap; }
.rp-tag-timeout { background:#fff1c2; color:#7a5200; }
.rp-tag-crash, .rp-tag-unreadable, .rp-tag-ungraded, .rp-tag-unrecorded { background:#fde2e1;
  color:#a4161a; }
.rp-tag-rebuilt { background:#e1ecfd; color:#1a3f8a; }
.rp-tag-limit { background:#e8e1fb; color:#4b2a99; }
footer { color:var(--muted); font-size:12px; text-align:center; }
"""


def report(course_dir=".", to="report.html", db_url=None, assignments=None):
    """Write the class report; return its path"""
    course_dir = Path(course_dir).resolve()
    db_url = db_url or default_db_url(course_dir)
    names = assignments or assignments_with_grades(db_url)
    sections, toc = [], []
    for name in names:
        body, stats = assignment_section(course_dir, db_url, name)
        if body:
            sections.append(body)
            toc.append(f'<a href="#a-{e(name)}"><code>{e(name)}</code></a> '
                       f'<span class="rp-sub">({stats["submissions"]} submissions, mean '
                       f'{stats["mean"]:.1f} / {stats["top"]:g})</span>')
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    page = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            "<title>Class report</title>", f"<style>{CSS}</style></head><body><main>",
            '<header class="rp-top"><h1>Class report</h1>',
            f'<div class="rp-sub">course <code>{e(course_dir)}</code> · written {e(now)}</div>']
    if toc:
        page.append('<p class="rp-toc">' + " ".join(toc) + "</p>")
    else:
        page.append('<p>No grades yet: run <code>grader autograde ASSIGNMENT</code> first.</p>')
    page.append("</header>")
    page += sections
    page.append("<footer>Scores from nbgrader's gradebook (hand grades included); reasons, "
                "incidents and times from the grader's cached results.</footer>")
    page.append("</main></body></html>")
    path = Path(to)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(page), encoding="utf-8")
    return path
