"""Recording a graded submission through nbgrader: the one gradebook writer

For each submission, nbgrader's own preprocessors sanitize the notebook
(outputs cleared, kernelspec and test cells overwritten from the source
notebook in the gradebook, deleted test cells restored, metadata checked),
`FillResults` writes each grade cell's verdict, as its output (a passed
check prints, a failed one is an error, which nbgrader scores 0: the
sentences from explain.message) and as data in the cell's metadata
(`grader.verdict`, which the feedback reads), then nbgrader's
SaveAutoGrades and AssignLatePenalties write the grades. Points therefore
come from the gradebook's copy of the source, never from the student's
metadata.

`Recorder` keeps one gradebook connection for a whole run and writes each
submission in ONE database transaction (transaction.py). The notebook it
records is parsed from the same bytes the worker graded (ledger.Submission).

A notebook that nbgrader cannot record as submitted (its preprocessors
raise KeyError or MissingEntry on some odd notebooks: all cells deleted,
a grade cell without its id, a solution cell flagged as a grade cell, ...)
costs only itself: it is recorded from the released notebook with the
student's answers put back into their cells, and says so at its top
(rebuild.py).
"""
import os
import shutil
import warnings
from dataclasses import replace
from pathlib import Path

import jsonschema
import nbformat
from nbconvert.preprocessors import Preprocessor
from nbgrader import utils
from nbgrader.nbgraderformat import common as _format_common
from nbgrader.nbgraderformat.v3 import MetadataValidatorV3
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearHiddenTests,
                                    ClearOutput, DeduplicateIds, OverwriteCells,
                                    OverwriteKernelspec, SaveAutoGrades)
from sqlalchemy.exc import SQLAlchemyError

from grader.checks.explain import REBUILT, message, problem
from grader.checks.verdict import Finding, Kind
from grader.notebooks import nbgrader_meta
from grader.rebuild import base_notebook, rebuilt_notebook
from grader.result import UNGRADED, GradeResult, zero_verdicts
from grader.rubrics import add_rubrics
from grader.transaction import Gradebook

FORMAT = 2   # of the `grader` metadata written into autograded notebooks


class FillResults(Preprocessor):
    """Write verdicts into grade cells: the words as the output, the data
    in the cell's metadata"""

    def __init__(self, result, **kw):
        super().__init__(**kw)
        self.result = result

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if utils.is_grade(cell) and not utils.is_solution(cell):
            gid = nbgrader_meta(cell).get("grade_id")
            verdict = self.result.verdicts.get(gid)
            cell.outputs = [_output(gid, verdict)]
            cell.execution_count = None
            if verdict is not None:   # what feedback reads (grader.feedback)
                cell.metadata["grader"] = {"verdict": verdict.to_json()}
        return cell, resources


def new_output(output_type, **fields):
    """nbformat.v4.new_output without validating each output on its own
    (0.5 ms each; the whole notebook is validated when it is written)"""
    if output_type == "error":
        fields.setdefault("traceback", [])
    elif output_type == "stream":
        fields.setdefault("name", "stdout")
    return nbformat.from_dict(dict(fields, output_type=output_type))


def _output(gid, verdict):
    if verdict is not None and not verdict.max_points:
        # worth nothing here (a `devices` aspect on a cpu-only course)
        return new_output("stream", name="stdout", text=message(verdict) + "\n")
    if verdict is None:
        from grader.checks.specs import parse_grade_id  # (imports torch: only when needed)
        try:
            parse_grade_id(gid)
            text = "this check was not run"
        except KeyError:
            text = f"unknown check {gid!r}"
        return new_output("error", ename="NotGraded", evalue=text, traceback=[text])
    if verdict.passed:
        said = message(verdict)
        return new_output("stream", name="stdout",
                          text=f"\u2714 {said}\n" if verdict.devices else said)
    lines = message(verdict).splitlines() or ["failed"]
    return new_output("error", ename="CheckFailed", evalue=lines[0], traceback=lines)


