"""The summary at the top of a feedback page, as HTML

From the checks and written answers FeedbackSummary (feedback_checks.py)
collected: the score, a table of functions × aspects with ✔/✘ and points,
the written answers with the grader's comments, and "what to fix", each
failing check's counterexample (checks of a function that failed the same
way on the same call once). Everything is escaped here; the page's
template (grader/templates/feedback) inserts it raw.
"""
import html
from collections import OrderedDict


def _fmt(x):
    return "–" if x is None else f"{float(x):g}"


def status(score, points):
    """pass, partial, fail; ungraded (no score yet), unchecked (worth nothing here)"""
    if score is None:
        return "ungraded"
    if points == 0:
        return "unchecked"  # worth nothing in this course
    if points and score >= points:
        return "pass"
    return "partial" if score > 0 else "fail"


def _markdown(text):
    from nbconvert.filters import markdown2html
    return markdown2html(text)


def summary_html(info, aspects):
    """The top of the page: score, table of functions × aspects, written
    answers, what to fix (all escaped here; the template inserts it raw)"""
    e = lambda s: html.escape(str(s), quote=True)
    checks, answers = info["checks"], info["answers"]
    rows = OrderedDict()
    for c in checks:
        rows.setdefault(c["function"], {})[c["aspect"]] = c
    score, top = info.get("score"), info.get("max_score")
    pending = [a for a in answers if a["score"] is None]
    pct = 100.0 * (score or 0) / top if top else 0.0
    out = ['<section class="fb-summary" id="summary">',
           '<div class="fb-head">',
           f'<div class="fb-title"><h1>{e(info["assignment"])}</h1>'
           f'<div class="fb-sub">Feedback for <b>{e(info["student"])}</b> · '
           f'notebook <code>{e(info["notebook"])}.ipynb</code></div></div>',
           f'<div class="fb-score"><div><span class="fb-big">{_fmt(score)}</span>'
           f' / {_fmt(top)} points</div>'
           f'<div class="fb-bar"><span style="width:{pct:.1f}%"></span></div>']
    if pending:
        left = sum(a["points"] or 0 for a in pending)
        out.append(f'<div class="fb-note">{len(pending)} written answer'
                   f'{"s" if len(pending) != 1 else ""} ({_fmt(left)} points) not graded yet</div>')
    if info.get("late_penalty"):
        out.append(f'<div class="fb-note fb-late">late penalty: −{_fmt(info["late_penalty"])}</div>')
    out.append('</div></div>')
    if info.get("devices"):
        unchecked = any(c["status"] == "unchecked" for c in checks)
        out.append(f'<p class="fb-devices">Checked on: <b>{e(", ".join(info["devices"]))}</b>'
                   + (' (the <code>devices</code> checks were not run: they are worth 0 here)'
                      if unchecked else '') + '</p>')
    if info.get("problems"):
        out.append('<div class="fb-problems"><b>While grading your notebook:</b><ul>'
                   + "".join(f"<li>{e(p)}</li>" for p in info["problems"]) + '</ul></div>')
    level = info.get("level", "full")
    if level != "full" or info.get("checks_version"):
        shows = {"score": "your score only", "table": "which checks passed, without reasons",
                 "public": "which checks passed, and for those that failed a counterexample "
                           "from the published examples when there is one",
                 "full": "every check with its counterexample"}[level]
        out.append('<p class="fb-level">'
                   + (f'Until the deadline this page shows {e(shows)}. ' if level != "full"
                      else "")
                   + (f'Graded with checks version <code>{e(info["checks_version"])}</code>.'
                      if info.get("checks_version") else "") + '</p>')

    # functions × aspects
    if rows and level != "score":
        out.append('<h2>Checks, function by function</h2>')
        out.append('<table class="fb-table"><thead><tr><th class="fb-fn">function</th>')
        for a in aspects:
            out.append(f'<th title="{e(_aspect_title(a))}">{e(a)}</th>')
        out.append('<th class="fb-pts">points</th></tr></thead><tbody>')
        for fn, cells in rows.items():
            got = sum((c["score"] or 0) for c in cells.values())
            top_fn = sum((c["points"] or 0) for c in cells.values())
            cls = status(got, top_fn)
            first = next(iter(cells.values()))["grade_id"]
            out.append(f'<tr class="fb-row-{cls}"><td class="fb-fn"><a href="#{e(first)}">'
                       f'<code>{e(fn)}</code></a></td>')
            for a in aspects:
                c = cells.get(a)
                if c is None:
                    out.append('<td class="fb-na" title="not checked for this function"></td>')
                    continue
                mark = {"pass": "\u2714", "partial": "\u25d1",
                        "unchecked": "\u2013"}.get(c["status"], "\u2718")
                title = c["message"] if c["status"] == "unchecked" else c["description"]
                out.append(f'<td class="fb-{c["status"]}" title="{e(title)}">'
                           f'<a href="#{e(c["grade_id"])}"><span class="fb-mark">{mark}</span> '
                           f'{_fmt(c["score"] or 0)}/{_fmt(c["points"])}</a></td>')
            out.append(f'<td class="fb-pts">{_fmt(got)} / {_fmt(top_fn)}</td></tr>')
        out.append('</tbody></table>')
        out.append('<p class="fb-legend">\u2714 passed · \u2718 failed · \u2013 not checked '
                   'in this course · a blank: not checked for that function. Click a result to '
                   'jump to its check.</p>')

    # written answers
    if answers:
        out.append('<h2>Written answers</h2><table class="fb-table fb-answers"><thead><tr>'
                   '<th class="fb-fn">question</th><th class="fb-pts">points</th>'
                   '<th class="fb-fn">grader\'s comment</th></tr></thead><tbody>')
        for a in answers:
            pts = ("not graded yet" if a["score"] is None
                   else f'{_fmt(a["score"])} / {_fmt(a["points"])}')
            comment = _markdown(a["comment"]) if a["comment"] else \
                ('<span class="fb-muted">—</span>')
            out.append(f'<tr class="fb-row-{a["status"]}"><td><a href="#{e(a["grade_id"])}">'
                       f'{e(a["label"])}</a> <span class="fb-muted"><code>{e(a["grade_id"])}'
                       f'</code></span></td><td class="fb-pts">{pts}</td>'
                       f'<td class="fb-comment">{comment}</td></tr>')
        out.append('</tbody></table>')

    # what to fix
    failing = [c for c in checks if c["status"] not in ("pass", "unchecked")]
    if failing and level in ("table", "score"):
        out.append('<p class="fb-allgood">Some checks failed: the reasons are shown after '
                   'the deadline.</p>' if level == "table" else '')
    elif failing:
        out.append('<h2>What to fix</h2>')
        out.append('<p class="fb-legend">For each check that failed: the smallest call '
                   'on which your function went wrong, what was expected and what it '
                   'returned.</p>')
        for fn, group, body in fix_groups(failing):
            if len({c["function"] for c in group}) > 1:
                title = (f'{e(fn)}: ' + ", ".join(
                    f"<code>{e(f)}</code>" for f in OrderedDict.fromkeys(c["function"] for c in group)))
            else:
                title = (f'<code>{e(fn)}</code> — '
                         + e(", ".join(c["aspect"] or c["grade_id"] for c in group)))
            lost = sum((c["points"] or 0) - (c["score"] or 0) for c in group)
            anchor = group[0]["grade_id"]
            out.append(f'<div class="fb-fix"><div class="fb-fix-head"><span class="fb-x">'
                       f'\u2718</span> <a href="#{e(anchor)}">{title}</a>'
                       f'<span class="fb-lost">−{_fmt(lost)}</span></div>'
                       f'<pre class="fb-msg">{e(body)}</pre></div>')
    else:
        out.append('<p class="fb-allgood">Every check passed. Well done!</p>')
    out.append('</section>')
    return "\n".join(out)


def _aspect_title(aspect):
    from grader.checks.specs import ASPECTS
    return ASPECTS.get(aspect, aspect)


def fix_groups(failing):
    """[(title function, [checks], what to show)]: failing checks that failed
    for the same reason on the same call are shown once (a reason that does
    not name the function, once for every function it hit)"""
    groups = OrderedDict()
    for c in failing:
        groups.setdefault(c["key"], []).append(c)
    out = []
    for (fn, _), g in groups.items():
        if not fn:
            names = list(OrderedDict.fromkeys(c["function"] for c in g))
            fn = names[0] if len(names) == 1 else f"{len(g)} checks of {len(names)} functions"
        out.append((fn, g, g[0]["message"] if len(g) == 1 else _shared_message(g)))
    return out


def _shared_message(group):
    first = group[0]
    if first["call"]:
        body = "\n".join(first["message"].splitlines()[1:])
        return f"{first['function']} fails these {len(group)} checks on the same call:\n" + body
    return first["message"]
