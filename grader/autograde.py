"""`grader autograde`: grade every submission of an assignment

Workers (processes on this machine, or a Dask cluster) each keep one warm
sandbox and turn a submitted notebook into plain-data verdicts; this process
is the only one that writes the gradebook, through nbgrader (record.py). A
submission is done when its marker in autograded/ carries the same key
(notebook bytes, seed, checks); a run killed halfway and started again
grades only what is missing, and --force grades everything again.
"""
import concurrent.futures as cf
import hashlib
import json
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from grader.course import REPO, default_db_url, submissions
from grader.progress import Progress

_SANDBOX = None


@dataclass
class Job:
    student: str
    path: Path
    key: str


@dataclass
class Summary:
    assignment: str
    graded: list = field(default_factory=list)    # students graded this run
    skipped: list = field(default_factory=list)   # already up to date
    failed: dict = field(default_factory=dict)    # student -> reason
    seconds: float = 0.0


def checks_fingerprint(assignment):
    """Changes when the checks, cases or reference change"""
    h = hashlib.sha256()
    for folder in ("grader/checks", "grader/cases", "grader/reference"):
        for path in sorted((REPO / folder).rglob("*.py")):
            h.update(path.read_bytes())
    for path in sorted((REPO / "solutions" / assignment).glob("*.ipynb")):
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _key(path, fingerprint, seed):
    h = hashlib.sha256(Path(path).read_bytes())
    h.update(f"{fingerprint}:{seed}".encode())
    return h.hexdigest()[:24]


# --- the worker side ---------------------------------------------------------

def grade_file(path, assignment, seed, limits=None, isolate=None):
    """Grade one submitted notebook file; plain data out. Runs in a worker,
    which keeps one sandbox warm across calls."""
    global _SANDBOX
    import torch

    from grader.grade import failed_verdicts, grade_notebook, read_notebook
    from grader.sandbox.launcher import Sandbox
    from grader.sandbox.limits import Limits
    torch.set_num_threads(1)
    try:
        nb = read_notebook(path)
    except ValueError as exc:
        return {"verdicts": failed_verdicts(assignment, f"Your notebook could not be read: {exc}"),
                "cells": {}, "problems": [str(exc)], "output": {"text": "", "total_bytes": 0},
                "devices": [], "seconds": 0.0, "unreadable": True}
    lim = Limits(**limits) if limits else Limits()
    if _SANDBOX is None or not _SANDBOX.alive() or _SANDBOX.limits != lim:
        if _SANDBOX is not None:
            _SANDBOX.close()
        _SANDBOX = Sandbox(lim, isolate=isolate)
    from grader.checks.devices import available
    return grade_notebook(nb, assignment, _SANDBOX, seed=seed, devices=tuple(available()))


def _close_sandbox():
    global _SANDBOX
    if _SANDBOX is not None:
        _SANDBOX.close()
        _SANDBOX = None


def _warm(assignment, seed):
    """Worker start-up: import torch, build the plan, start the sandbox"""
    import torch

    from grader.checks.devices import available
    from grader.plan import trials
    torch.set_num_threads(1)
    trials(assignment, seed, tuple(available()))


# --- the driver --------------------------------------------------------------

def ensure_assignment(course_dir, assignment, db_url):
    """Put the source notebooks' cells into the course gradebook (nbgrader's
    generate_assignment, releasing into DIR/release) when they are missing or
    changed"""
    from nbgrader.api import Gradebook, MissingEntry
    stamp = Path(course_dir) / ".grader" / f"{assignment}.source"
    fingerprint = checks_fingerprint(assignment)
    try:
        with Gradebook(db_url) as gb:
            gb.find_assignment(assignment)
        known = stamp.exists() and stamp.read_text() == fingerprint
    except MissingEntry:
        known = False
    if known:
        return
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from grader.course import nbgrader_config
    config = nbgrader_config(course_dir, db_url=db_url)
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    api.log.setLevel("ERROR")
    result = api.generate_assignment(assignment, force=True)
    if not result["success"]:
        raise RuntimeError(f"nbgrader could not add {assignment} to the gradebook:\n{result['log']}")
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(fingerprint)


def _results_path(course_dir, assignment, student, path):
    return Path(course_dir) / ".grader" / "results" / assignment / f"{student}.{Path(path).stem}.json"


