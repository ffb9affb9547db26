"""`grader feedback`: nbgrader's feedback HTML, one page per student

The pages are written by nbgrader's own GenerateFeedback (so they reach
students the usual way, feedback/<student>/<assignment>/<notebook>.html)
with nbgrader's preprocessors (GetGrades, ClearHiddenTests) plus ours:

- `StripRubrics` drops the graders' rubric cells (grader/rubrics.py);
- `FeedbackSummary` reads each check's points and message, and builds the
  summary at the top of the page: a table of functions × aspects with
  ✔/✘ and points, the written answers with the grader's comments, and
  "what to fix", each failing check's counterexample in plain words;
- `CleanOutputs` strips ANSI escapes from every output.

The page uses our template (grader/templates/feedback, found before nbgrader's own), which shows
each check as a compact card instead of nbgrader's code panel. No hidden
test code reaches the page: the autograded notebook holds none (record.py)
and ClearHiddenTests runs again here. The summary also says which devices
were checked and what went wrong while grading (the autograded notebook's
`grader` metadata, written by record.py); a check worth nothing in this
course (`devices` where only the CPU is checked) shows as not checked.

One student's page that nbgrader cannot write costs only that page: the
others are written, and that student gets a plain page with their grades
and the reason.
"""
import html
import os
import re
from collections import OrderedDict
from pathlib import Path

from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbconvert.preprocessors import Preprocessor as _Preprocessor
from traitlets import Bool, Unicode

from grader.course import default_db_url, nbgrader_config

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE = "feedback"  # the name nbgrader's API insists on; ours comes first
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")


class Preprocessor(_Preprocessor):
    """nbconvert's base, enabled by default (nbgrader registers by name)"""
    enabled = Bool(True).tag(config=True)


def strip_ansi(text):
    return ANSI.sub("", text or "")


def _nb_meta(cell):
    return (cell.get("metadata") or {}).get("nbgrader") or {}


def output_text(cell):
    """What a test cell says: its stdout, or its error's lines, without ANSI"""
    parts = []
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream":
            parts.append(out.get("text", ""))
        elif kind == "error":
            parts.append("\n".join(out.get("traceback") or [])
                         or f"{out.get('ename', '')}: {out.get('evalue', '')}")
        elif kind in ("execute_result", "display_data"):
            parts.append((out.get("data") or {}).get("text/plain", ""))
    return strip_ansi("".join(p if p.endswith("\n") else p + "\n" for p in parts if p)).strip("\n")


def _status(score, points):
    if score is None:
        return "ungraded"
    if points == 0:
        return "unchecked"  # worth nothing in this course
    if points and score >= points:
        return "pass"
    return "partial" if score > 0 else "fail"


def _fmt(x):
    return "–" if x is None else f"{float(x):g}"


class StripRubrics(Preprocessor):
    """Graders' rubric cells never reach students"""

    def preprocess(self, nb, resources):
        from grader.rubrics import strip_rubrics
        return strip_rubrics(nb), resources


class CleanOutputs(Preprocessor):
    """No ANSI escapes in any output (tracebacks, coloured prints)"""

    def preprocess_cell(self, cell, resources, index):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                out["traceback"] = [strip_ansi(line) for line in out.get("traceback") or []]
                out["evalue"] = strip_ansi(out.get("evalue", ""))
            elif out.get("output_type") == "stream":
                out["text"] = strip_ansi(out.get("text", ""))
        return cell, resources


# How much a feedback page says about each failing check (the service's
# policy before a deadline, grader/service/policy.py): the score only; the
# table of checks with no reasons; reasons whose counterexamples are
# published examples (hidden inputs stay hidden); everything
DETAIL_LEVELS = ("score", "table", "public", "full")
WITHHELD = "(what failed is shown after the deadline)"


class FeedbackDetail(Preprocessor):
    """Cut each check's message down to `level` (before FeedbackSummary)"""
    level = Unicode("full").tag(config=True)

    def preprocess(self, nb, resources):
        if self.level not in DETAIL_LEVELS:
            raise ValueError(f"feedback level {self.level!r}: use one of {DETAIL_LEVELS}")
        resources["grader_level"] = self.level
        if self.level == "full":
            return nb, resources
        if self.level == "score":  # not even which checks failed
            nb.cells = [c for c in nb.cells if not (
                c.cell_type == "code" and _nb_meta(c).get("grade")
                and not _nb_meta(c).get("solution"))]
            return nb, resources
        for cell in nb.cells:
            meta = _nb_meta(cell)
            if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
                continue
            failed = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
            if not failed:
                continue
            public = ((cell.get("metadata") or {}).get("grader") or {}).get("public_message")
            text = public if self.level == "public" and public else WITHHELD
            cell.outputs = [{"output_type": "error", "ename": "CheckFailed",
                             "evalue": text.splitlines()[0] if text else "",
                             "traceback": text.splitlines()}]
        return nb, resources


