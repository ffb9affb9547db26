"""Recording a graded submission through nbgrader: the one gradebook writer

For each submission, nbgrader's own preprocessors sanitize the notebook
(outputs cleared, kernelspec and test cells overwritten from the source
notebook in the gradebook, deleted test cells restored, metadata checked),
`FillResults` writes each grade cell's verdict as its output (a passed
check prints, a failed one is an error, which nbgrader scores 0), then
nbgrader's SaveAutoGrades and AssignLatePenalties write the grades. Points
therefore come from the gradebook's copy of the source, never from the
student's metadata.

`Recorder` keeps one gradebook connection for a whole run and writes each
submission in ONE database transaction: nbgrader's preprocessors commit
after every cell, which inside a recorder only flushes; the transaction
commits when the whole submission is written. A run killed mid-way leaves
each submission either fully recorded or not at all, and a submission
costs one commit (one fsync on SQLite) instead of about sixty.
"""
import contextlib
import datetime
import json
import os
import shutil
from pathlib import Path

import jsonschema
import nbformat
from nbconvert.preprocessors import Preprocessor
from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.nbgraderformat import common as _format_common
from nbgrader.nbgraderformat.v3 import MetadataValidatorV3
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearHiddenTests,
                                    ClearOutput, DeduplicateIds, OverwriteCells,
                                    OverwriteKernelspec, SaveAutoGrades)
from sqlalchemy.orm import Session, scoped_session, sessionmaker
from grader.rubrics import add_rubrics

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


def new_output(output_type, **fields):
    """nbformat.v4.new_output without validating each output on its own
    (0.5 ms each; the whole notebook is validated when it is written)"""
    if output_type == "error":
        fields.setdefault("traceback", [])
    elif output_type == "stream":
        fields.setdefault("name", "stdout")
    return nbformat.from_dict(dict(fields, output_type=output_type))


def _output(gid, verdict):
    if verdict is None:
        from grader.checks.specs import parse_grade_id  # (imports torch: only when needed)
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


# --- one gradebook, one transaction per submission -----------------------------

class _BatchSession(Session):
    """A session whose commit() only flushes while `batching` is set"""
    batching = False

    def commit(self):
        if self.batching:
            self.flush()
        else:
            super().commit()


class _Borrowed:
    """Stands in for `Gradebook(db_url)` inside nbgrader's preprocessors:
    hands them the recorder's open gradebook and does not close it. The
    assignment's source and graded cells, which OverwriteCells looks up
    for every cell of every submission and which do not change during a
    run, are looked up once per run and handed out as read-only copies."""

    def __init__(self, gb):
        self.gb = gb
        self.cells = {}

    def _cell(self, kind, find, fields, *key):
        if (kind, *key) not in self.cells:  # MissingEntry is raised, never kept
            self.cells[(kind, *key)] = _CellCopy(find(*key), fields)
        return self.cells[(kind, *key)]

    def find_source_cell(self, name, notebook, assignment):
        return self._cell("source", self.gb.find_source_cell, _SOURCE_FIELDS,
                          name, notebook, assignment)

    def find_graded_cell(self, name, notebook, assignment):
        return self._cell("graded", self.gb.find_graded_cell, ("name", "max_score"),
                          name, notebook, assignment)

    def __call__(self, *args, **kwargs):
        return self

    def __enter__(self):
        return self.gb

    def __exit__(self, *exc):
        return False

    def __getattr__(self, name):
        return getattr(self.gb, name)


_SOURCE_FIELDS = ("name", "cell_type", "locked", "checksum", "source")


class _CellCopy:
    """The columns of a gradebook cell, read once; setting any is an error"""

    def __init__(self, row, fields):
        for name in fields:
            object.__setattr__(self, name, getattr(row, name))

    def __setattr__(self, name, value):
        raise AttributeError(f"{name}: a copy of a source cell is read-only")


_PREPROCESSOR_MODULES = ("nbgrader.preprocessors.overwritecells",
                         "nbgrader.preprocessors.saveautogrades",
                         "nbgrader.preprocessors.latesubmissions")


@contextlib.contextmanager
def _lend(borrowed):
    """Let nbgrader's preprocessors use the recorder's gradebook
    (`borrowed`, a _Borrowed) instead of opening their own"""
    import importlib
    mods = [importlib.import_module(m) for m in _PREPROCESSOR_MODULES]
    saved = [m.Gradebook for m in mods]
    for m in mods:
        m.Gradebook = borrowed
    try:
        yield
    finally:
        for m, g in zip(mods, saved):
            m.Gradebook = g


class Recorder:
    """The single writer of a run: one gradebook connection, one transaction
    per submission (see module doc)"""

    def __init__(self, course_dir, assignment, db_url):
        self.course_dir = Path(course_dir)
        self.assignment = assignment
        self.db_url = db_url
        self.gb = Gradebook(db_url)
        self.gb.db.remove()
        self.gb.db = scoped_session(sessionmaker(class_=_BatchSession, autoflush=True,
                                                 bind=self.gb.engine))
        self.borrowed = _Borrowed(self.gb)

    def close(self):
        if self.gb is not None:
            self.gb.close()
            self.gb = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @contextlib.contextmanager
    def transaction(self):
        session = self.gb.db()
        session.batching = True
        try:
            yield self.gb
            session.batching = False
            session.commit()
        except BaseException:
            session.batching = False
            session.rollback()
            raise
        finally:
            session.batching = False
            session.expunge_all()

    def record(self, student, notebook_path, result):
        """Sanitize, fill and save one notebook's grades; write the autograded
        copy. All of the submission's rows are written in one transaction;
        the notebook file is written after it commits."""
        course_dir, assignment = self.course_dir, self.assignment
        notebook_id = Path(notebook_path).stem
        resources = {"nbgrader": {"notebook": notebook_id, "assignment": assignment,
                                  "student": student, "db_url": self.db_url}}
        submitted_dir = Path(notebook_path).parent
        timestamp = _timestamp(submitted_dir)
        nb = _base_notebook(notebook_path, assignment, result)
        with self.transaction() as gb, _lend(self.borrowed):
            gb.update_or_create_student(student)
            gb.update_or_create_submission(assignment, student, timestamp=timestamp)
            for pp in (ClearOutput(), DeduplicateIds(), OverwriteKernelspec(),
                       OverwriteCells(add_missing_cells=True), FastCheckCellMetadata()):
                nb, resources = pp.preprocess(nb, resources)
            _student_cell_notes(nb, result)
            hidden = ClearHiddenTests()
            for cell in nb.cells:  # the autograded copy never holds hidden test code
                if utils.is_grade(cell) and cell.cell_type == "code":
                    hidden._remove_hidden_test_region(cell)
            for pp in (FillResults(result), SaveAutoGrades(), AssignLatePenalties(),
                       FastCheckCellMetadata()):
                nb, resources = pp.preprocess(nb, resources)
        add_rubrics(nb, assignment, notebook_id)  # for graders in formgrader
        dest = course_dir / "autograded" / student / assignment
        dest.mkdir(parents=True, exist_ok=True)
        _atomic_write(dest / f"{notebook_id}.ipynb", nbformat.writes(nb))
        # nbgrader's release_feedback needs the secret that `collect` wrote
        for name in ("timestamp.txt", "submission_secret.txt"):
            if (submitted_dir / name).exists():
                shutil.copy(submitted_dir / name, dest / name)
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
