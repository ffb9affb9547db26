"""The ledger: what a course's runs have graded and recorded, submission by submission

- the checks' fingerprint (`checks_fingerprint`): changes when the checks,
  cases, references or source notebooks change;
- a submission's key (`key`): its bytes, the checks, the seed and the
  devices, all a grade depends on;
- the result cache, DIR/.grader/results/<assignment>/<student>/<notebook>.json:
  each GradeResult as soon as it is graded, under its key once final, so
  that a run killed before recording records it from there next time, and
  the report and the feedback find it (`keep`, `cached_result`, `kept`, `cached_results`);
- the resume marker, autograded/<student>/<assignment>/.grader.json:
  written once a submission is recorded, with its key (`write_marker`,
  `read_marker`).

A submission is up to date when its marker carries its key and the
gradebook holds it (`scan`). `record` is the one way a graded submission
goes in: kept, recorded in one transaction, then marked.
"""
import datetime
import hashlib
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

from grader.course import REPO, results_path, submissions
from grader.result import UNGRADED, FormatError, GradeResult

MARKER = ".grader.json"


def checks_fingerprint(assignment):
    """Changes when the checks, the assignment's folder (specs, references,
    cases) or its source notebook change"""
    from grader import assignments
    from grader.course import source_folder
    h = hashlib.sha256()
    for path in sorted((REPO / "grader/checks").rglob("*.py")) + assignments.files(assignment):
        h.update(path.read_bytes())
    for path in sorted(source_folder(assignment).glob("*.ipynb")):
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def key(data, fingerprint, seed, devices):
    """What a submission's grade depends on: its bytes, the checks, the seed
    and the devices; None for a file that could not be read"""
    if not isinstance(data, bytes):
        return None
    h = hashlib.sha256(data)
    h.update(f"{fingerprint}:{seed}:{','.join(devices)}".encode())
    return h.hexdigest()[:24]


@dataclass
class Submission:
    """One student's notebook to grade, read once: its bytes (or the OSError
    that kept them from being read) travel to the worker and the recorder"""
    student: str
    assignment: str
    path: Path            # where it was submitted (its folder may hold timestamp.txt)
    data: object          # bytes, or OSError
    key: str = None

    @property
    def notebook(self):
        return Path(self.path).stem


def read(student, assignment, path):
    """A Submission from its file (without a key)"""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        data = exc
    return Submission(student, assignment, Path(path), data)


@dataclass
class Scan:
    """A run's work: what to grade, what is graded but not recorded (from
    the cache), and who is up to date"""
    todo: list
    cached: list     # [(Submission, GradeResult)]
    skipped: list


def scan(course_dir, assignment, fingerprint, seed, devices, recorded, force=False):
    """Every submission of the assignment under DIR/submitted, read once and
    sorted into a Scan. `recorded`: students the gradebook holds."""
    todo, cached, skipped = [], [], []
    for student, path in submissions(course_dir, assignment):
        sub = read(student, assignment, path)
        sub.key = key(sub.data, fingerprint, seed, devices)
        marker = read_marker(course_dir, assignment, student)
        if not force and sub.key and marker and marker.get("key") == sub.key \
                and student in recorded:
            skipped.append(student)
            continue
        result = None if force or not sub.key else cached_result(course_dir, sub)
        if result is not None:
            cached.append((sub, result))
        else:
            todo.append(sub)
    return Scan(todo, cached, skipped)


def cached_result(course_dir, sub):
    """The kept result of this submission under its key, or None (none kept,
    another key, or another format)"""
    path = results_path(course_dir, sub.assignment, sub.student, sub.notebook)
    try:
        data = json.loads(path.read_text())
        if data.get("key") != sub.key:
            return None
        return GradeResult.from_json(data["result"])
    except (OSError, ValueError, KeyError, TypeError):   # FormatError is a ValueError
        return None


def keep(course_dir, sub, result, final=True):
    """The result, kept where a later run (when final: under its key) and
    the report find it"""
    path = results_path(course_dir, sub.assignment, sub.student, sub.notebook)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"key": sub.key if final else None, "student": sub.student,
                                   "notebook": sub.notebook, "result": result.to_json()}))
        os.replace(tmp, path)
    except OSError:
        pass  # only a shortcut for the next run and the report


def kept(course_dir, assignment, student, notebook):
    """The result kept for a student's notebook, whatever its key, or None"""
    path = results_path(course_dir, assignment, student, notebook)
    try:
        return GradeResult.from_json(json.loads(path.read_text(encoding="utf-8"))["result"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def cached_results(course_dir, assignment):
    """({student: [(notebook, GradeResult)]}, how many kept results are in
    another format) from the cache, one folder per student (and, from older
    runs, `<student>.<notebook>.json`: notebook names have no dot, student
    ids may)"""
    out, other = {}, 0
    folder = Path(course_dir) / ".grader" / "results" / assignment
    found = [(p.parent.name, p.stem, p) for p in folder.glob("*/*.json")]
    found += [(*p.stem.rpartition(".")[::2], p) for p in folder.glob("*.json")]
    for student, notebook, path in sorted(found):
        try:
            result = GradeResult.from_json(json.loads(path.read_text(encoding="utf-8"))["result"])
        except FormatError:
            other += 1
            continue
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if student:
            out.setdefault(student, []).append((notebook, result))
    return out, other


def record(recorder, course_dir, sub, result):
    """Keep the result (a run killed now records it from here next time),
    record it in one transaction, then mark the submission done. Returns
    the result as recorded (with the recorder's note, if any). Raises
    NotRecorded (the result is kept with the reason; the next run tries
    again)."""
    from grader.checks.verdict import Finding
    result = replace(result, not_recorded=None)  # (kept from a run before)
    final = result.state != UNGRADED and sub.key is not None
    keep(course_dir, sub, result, final)
    try:
        if not result.verdicts:
            raise ValueError("the gradebook has no such notebook in this assignment")
        note = recorder.record(sub, result)
    except Exception as exc:  # noqa: BLE001  (costs this submission only)
        reason = Finding("not recorded", {"detail": f"{type(exc).__name__}: "
                                                    f"{str(exc).strip()[:300]}"})
        keep(course_dir, sub, replace(result, not_recorded=reason), final)
        raise NotRecorded(reason) from exc
    if note is not None and note not in result.problems:
        result = replace(result, problems=result.problems + [note])
        keep(course_dir, sub, result, final)
    if final:
        from grader.checks.explain import problem
        write_marker(course_dir, sub.assignment, sub.student, sub.key,
                     {"score": result.score, "max_score": result.max_score,
                      "seconds": result.seconds,
                      "problems": [problem(p) for p in result.problems],
                      "devices": list(result.devices)})
    return result


class NotRecorded(RuntimeError):
    """The gradebook did not take a graded submission (the reason: a Finding)"""

    def __init__(self, reason):
        from grader.checks.explain import problem
        super().__init__(problem(reason))
        self.reason = reason


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


def recorded_students(db_url, assignment):
    """Students with a submission of `assignment` in the gradebook (a marker
    alone is not enough: the gradebook may have been replaced since)"""
    from nbgrader.api import Gradebook, MissingEntry
    try:
        with Gradebook(db_url) as gb:
            return {sub.student_id for sub in gb.find_assignment(assignment).submissions}
    except MissingEntry:
        return set()