def _student_cell_notes(nb, result):
    """Say in each student cell what happened to it during grading"""
    for index, cell in enumerate(nb.cells):
        status = result.cells.get(str(index))
        if cell.cell_type == "code" and status and status.status != "ok":
            text = {"timeout": "stopped: it did not finish in time, so grading went on without it",
                    "crash": "it killed the process running it, so grading went on without it",
                    }.get(status.status, "it raised an error")
            cell.outputs = [new_output("stream", name="stdout",
                                       text=f"[grader] this cell {text}: {status.error}\n")]


# --- nbgrader's metadata check, with its schema compiled once -----------------

class _CompiledSchema(_format_common.BaseMetadataValidator):
    """nbgrader's BaseMetadataValidator.validate_cell, except that the JSON
    schema is compiled once instead of being re-checked for every cell
    (`jsonschema.validate` checks the schema itself each call: 0.4 s a
    notebook). Same checks, same errors (best_match, as jsonschema.validate)."""

    _compiled = {}

    def validate_cell(self, cell):
        if "nbgrader" not in cell.metadata:
            return
        schema = cell.metadata["nbgrader"].get("schema_version", 0)
        if schema < self.schema_version:
            raise _format_common.SchemaTooOldError(
                f"Outdated schema version: {schema} (expected {self.schema_version})",
                schema, self.schema_version)
        if schema > self.schema_version:
            raise _format_common.SchemaTooNewError(
                f"Schema version is too new: {schema} (expected {self.schema_version})",
                schema, self.schema_version)
        validator = self._compiled.get(self.schema_version)
        if validator is None:
            cls = jsonschema.validators.validator_for(self.schema)
            cls.check_schema(self.schema)
            validator = self._compiled[self.schema_version] = cls(self.schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(cell.metadata["nbgrader"]))
        if error is not None:
            raise error


class _MetadataValidator(MetadataValidatorV3, _CompiledSchema):
    """MRO: V3's own checks, then _CompiledSchema instead of the slow base"""


class FastCheckCellMetadata(CheckCellMetadata):
    """nbgrader's CheckCellMetadata with the compiled schema"""

    def preprocess(self, nb, resources):
        try:
            _MetadataValidator().validate_nb(nb)
        except _format_common.ValidationError:
            msg = "Notebook failed to validate; the nbgrader metadata may be corrupted."
            self.log.error(msg)
            raise _format_common.ValidationError(msg)
        return nb, resources


# --- the recorder ----------------------------------------------------------------

