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

A notebook that nbgrader cannot record as submitted (its preprocessors
raise KeyError or MissingEntry on some odd notebooks: all cells deleted,
a grade cell without its id, a solution cell flagged as a grade cell, ...)
costs only itself: it is recorded from the released notebook with the
student's answers put back into their cells, and says so at its top.
"""
import contextlib
import datetime
import json
import os
import shutil
import warnings
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
from sqlalchemy.exc import SQLAlchemyError
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
            public = (verdict or {}).get("public_message")
            if public:  # what feedback may show before a deadline (grader.feedback)
                cell.metadata.setdefault("grader", {})["public_message"] = public
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
    if verdict is not None and not verdict.get("max_points"):
        # worth nothing here (a `devices` aspect on a cpu-only course)
        return new_output("stream", name="stdout", text=verdict["message"] + "\n")
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
        the notebook file is written after it commits. Returns None, or
        why the notebook had to be rebuilt from the released one to be
        recorded. Raises what the gradebook or the disk raised, or
        RecordingFailed when not even the rebuilt notebook could be."""
        with warnings.catch_warnings():  # nbformat's complaints about odd notebooks
            warnings.simplefilter("ignore")
            return self._record_either(student, notebook_path, result)

    def _record_either(self, student, notebook_path, result):
        """As submitted, else rebuilt from the released notebook"""
        nb = _base_notebook(notebook_path, self.assignment, result)
        try:
            self._record(student, notebook_path, nb, result, cell_notes=True)
            return None
        except (OSError, SQLAlchemyError):
            raise  # the gradebook or the disk, not the notebook
        except Exception as exc:  # noqa: BLE001  (whatever nbgrader makes of an odd notebook)
            first = exc
        note = (f"{REBUILT} (nbgrader could not record it as submitted: "
                f"{_describe(first)})")
        nb = rebuilt_notebook(notebook_path, self.assignment, note)
        problems = list(result.get("problems") or [])
        result = dict(result, problems=problems + [note] if note not in problems else problems)
        try:
            self._record(student, notebook_path, nb, result, cell_notes=False)
        except Exception as exc:
            raise RecordingFailed(f"nbgrader could not record the notebook ({_describe(first)}), "
                                  f"nor the released notebook with its answers "
                                  f"({_describe(exc)})") from exc
        return note

    def _record(self, student, notebook_path, nb, result, cell_notes):
        course_dir, assignment = self.course_dir, self.assignment
        notebook_id = Path(notebook_path).stem
        resources = {"nbgrader": {"notebook": notebook_id, "assignment": assignment,
                                  "student": student, "db_url": self.db_url}}
        submitted_dir = Path(notebook_path).parent
        timestamp = _timestamp(submitted_dir)
        with self.transaction() as gb, _lend(self.borrowed):
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
            add_rubrics(nb, assignment, notebook_id)  # for graders in formgrader
            nb.metadata["grader"] = {"devices": list(result.get("devices") or []),
                                     "problems": list(result.get("problems") or []),
                                     "checks": str(result.get("checks") or "")}
            text = nbformat.writes(nb)  # before the commit: a failure here records nothing
        dest = course_dir / "autograded" / student / assignment
        dest.mkdir(parents=True, exist_ok=True)
        _atomic_write(dest / f"{notebook_id}.ipynb", text)
        # nbgrader's release_feedback needs the secret that `collect` wrote
        for name in ("timestamp.txt", "submission_secret.txt"):
            if (submitted_dir / name).exists():
                shutil.copy(submitted_dir / name, dest / name)
        return dest / f"{notebook_id}.ipynb"

    def zero_verdicts(self, notebook_id, reason):
        """0 points, with `reason`, for every automatically graded cell of the
        notebook (from the gradebook: for a submission nothing could grade)"""
        source = self.gb.find_notebook(notebook_id, self.assignment)
        answers = {cell.name for cell in source.solution_cells}
        return {cell.name: {"grade_id": cell.name, "passed": False, "points": 0.0,
                            "max_points": cell.max_score, "message": reason, "checked": 0,
                            "devices": []}
                for cell in source.grade_cells if cell.name not in answers}


class RecordingFailed(RuntimeError):
    """Not even the released notebook with the student's answers could be recorded"""


# How the autograded copy of a notebook nbgrader could not record begins
REBUILT = "recorded from the released notebook with your answers"


def _describe(exc):
    """An exception in one line"""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0][:200] if lines else ''}".rstrip(": ")


def _base_notebook(path, assignment, result):
    """The submission, or for an unreadable file the released notebook, so
    that the autograded copy and the feedback still say what happened"""
    try:
        with open(path, encoding="utf-8") as f:
            nb = nbformat.read(f, as_version=4)
        if isinstance(nb.get("cells"), list):
            return nb
    except Exception:  # noqa: BLE001
        pass
    nb = _released(assignment, Path(path).stem)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(
        f"**The submitted file could not be read**: {'; '.join(result.get('problems', []))}. "
        f"Every check scored 0."))
    return nb


def _released(assignment, notebook_id):
    from grader.course import EXERCISES
    with open(EXERCISES / assignment / f"{notebook_id}.ipynb", encoding="utf-8") as f:
        return nbformat.read(f, as_version=4)


def rebuilt_notebook(path, assignment, note):
    """The released notebook with the student's answers in its solution cells
    (matched by grade id and cell type), the student's other code cells at
    the end and `note` at the top: what is recorded when nbgrader cannot
    record the submission as it is. The student's nbgrader metadata is
    dropped; the grades come from the verdicts, which were made from the
    submission itself."""
    nb = _released(assignment, Path(path).stem)
    try:
        with open(path, encoding="utf-8") as f:
            theirs = nbformat.read(f, as_version=4).get("cells")
    except Exception:  # noqa: BLE001
        theirs = None
    solutions, tests = {}, set()
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            solutions[meta["grade_id"]] = cell.cell_type
        elif meta.get("grade"):
            tests.add(meta["grade_id"])
    released_code = {c.source for c in nb.cells if c.cell_type == "code"}
    answers, others = {}, []
    for cell in theirs if isinstance(theirs, list) else []:
        if not isinstance(cell, dict):
            continue
        meta = cell.get("metadata")
        meta = meta.get("nbgrader") if isinstance(meta, dict) else None
        meta = meta if isinstance(meta, dict) else {}
        gid = meta.get("grade_id") if isinstance(meta.get("grade_id"), str) else None
        kind, source = cell.get("cell_type"), _text(cell.get("source"))
        if gid in solutions and solutions[gid] == kind and gid not in answers:
            answers[gid] = source
        elif kind == "code" and gid not in tests and not (meta.get("grade") and not
                                                          meta.get("solution")) \
                and source.strip() and source not in released_code:
            others.append(source)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(
        f"**Your notebook was {note}.** Your code was graded as you submitted it; "
        f"below, the released notebook shows the answers found in it in their cells"
        + (", and your other code cells at the end." if others else ".")))
    if others:
        nb.cells.append(nbformat.v4.new_markdown_cell(
            "**Your other code cells** (graded with the rest):"))
        nb.cells += [nbformat.v4.new_code_cell(source) for source in others]
    return nb


def _text(source):
    if isinstance(source, list):
        return "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


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
