"""What a feedback page says about the checks: nbgrader preprocessors

They run in nbgrader's GenerateFeedback (feedback.py) on the autograded
notebook, whose grade cells hold their verdicts as data (record.py writes
`grader.verdict` into each one's metadata):

- `StripRubrics` drops the graders' rubric cells (grader/rubrics.py);
- `CleanOutputs` strips ANSI escapes from every output;
- `FeedbackDetail` cuts what each failing check says down to the level the
  page is written at (the service's policy before a deadline);
- `FeedbackSummary` reads each check's points (nbgrader's GetGrades) and
  verdict, and builds the summary at the top of the page
  (feedback_summary.py): a table of functions × aspects, the written
  answers with the grader's comments, and "what to fix", each failing
  check's counterexample in words (explain.message), checks of a function
  that failed the same way on the same call said once.
"""
import json
import re

from nbconvert.preprocessors import Preprocessor as _Preprocessor
from traitlets import Bool, Unicode

from grader.checks import explain
from grader.checks.verdict import Verdict
from grader.feedback_summary import status, summary_html
from grader.notebooks import nbgrader_meta

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")

# How much a feedback page says about each failing check (the service's
# policy before a deadline, grader/service/policy.py): the score only; the
# table of checks with no reasons; reasons whose counterexamples are
# published examples (hidden inputs stay hidden); everything
DETAIL_LEVELS = ("score", "table", "public", "full")
WITHHELD = "(what failed is shown after the deadline)"
# reasons that do not name the function: where several functions fail for
# one of them, the page says it once for all
GENERAL_REASONS = ("unreadable", "too big", "ungraded", "no check", "forbidden name")


class Preprocessor(_Preprocessor):
    """nbconvert's base, enabled by default (nbgrader registers by name)"""
    enabled = Bool(True).tag(config=True)


def strip_ansi(text):
    return ANSI.sub("", text or "")


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


def verdict_of(cell):
    """The verdict record.py kept in a grade cell, or None"""
    data = (cell.get("metadata") or {}).get("grader") or {}
    try:
        return Verdict.from_json(data["verdict"])
    except (KeyError, TypeError, ValueError):
        return None


def words(verdict):
    """A verdict's message as a page shows it (as the cell's output lines)"""
    return strip_ansi("\n".join(explain.message(verdict).splitlines())).strip("\n")


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


def _test_cell(cell):
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")


class FeedbackDetail(Preprocessor):
    """Cut each failing check down to `level` (before FeedbackSummary): its
    verdict, the published examples' one (`public`), or nothing"""
    level = Unicode("full").tag(config=True)

    def preprocess(self, nb, resources):
        if self.level not in DETAIL_LEVELS:
            raise ValueError(f"feedback level {self.level!r}: use one of {DETAIL_LEVELS}")
        resources["grader_level"] = self.level
        if self.level == "full":
            return nb, resources
        if self.level == "score":  # not even which checks failed
            nb.cells = [c for c in nb.cells if not _test_cell(c)]
            return nb, resources
        for cell in nb.cells:
            if not _test_cell(cell):
                continue
            if not any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                continue
            verdict = verdict_of(cell)
            public = verdict.public if verdict is not None else None
            grader = cell.metadata.setdefault("grader", {})
            if self.level == "public" and public is not None:
                grader["verdict"] = public.to_json()
                text = explain.message(public)
            else:
                grader.pop("verdict", None)
                grader["withheld"] = True
                text = WITHHELD
            cell.outputs = [{"output_type": "error", "ename": "CheckFailed",
                             "evalue": text.splitlines()[0] if text else "",
                             "traceback": text.splitlines()}]
        return nb, resources


class FeedbackSummary(Preprocessor):
    """Collect every check and written answer; runs after GetGrades"""

    def preprocess(self, nb, resources):
        from grader.checks.specs import ASPECTS, parse_grade_id
        checks, answers = [], []
        questions = {}
        for cell in nb.cells:
            gid = nbgrader_meta(cell).get("grade_id") or ""
            if cell.cell_type == "markdown" and gid.endswith("-question"):
                m = re.search(r"\*\*(Question\s*\d+)\.?\*\*", cell.source)
                questions[gid[:-len("-question")]] = m.group(1) if m else None
        for cell in nb.cells:
            meta = nbgrader_meta(cell)
            gid = meta.get("grade_id")
            if not meta.get("grade") or not gid:
                continue
            score, points = meta.get("score"), meta.get("points")
            if cell.cell_type == "code" and not meta.get("solution"):
                item = _check(cell, gid, score, points, ASPECTS, parse_grade_id)
                cell.metadata["grader_check"] = {k: v for k, v in item.items() if k != "key"}
                checks.append(item)
            else:
                item = {"grade_id": gid, "label": questions.get(gid) or gid,
                        "score": score, "points": points,
                        "status": status(score, points),
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
                "problems": [_problem(p) for p in graded.get("problems") or []],
                "checks_version": str(graded.get("checks") or ""),
                "level": resources.get("grader_level", "full")}
        order = [a for a in ASPECTS if any(c["aspect"] == a for c in checks)]
        info["summary_html"] = summary_html(info, order)
        resources["grader"] = info
        return nb, resources


def _check(cell, gid, score, points, aspects, parse_grade_id):
    """A check as the summary shows it: its function and aspect, points,
    status, message, and how it groups with others (`key`, `names`)"""
    try:
        spec, aspect = parse_grade_id(gid)
        function, desc = spec.name, aspects.get(aspect, aspect)
    except KeyError:
        function, aspect, desc = gid, "", ""
    verdict = verdict_of(cell)
    withheld = bool(((cell.get("metadata") or {}).get("grader") or {}).get("withheld"))
    if withheld:
        message, key, names = WITHHELD, ("withheld",), False
    elif verdict is not None:
        message = words(verdict)
        names = verdict.reason is not None and verdict.reason.code not in GENERAL_REASONS
        fields = verdict.to_json()   # what failed, where: all but the counts and points
        key = json.dumps([fields[k] for k in ("reason", "call", "expected", "got", "gradient")],
                         sort_keys=True)
    else:   # a cell without a verdict (a check that was not run)
        message = output_text(cell)
        message = message[2:] if message.startswith("\u2714 ") else message
        key, names = message, False
    return {"grade_id": gid, "function": function, "aspect": aspect, "description": desc,
            "score": score, "points": points,
            "status": status(score if score is not None else 0, points), "message": message,
            "key": (names and function, key), "call": verdict is not None and not withheld
            and verdict.call is not None}


def _problem(p):
    """A problem kept in the autograded notebook's metadata, in words
    (notebooks recorded before problems were data hold the words)"""
    from grader.checks.verdict import Finding
    return explain.problem(Finding.from_json(p)) if isinstance(p, dict) else str(p)


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