class Recorder:
    """The single writer of a run: one gradebook connection, one transaction
    per submission (see module doc)"""

    def __init__(self, course_dir, assignment, db_url):
        self.course_dir = Path(course_dir)
        self.assignment = assignment
        self.db_url = db_url
        self.gradebook = Gradebook(db_url)

    def close(self):
        self.gradebook.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def record(self, sub, result):
        """Sanitize, fill and save one submission's grades (a
        ledger.Submission and its GradeResult); write the autograded copy.
        All of the submission's rows are written in one transaction; the
        notebook file is written after it commits. Returns None, or why the
        notebook had to be rebuilt from the released one to be recorded (a
        Finding). Raises what the gradebook or the disk raised, or
        RecordingFailed when not even the rebuilt notebook could be."""
        with warnings.catch_warnings():  # nbformat's complaints about odd notebooks
            warnings.simplefilter("ignore")
            return self._record_either(sub, result)

    def _record_either(self, sub, result):
        """As submitted, else rebuilt from the released notebook"""
        nb = base_notebook(sub, result)
        try:
            self._record(sub, nb, result, cell_notes=True)
            return None
        except (OSError, SQLAlchemyError):
            raise  # the gradebook or the disk, not the notebook
        except Exception as exc:  # noqa: BLE001  (whatever nbgrader makes of an odd notebook)
            first = exc
        note = Finding("rebuilt", {"detail": _describe(first)})
        nb = rebuilt_notebook(sub, problem(note))
        if note not in result.problems:
            result = replace(result, problems=result.problems + [note])
        try:
            self._record(sub, nb, result, cell_notes=False)
        except Exception as exc:
            raise RecordingFailed(f"nbgrader could not record the notebook ({_describe(first)}), "
                                  f"nor the released notebook with its answers "
                                  f"({_describe(exc)})") from exc
        return note

    def _record(self, sub, nb, result, cell_notes):
        course_dir, assignment, student = self.course_dir, self.assignment, sub.student
        resources = {"nbgrader": {"notebook": sub.notebook, "assignment": assignment,
                                  "student": student, "db_url": self.db_url}}
        submitted_dir = Path(sub.path).parent
        timestamp = _timestamp(submitted_dir)
        with self.gradebook.transaction() as gb:
            gb.update_or_create_student(student)
            gb.update_or_create_submission(assignment, student, timestamp=timestamp)
            nb, resources = ClearOutput().preprocess(nb, resources)
            if cell_notes:  # by the cell's index in the notebook as it was graded
                _student_cell_notes(nb, result)
            for pp in (DeduplicateIds(), OverwriteKernelspec(),
                       OverwriteCells(add_missing_cells=True), FastCheckCellMetadata()):
                nb, resources = pp.preprocess(nb, resources)
            hidden = ClearHiddenTests()
            for cell in nb.cells:  # the autograded copy never holds hidden test code
                if utils.is_grade(cell) and cell.cell_type == "code":
                    hidden._remove_hidden_test_region(cell)
            for pp in (FillResults(result), SaveAutoGrades(), AssignLatePenalties(),
                       FastCheckCellMetadata()):
                nb, resources = pp.preprocess(nb, resources)
            add_rubrics(nb, assignment, sub.notebook)  # for graders in formgrader
            nb.metadata["grader"] = {"format": FORMAT, "devices": list(result.devices),
                                     "problems": [p.to_json() for p in result.problems],
                                     "checks": str(result.checks or "")}
            text = nbformat.writes(nb)  # before the commit: a failure here records nothing
        dest = course_dir / "autograded" / student / assignment
        dest.mkdir(parents=True, exist_ok=True)
        _atomic_write(dest / f"{sub.notebook}.ipynb", text)
        # nbgrader's release_feedback needs the secret that `collect` wrote
        for name in ("timestamp.txt", "submission_secret.txt"):
            if (submitted_dir / name).exists():
                shutil.copy(submitted_dir / name, dest / name)
        return dest / f"{sub.notebook}.ipynb"

    def test_cells(self, notebook_id):
        """[(grade id, max points)] of the notebook's automatically graded
        cells, from the gradebook"""
        source = self.gradebook.gb.find_notebook(notebook_id, self.assignment)
        answers = {cell.name for cell in source.solution_cells}
        return [(cell.name, cell.max_score) for cell in source.grade_cells
                if cell.name not in answers]


def ungraded(recorder, sub, exc, devices=()):
    """The result of a submission no worker could grade (`exc` says why): 0
    and the reason for every check (recorded, but neither kept under its
    key nor marked done: the next run grades it again)"""
    reason = Finding("ungraded", {"detail": f"{type(exc).__name__}: {str(exc)[:300]}"})
    try:
        cells = recorder.test_cells(sub.notebook)
    except Exception:  # noqa: BLE001  (a notebook the gradebook does not know: not recorded)
        cells = []
    return GradeResult(zero_verdicts(cells, Kind.UNGRADED, reason), problems=[reason],
                       devices=list(devices), state=UNGRADED)


class RecordingFailed(RuntimeError):
    """Not even the released notebook with the student's answers could be recorded"""


def _describe(exc):
    """An exception in one line"""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0][:200] if lines else ''}".rstrip(": ")


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


__all__ = ["Recorder", "FillResults", "RecordingFailed", "ungraded", "REBUILT"]