def autograde(assignment, course_dir=".", *, workers=None, force=False, scheduler=None,
              seed=None, limits=None, db_url=None, isolate=None, quiet=False, out=None):
    """Grade every submission of `assignment` under course_dir; see module doc

    Args:
        workers: processes grading in parallel (default: all cores)
        scheduler: address of a Dask scheduler to send the work to instead
        force: grade again what is already graded
        limits: dict of grader.sandbox.limits.Limits fields
    """
    from grader.plan import DEFAULT_SEED
    from grader.record import read_marker, record, write_marker
    out = out or sys.stderr
    start = time.monotonic()
    course_dir = Path(course_dir).resolve()
    seed = DEFAULT_SEED if seed is None else seed
    db_url = db_url or default_db_url(course_dir)
    ensure_assignment(course_dir, assignment, db_url)
    fingerprint = checks_fingerprint(assignment)
    summary = Summary(assignment)
    jobs, cached = [], []
    for student, path in submissions(course_dir, assignment):
        key = _key(path, fingerprint, seed)
        marker = read_marker(course_dir, assignment, student)
        if not force and marker and marker.get("key") == key:
            summary.skipped.append(student)
            continue
        saved = _results_path(course_dir, assignment, student, path)
        if not force and saved.exists():
            try:
                data = json.loads(saved.read_text())
                if data.get("key") == key:
                    cached.append((Job(student, path, key), data["result"]))
                    continue
            except (OSError, ValueError, KeyError):
                pass
        jobs.append(Job(student, path, key))
    total = len(jobs) + len(cached)
    progress = Progress(total, f"autograde {assignment}", out=out, quiet=quiet)

    def finish(job, result):
        saved = _results_path(course_dir, assignment, job.student, job.path)
        saved.parent.mkdir(parents=True, exist_ok=True)
        tmp = saved.with_suffix(".tmp")
        tmp.write_text(json.dumps({"key": job.key, "result": result}))
        os.replace(tmp, saved)
        record(course_dir, assignment, job.student, job.path, result, db_url)
        score = sum(v["points"] for v in result["verdicts"].values())
        top = sum(v["max_points"] for v in result["verdicts"].values())
        write_marker(course_dir, assignment, job.student, job.key,
                     {"score": score, "max_score": top, "seconds": result.get("seconds"),
                      "problems": result.get("problems", [])})
        summary.graded.append(job.student)
        if result.get("problems"):
            summary.failed[job.student] = "; ".join(result["problems"])
        progress.step(f"{job.student} {score:g}/{top:g}")

    for job, result in cached:
        finish(job, result)
    if jobs:
        limits = dict(limits or {})
        for job, result in _run(jobs, assignment, seed, limits, workers, scheduler, isolate):
            if isinstance(result, BaseException):
                summary.failed[job.student] = f"grading failed: {result}"
                progress.step(f"{job.student} FAILED")
                continue
            finish(job, result)
    progress.close()
    summary.seconds = round(time.monotonic() - start, 2)
    return summary


def _run(jobs, assignment, seed, limits, workers, scheduler, isolate):
    """Yield (job, result or exception) as each finishes"""
    if scheduler:
        from grader.distributed import run_on_dask
        yield from run_on_dask(jobs, assignment, seed, limits, scheduler, isolate)
        return
    workers = workers or os.cpu_count() or 1
    workers = max(1, min(workers, len(jobs)))
    if workers == 1:
        try:
            for job in jobs:
                try:
                    yield job, grade_file(str(job.path), assignment, seed, limits, isolate)
                except Exception as exc:  # noqa: BLE001
                    yield job, exc
        finally:
            _close_sandbox()
        return
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["torch", "grader.grade", "grader.sandbox.launcher"])
    with cf.ProcessPoolExecutor(workers, mp_context=ctx, initializer=_warm,
                                initargs=(assignment, seed)) as pool:
        futures = {pool.submit(grade_file, str(j.path), assignment, seed, limits, isolate): j
                   for j in jobs}
        for fut in cf.as_completed(futures):
            job = futures[fut]
            try:
                yield job, fut.result()
            except Exception as exc:  # noqa: BLE001
                yield job, exc