class FeedbackSummary(Preprocessor):
    """Collect every check and written answer; runs after GetGrades"""

    def preprocess(self, nb, resources):
        from grader.checks.specs import ASPECTS, FUNCTIONS, parse_grade_id
        checks, answers = [], []
        questions = {}
        for cell in nb.cells:
            gid = _nb_meta(cell).get("grade_id") or ""
            if cell.cell_type == "markdown" and gid.endswith("-question"):
                m = re.search(r"\*\*(Question\s*\d+)\.?\*\*", cell.source)
                questions[gid[:-len("-question")]] = m.group(1) if m else None
        for cell in nb.cells:
            meta = _nb_meta(cell)
            gid = meta.get("grade_id")
            if not meta.get("grade") or not gid:
                continue
            score, points = meta.get("score"), meta.get("points")
            if cell.cell_type == "code" and not meta.get("solution"):
                try:
                    spec, aspect = parse_grade_id(gid)
                    function, desc = spec.name, ASPECTS.get(aspect, aspect)
                except KeyError:
                    function, aspect, desc = gid, "", ""
                message = output_text(cell)
                message = message[2:] if message.startswith("\u2714 ") else message
                item = {"grade_id": gid, "function": function, "aspect": aspect,
                        "description": desc, "score": score, "points": points,
                        "status": _status(score if score is not None else 0, points),
                        "message": message}
                cell.metadata["grader_check"] = item
                checks.append(item)
            else:
                item = {"grade_id": gid, "label": questions.get(gid) or gid,
                        "score": score, "points": points,
                        "status": _status(score, points),
                        "comment": meta.get("comment") or "",
                        "kind": "written" if cell.cell_type == "markdown" else "code"}
                cell.metadata["grader_answer"] = item
                answers.append(item)
        g = resources.setdefault("nbgrader", {})
        pending = _pending_answers(g, [a["grade_id"] for a in answers])
        for a in answers:
            if a["grade_id"] in pending:
                a["score"], a["status"] = None, "ungraded"
        graded = nb.metadata.get("grader") if isinstance(nb.metadata.get("grader"), dict) else {}
        info = {"assignment": g.get("assignment", ""), "student": g.get("student", ""),
                "notebook": g.get("notebook", ""), "score": g.get("score"),
                "max_score": g.get("max_score"), "late_penalty": g.get("late_penalty") or 0,
                "checks": checks, "answers": answers,
                "devices": [str(d) for d in graded.get("devices") or []],
                "problems": [str(p) for p in graded.get("problems") or []],
                "checks_version": str(graded.get("checks") or ""),
                "level": resources.get("grader_level", "full")}
        order = [a for a in ASPECTS if any(c["aspect"] == a for c in checks)]
        info["summary_html"] = summary_html(info, order, FUNCTIONS)
        resources["grader"] = info
        return nb, resources


def _pending_answers(g, grade_ids):
    """The answers no one has graded yet: neither an automatic score (an
    empty answer gets 0) nor a manual one"""
    if not grade_ids or not g.get("db_url"):
        return set()
    from nbgrader.api import Gradebook, MissingEntry
    out = set()
    with Gradebook(g["db_url"]) as gb:
        for gid in grade_ids:
            try:
                grade = gb.find_grade(gid, g["notebook"], g["assignment"], g["student"])
            except MissingEntry:
                continue
            if grade.manual_score is None and grade.auto_score is None:
                out.add(gid)
    return out


def _markdown(text):
    from nbconvert.filters import markdown2html
    return markdown2html(text)


def summary_html(info, aspects, functions=None):
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
            cls = _status(got, top_fn)
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
        for fn, group in _fix_groups(failing):
            if len({c["function"] for c in group}) > 1:
                title = (f'{e(fn)}: ' + ", ".join(
                    f"<code>{e(f)}</code>" for f in OrderedDict.fromkeys(c["function"] for c in group)))
            else:
                title = (f'<code>{e(fn)}</code> — '
                         + e(", ".join(c["aspect"] or c["grade_id"] for c in group)))
            lost = sum((c["points"] or 0) - (c["score"] or 0) for c in group)
            body = group[0]["message"] if len(group) == 1 else _shared_message(group)
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


def _body(message):
    lines = message.splitlines()
    if lines and lines[0].rstrip().endswith("but for the call"):
        return "\n".join(lines[1:])
    return message


