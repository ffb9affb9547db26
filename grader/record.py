"""Recording a graded submission through nbgrader: the one gradebook writer

For each submission, nbgrader's own preprocessors sanitize the notebook
(outputs cleared, kernelspec and test cells overwritten from the source
notebook in the gradebook, deleted test cells restored, metadata checked),
`FillResults` writes each grade cell's verdict as its output (a passed
check prints, a failed one is an error, which nbgrader scores 0), then
nbgrader's SaveAutoGrades and AssignLatePenalties write the grades. Points
therefore come from the gradebook's copy of the source, never from the
student's metadata.
"""
import datetime
import json
import os
import shutil
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearHiddenTests,
                                    ClearOutput, DeduplicateIds, OverwriteCells,
                                    OverwriteKernelspec, SaveAutoGrades)

from grader.checks.specs import parse_grade_id

MARKER = ".grader.json"


class FillResults(Preprocessor):
    """Write verdicts into grade cells and cell problems into student cells"""

    def __init__(self, result, **kw):
        super().__init__(**kw)
        self.result = result

    def preprocess_cell(self, cell, resources, index):
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        gid = meta.get("grade_id")
        if cell.cell_type != "code":
            return cell, resources
        if utils.is_grade(cell) and not utils.is_solution(cell):
            verdict = self.result["verdicts"].get(gid)
            cell.outputs = [_output(gid, verdict)]
            cell.execution_count = None
        return cell, resources

    def preprocess(self, nb, resources):
        nb, resources = super().preprocess(nb, resources)
        return nb, resources


def _output(gid, verdict):
    if verdict is None:
        try:
            parse_grade_id(gid)
            text = "this check was not run"
        except KeyError:
            text = f"unknown check {gid!r}"
        return new_output("error", ename="NotGraded", evalue=text, traceback=[text])
    if verdict["passed"]:
        devices = ", ".join(verdict.get("devices") or [])
        return new_output("stream", name="stdout",
                          text=f"\u2714 {verdict['message']}\n" if devices else verdict["message"])
    lines = verdict["message"].splitlines() or ["failed"]
    return new_output("error", ename="CheckFailed", evalue=lines[0], traceback=lines)


def _student_cell_notes(nb, result):
    """Say in each student cell what happened to it during grading"""
    cells = result.get("cells") or {}
    for index, cell in enumerate(nb.cells):
        status = cells.get(str(index))
        if cell.cell_type == "code" and status and status.get("status") != "ok":
            text = {"timeout": "stopped: it did not finish in time, so grading went on without it",
                    "crash": "it killed the process running it, so grading went on without it",
                    }.get(status["status"], "it raised an error")
            cell.outputs = [new_output("stream", name="stdout",
                                       text=f"[grader] this cell {text}: {status.get('error')}\n")]


def record(course_dir, assignment, student, notebook_path, result, db_url):
    """Sanitize, fill and save one notebook's grades; write autograded/ copy"""
    course_dir = Path(course_dir)
    notebook_id = Path(notebook_path).stem
    resources = {"nbgrader": {"notebook": notebook_id, "assignment": assignment,
                              "student": student, "db_url": db_url}}
    submitted_dir = Path(notebook_path).parent
    timestamp = _timestamp(submitted_dir)
    with Gradebook(db_url) as gb:
        gb.update_or_create_student(student)
        gb.update_or_create_submission(assignment, student, timestamp=timestamp)
    nb = _base_notebook(notebook_path, assignment, result)
    nb.cells = [c for c in nb.cells]
    for pp in (ClearOutput(), DeduplicateIds(), OverwriteKernelspec(),
               OverwriteCells(), CheckCellMetadata()):
        nb, resources = pp.preprocess(nb, resources)
    _student_cell_notes(nb, result)
    hidden = ClearHiddenTests()
    for cell in nb.cells:  # the autograded copy never holds hidden test code
        if utils.is_grade(cell) and cell.cell_type == "code":
            hidden._remove_hidden_test_region(cell)
    for pp in (FillResults(result), SaveAutoGrades(), AssignLatePenalties(), CheckCellMetadata()):
        nb, resources = pp.preprocess(nb, resources)
    dest = course_dir / "autograded" / student / assignment
    dest.mkdir(parents=True, exist_ok=True)
    _atomic_write(dest / f"{notebook_id}.ipynb", nbformat.writes(nb))
    if (submitted_dir / "timestamp.txt").exists():
        shutil.copy(submitted_dir / "timestamp.txt", dest / "timestamp.txt")
    return dest / f"{notebook_id}.ipynb"


def _base_notebook(path, assignment, result):
    """The submission, or for an unreadable file the released notebook, so
    that the autograded copy and the feedback still say what happened"""
    from grader.course import EXERCISES
    try:
        with open(path, encoding="utf-8") as f:
            nb = nbformat.read(f, as_version=4)
        if isinstance(nb.get("cells"), list):
            return nb
    except Exception:  # noqa: BLE001
        pass
    released = EXERCISES / assignment / Path(path).name
    with open(released, encoding="utf-8") as f:
        nb = nbformat.read(f, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(
        f"**The submitted file could not be read**: {'; '.join(result.get('problems', []))}. "
        f"Every check scored 0."))
    return nb


def _timestamp(folder):
    path = folder / "timestamp.txt"
    if path.exists():
        text = path.read_text().strip()
        if text:
            try:
                return utils.parse_utc(text)
            except Exception:  # noqa: BLE001
                return None
    return None


def _atomic_write(path, text):
    tmp = Path(str(path) + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_marker(course_dir, assignment, student, key, summary):
    dest = Path(course_dir) / "autograded" / student / assignment
    dest.mkdir(parents=True, exist_ok=True)
    _atomic_write(dest / MARKER, json.dumps(dict(summary, key=key,
                  recorded=datetime.datetime.now(datetime.timezone.utc).isoformat())))


def read_marker(course_dir, assignment, student):
    path = Path(course_dir) / "autograded" / student / assignment / MARKER
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
