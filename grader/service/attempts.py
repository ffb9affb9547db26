"""Every attempt kept: DIR/attempts/<student>/<assignment>/<arrival>/

Each holds a copy of what the student submitted (notebooks, timestamp.txt,
submission_secret.txt), its grading result (result.json, written before
anything is recorded, so that a service killed after grading records it
without grading again) and its state (state.json): received, graded,
released (its feedback is out), refused (not the student's, or a bad
folder) or over the limit (kept, not graded); its score, whether it is the
attempt that counts, the checks' version, and when.
"""
import datetime
import json
import os
import shutil
from pathlib import Path

DONE = ("released", "refused", "over-limit")


def folder(course_dir, arrival):
    return Path(course_dir) / "attempts" / arrival.student / arrival.assignment / arrival.name


def keep(course_dir, arrival):
    """Copy the submission into its attempt folder (once); the folder"""
    dest = folder(course_dir, arrival)
    if not (dest / "state.json").exists():
        dest.mkdir(parents=True, exist_ok=True)
        for path in arrival.path.iterdir():
            if path.is_file() and not path.is_symlink():
                shutil.copyfile(path, dest / path.name)
        write(dest, "state.json", {"status": "received", "student": arrival.student,
                                   "assignment": arrival.assignment,
                                   "timestamp": arrival.timestamp, "at": _now()})
    return dest


def state(path):
    try:
        return json.loads((Path(path) / "state.json").read_text())
    except (OSError, ValueError):
        return {}


def update(path, **fields):
    write(path, "state.json", dict(state(path), **fields, at=_now()))


def result(path):
    """The attempt's GradeResult, or None (not graded yet, or graded by
    another version of the grader: graded again)"""
    from grader.result import GradeResult
    try:
        return GradeResult.from_json(json.loads((Path(path) / "result.json").read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write(path, name, data):
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    tmp = path / f".{name}.tmp"
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path / name)


def history(course_dir, student, assignment):
    """[(attempt folder, state)] of one student's attempts, oldest first"""
    root = Path(course_dir) / "attempts" / student / assignment
    found = [(p, state(p)) for p in root.iterdir() if p.is_dir()] if root.is_dir() else []
    return sorted(found, key=lambda f: (f[1].get("timestamp", ""), f[0].name))


def best(course_dir, student, assignment):
    """The folder of the student's graded attempt with the best score (the
    latest of equal ones), or None"""
    graded = [(p, s) for p, s in history(course_dir, student, assignment)
              if s.get("status") in ("graded", "released") and s.get("score") is not None]
    if not graded:
        return None
    return max(graded, key=lambda f: (f[1]["score"], f[1].get("timestamp", "")))[0]


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat()