def _fix_groups(failing):
    """[(function, [checks])]: failing checks of one function that failed
    for the same reason on the same call are shown once"""
    groups = OrderedDict()
    for c in failing:
        key = re.sub(r"\n\(\d+ of \d+ calls? failed[^\n]*\)\s*$", "", _body(c["message"]))
        # a reason that does not name the function (an unreadable notebook)
        # is said once for every function it hit
        fn = c["function"] if c["function"] in c["message"] else None
        groups.setdefault((fn, key), []).append(c)
    out = []
    for (fn, _), g in groups.items():
        if fn is None:
            names = list(OrderedDict.fromkeys(c["function"] for c in g))
            fn = names[0] if len(names) == 1 else f"{len(g)} checks of {len(names)} functions"
        out.append((fn, g))
    return out


def _shared_message(group):
    first = group[0]["message"].splitlines()
    if first and first[0].rstrip().endswith("but for the call"):
        return (f"{group[0]['function']} fails these {len(group)} checks on the same call:\n"
                + _body(group[0]["message"]))
    return group[0]["message"]


class FeedbackExporter(HTMLExporter):
    """nbconvert's HTMLExporter without its BeautifulSoup pass, which parses
    and writes out every page again (about a third of a page's time) to give
    images without one an alt text and JupyterLab-template cells a tabindex.
    Our template is the classic one (no such cells); images still get the
    alt text, by a regular expression."""

    def from_notebook_node(self, nb, resources=None, **kw):
        info = nb.metadata.get("language_info", {})
        lexer = info.get("pygments_lexer", info.get("name", None))
        self.register_filter("highlight_code", self.filters.get(
            "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return _NO_ALT.sub('<img alt="No description has been provided for this image"',
                           page), resources


_NO_ALT = re.compile(r"<img(?![^>]*\balt=)")


PREPROCESSORS = [
    "grader.feedback.StripRubrics",
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "grader.feedback.CleanOutputs",
    "grader.feedback.FeedbackDetail",
    "grader.feedback.FeedbackSummary",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]


def feedback_config(config):
    """Make nbgrader's GenerateFeedback write our pages (in place)"""
    nbgrader_templates = Path(__import__("nbgrader").__file__).parent / \
        "server_extensions" / "formgrader" / "templates"
    config.GenerateFeedback.preprocessors = list(PREPROCESSORS)
    config.GenerateFeedback.exporter_class = "grader.feedback.FeedbackExporter"
    config.HTMLExporter.template_name = TEMPLATE
    config.HTMLExporter.extra_template_basedirs = [str(TEMPLATES), str(nbgrader_templates)]
    return config


def write_nbgrader_config(course_dir, db_url=None, force=False):
    """Write DIR/nbgrader_config.py, so that nbgrader's own tools started in
    DIR (formgrader's "generate feedback" button, `nbgrader generate_feedback`)
    see the course as the grader does and write the same pages: without it
    they would use nbgrader's stock feedback, which shows graders' rubric
    cells. An existing file is kept unless force."""
    course_dir = Path(course_dir).resolve()
    path = course_dir / "nbgrader_config.py"
    if path.exists() and not force:
        return path
    config = feedback_config(nbgrader_config(course_dir, db_url=db_url or default_db_url(course_dir)))
    config.HTMLExporter.pop("template_name", None)  # nbgrader's API sets it
    lines = ["# Written by `grader` (grader/feedback.py: write_nbgrader_config).",
             "c = get_config()  # noqa: F821"]
    for section in sorted(config):
        for key, value in sorted(config[section].items()):
            if key == "db_url" and not str(value).startswith("sqlite"):
                lines.append("# c.CourseDirectory.db_url: set it here (it may hold a password)")
                continue
            lines.append(f"c.{section}.{key} = {value!r}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# A worker process costs about as much to start as 20 pages: one worker per
# 20 pages at most (so one process below 40)
PAGES_PER_WORKER = 20


def feedback(assignment, course_dir=".", db_url=None, student="*", workers=None,
             level="full"):
    """Write feedback/<student>/<assignment>/<notebook>.html for every
    autograded notebook (of one student, or all: "*"); return the pages.
    `level` (DETAIL_LEVELS) says how much a page tells of a failing check.
    nbgrader writes them, in `workers` processes (default: all cores) for a
    large class; a page it cannot write is tried once more on its own, then
    replaced by a plain page with the grades and the reason."""
    course_dir = Path(course_dir).resolve()
    db_url = db_url or default_db_url(course_dir)
    graded = _autograded(course_dir, assignment, student)
    for who, notebook in graded:  # a page left from an earlier run must not pass for a new one
        _page(course_dir, who, assignment, notebook).unlink(missing_ok=True)
    students = sorted({w for w, _ in graded})
    workers = max(1, min(workers or os.cpu_count() or 1, len(students) // PAGES_PER_WORKER))
    if level not in DETAIL_LEVELS:
        raise ValueError(f"feedback level {level!r}: use one of {', '.join(DETAIL_LEVELS)}")
    if student != "*" or workers == 1 or any("," in w for w in students) or level != "full":
        log = _generate(_api(course_dir, db_url, level=level), assignment, student)
    else:
        import concurrent.futures as cf
        import multiprocessing
        shares = [students[i::workers] for i in range(workers)]
        with cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver")) \
                as pool:
            logs = list(pool.map(_generate_share, [course_dir] * workers, [db_url] * workers,
                                 [assignment] * workers,
                                 [sorted(set(students) - set(share)) for share in shares]))
        log = "\n".join(logs)
    missing = [(w, n) for w, n in graded if not _page(course_dir, w, assignment, n).exists()]
    if missing and student == "*":  # nbgrader stops at some failures: the rest one by one
        api = _api(course_dir, db_url)
        logs = {w: _generate(api, assignment, w) for w in sorted({w for w, _ in missing})}
        missing = [(w, n) for w, n in missing if not _page(course_dir, w, assignment, n).exists()]
    else:
        logs = {w: log for w, _ in missing}
    for who, notebook in missing:
        write_plain_page(course_dir, db_url, who, assignment, notebook,
                         _reason(logs.get(who, "")))
    return sorted(_page(course_dir, w, assignment, n) for w, n in graded
                  if _page(course_dir, w, assignment, n).exists())


def _api(course_dir, db_url, exclude=(), level="full"):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    config = feedback_config(nbgrader_config(course_dir, db_url=db_url))
    config.FeedbackDetail.level = level
    if exclude:
        config.CourseDirectory.student_id_exclude = ",".join(exclude)
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    api.log.setLevel("ERROR")
    return api


def _generate_share(course_dir, db_url, assignment, exclude):
    """In a worker process: the pages of every student but `exclude`"""
    return _generate(_api(course_dir, db_url, exclude), assignment, "*")


def _autograded(course_dir, assignment, student):
    """[(student, notebook id)] of the autograded notebooks"""
    root = course_dir / "autograded"
    folders = [root / student] if student != "*" else \
        (sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else [])
    return [(folder.name, nb.stem) for folder in folders
            for nb in sorted((folder / assignment).glob("*.ipynb"))]


def _page(course_dir, student, assignment, notebook):
    return course_dir / "feedback" / student / assignment / f"{notebook}.html"


def _generate(api, assignment, student):
    """nbgrader's generate_feedback; its log (never raises)"""
    try:
        result = api.generate_feedback(assignment, student_id=student, force=True)
        return "" if result["success"] else str(result.get("log") or result.get("error") or "")
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"


def _reason(log):
    """The last error nbgrader logged, in one line"""
    found = re.findall(r"^\s*([A-Za-z_][\w.]*(?:Error|Exception|Entry|Interrupt)\b.*)$", log,
                       re.M)
    return found[-1][:300] if found else "nbgrader could not write the page"


def write_plain_page(course_dir, db_url, student, assignment, notebook, reason):
    """A page with the student's grades from the gradebook, each check's
    message from the grader's cached result, and why nbgrader's page is
    missing"""
    from nbgrader.api import Gradebook

    from grader.course import results_path
    e = lambda t: html.escape(str(t), quote=True)
    try:
        with Gradebook(db_url) as gb:
            sub = gb.find_submission_notebook(notebook, assignment, student)
            grades = [(g.name, g.score, g.max_score) for g in sub.grades]
    except Exception:  # noqa: BLE001
        grades = []
    try:
        import json
        cached = json.loads(results_path(course_dir, assignment, student, notebook)
                            .read_text(encoding="utf-8"))["result"]
        verdicts, problems = cached.get("verdicts") or {}, cached.get("problems") or []
    except Exception:  # noqa: BLE001
        verdicts, problems = {}, []
    score = sum(g[1] or 0 for g in grades)
    top = sum(g[2] or 0 for g in grades)
    rows = "".join(
        f"<tr><td><code>{e(name)}</code></td><td>{_fmt(got or 0)} / {_fmt(most)}</td>"
        f"<td><pre>{e((verdicts.get(name) or {}).get('message', ''))}</pre></td></tr>"
        for name, got, most in grades)
    page = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<title>{e(assignment)}: feedback for {e(student)}</title></head><body>'
            f'<h1>{e(assignment)}</h1><p>Feedback for <b>{e(student)}</b> · notebook '
            f'<code>{e(notebook)}.ipynb</code> · {_fmt(score)} / {_fmt(top)} points</p>'
            f'<p>The full feedback page could not be made ({e(reason)}); your grades and '
            f'what each check found are below.</p>'
            + (f'<p>While grading your notebook: {e("; ".join(problems))}</p>' if problems else "")
            + f'<table border="1" cellpadding="4"><tr><th>check</th><th>points</th>'
            f'<th>what it found</th></tr>{rows}</table></body></html>')
    path = _page(course_dir, student, assignment, notebook)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
