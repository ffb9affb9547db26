"""`grader feedback`: nbgrader's feedback HTML, one page per student

The pages are written by nbgrader's own GenerateFeedback (so they reach
students the usual way, feedback/<student>/<assignment>/<notebook>.html)
with nbgrader's preprocessors (GetGrades, ClearHiddenTests) plus ours
(feedback_checks.py: rubric cells out, ANSI escapes out, the detail a page
may show, and the summary at the top, made from each check's points and
verdict).

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
from pathlib import Path

from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

from grader.course import default_db_url, nbgrader_config
# the preprocessors, by the names courses' nbgrader_config.py files written
# before they moved still give them
from grader.feedback_checks import (DETAIL_LEVELS, CleanOutputs, FeedbackDetail,  # noqa: F401
                                    FeedbackSummary, StripRubrics)

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE = "feedback"  # the name nbgrader's API insists on; ours comes first


def _fmt(x):
    return "\u2013" if x is None else f"{float(x):g}"


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
    "grader.feedback_checks.StripRubrics",
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "grader.feedback_checks.CleanOutputs",
    "grader.feedback_checks.FeedbackDetail",
    "grader.feedback_checks.FeedbackSummary",
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
    from grader.gradebook import nbgrader_api
    config = feedback_config(nbgrader_config(course_dir, db_url=db_url))
    config.FeedbackDetail.level = level
    if exclude:
        config.CourseDirectory.student_id_exclude = ",".join(exclude)
    return nbgrader_api(course_dir, db_url, config)


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
    message from the grader's kept result, and why nbgrader's page is
    missing"""
    from nbgrader.api import Gradebook

    from grader import ledger
    from grader.checks.explain import message, problem
    e = lambda t: html.escape(str(t), quote=True)
    try:
        with Gradebook(db_url) as gb:
            sub = gb.find_submission_notebook(notebook, assignment, student)
            grades = [(g.name, g.score, g.max_score) for g in sub.grades]
    except Exception:  # noqa: BLE001
        grades = []
    result = ledger.kept(course_dir, assignment, student, notebook)
    said = {} if result is None else {g: message(v) for g, v in result.verdicts.items()}
    problems = [] if result is None else [problem(p) for p in result.problems]
    score = sum(g[1] or 0 for g in grades)
    top = sum(g[2] or 0 for g in grades)
    rows = "".join(
        f"<tr><td><code>{e(name)}</code></td><td>{_fmt(got or 0)} / {_fmt(most)}</td>"
        f"<td><pre>{e(said.get(name, ''))}</pre></td></tr>"
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
