"""`grader autograde`: grade every submission of an assignment

Workers (processes on this machine, or a Dask cluster) each keep one warm
sandbox and turn a submitted notebook into plain-data verdicts; this process
is the only one that writes the gradebook, through nbgrader (record.py), one
transaction per submission. A submission is done when its marker in
autograded/ carries the same key (notebook bytes, seed, checks) and the
gradebook holds it; a run killed halfway and started again grades only what
is missing (a result computed but not yet recorded is kept in
DIR/.grader/results and recorded from there), and --force grades everything
again.

Where the time goes (pooling, 2 cores; bench/README.md): per worker, once,
importing torch, building the plan and starting the sandbox (the forkserver
imports and builds the plan once for all workers, which fork from it); per
submission, running it in the sandbox (most of it), judging the outcomes
(little) and recording it here (one transaction, one shared connection).
"""
import concurrent.futures as cf
import hashlib
import json
import multiprocessing
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


def _skip_slow_optional_imports():
    """jsonschema imports `rfc3987_syntax` when it is installed, only to check
    the "iri" string format, which neither nbformat nor nbgrader asks for; the
    import costs about 2 s of every process that reads a notebook
    (jsonschema issue 1428). Marking it absent makes jsonschema skip it."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)


_skip_slow_optional_imports()

from grader.course import DEFAULT_SEED, REPO, default_db_url, submissions  # noqa: E402
from grader.progress import Progress  # noqa: E402

_PRELOAD_ENV = "GRADER_PRELOAD_PLAN"
_local = threading.local()          # one warm sandbox per worker thread
_sandboxes = []                     # every sandbox this process started
_sandboxes_lock = threading.Lock()


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
    unisolated: list = field(default_factory=list)  # graded without bubblewrap
    seconds: float = 0.0
    timings: dict = field(default_factory=dict)   # where the time went (seconds)


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
    return grade_bytes(Path(path).read_bytes(), assignment, seed, limits, isolate)


def grade_bytes(data, assignment, seed, limits=None, isolate=None):
    """Grade one submitted notebook given as its bytes (what a Dask worker
    gets: it need not share a file system with the grader); plain data out"""
    import torch

    from grader.checks.devices import available
    from grader.grade import failed_verdicts, grade_notebook, parse_notebook
    torch.set_num_threads(1)
    start = time.monotonic()
    try:
        nb = parse_notebook(data)
    except ValueError as exc:
        return {"verdicts": failed_verdicts(assignment, f"Your notebook could not be read: {exc}"),
                "cells": {}, "problems": [str(exc)], "output": {"text": "", "total_bytes": 0},
                "devices": [], "seconds": 0.0, "unreadable": True}
    sandbox = worker_sandbox(limits, isolate)
    cpu, box = time.process_time(), _tree_cpu(sandbox.proc.pid)
    result = grade_notebook(nb, assignment, sandbox, seed=seed, devices=tuple(available()))
    box = max(0.0, _tree_cpu(sandbox.proc.pid) - box) if sandbox.proc is not None else None
    result["worker"] = {"pid": os.getpid(), "host": os.uname().nodename,
                        "seconds": round(time.monotonic() - start, 3),
                        "cpu": round(time.process_time() - cpu, 3),
                        "isolated": bool(sandbox.isolate),
                        "sandbox_cpu": None if box is None else round(box, 3)}
    return result


def _tree_cpu(pid):
    """CPU seconds used by a process and its descendants (see procs.tree_cpu)"""
    from grader.sandbox.procs import tree_cpu
    return sum(tree_cpu(pid))


def worker_sandbox(limits=None, isolate=None):
    """This thread's warm sandbox, started (again) when missing, dead or made
    with other limits"""
    from grader.sandbox.launcher import Sandbox
    from grader.sandbox.limits import Limits
    lim = Limits(**limits) if limits else Limits()
    sandbox = getattr(_local, "sandbox", None)
    if sandbox is not None and (not sandbox.alive() or sandbox.limits != lim
                                or (isolate is not None and sandbox.isolate != isolate)):
        _forget(sandbox)
        sandbox = None
    if sandbox is None:
        _close_at_exit()
        sandbox = Sandbox(lim, isolate=isolate)
        _local.sandbox = sandbox
        with _sandboxes_lock:
            _sandboxes.append(sandbox)
    return sandbox


_AT_EXIT = []


def _close_at_exit():
    """Close this process's sandboxes when it exits, so that their staging
    directories and cgroups go too: atexit for a plain process, and
    multiprocessing's finalizers for a pool or Dask worker (which leave
    through os._exit, skipping atexit)"""
    if _AT_EXIT and _AT_EXIT[0] == os.getpid():
        return
    import atexit
    from multiprocessing import util
    atexit.register(close_sandboxes)
    util.Finalize(None, close_sandboxes, exitpriority=10)
    _AT_EXIT[:] = [os.getpid()]


def _forget(sandbox):
    with _sandboxes_lock:
        if sandbox in _sandboxes:
            _sandboxes.remove(sandbox)
    if getattr(_local, "sandbox", None) is sandbox:
        _local.sandbox = None
    sandbox.close()


def close_sandboxes():
    """Close every sandbox this process started (worker teardown)"""
    with _sandboxes_lock:
        boxes = list(_sandboxes)
        _sandboxes.clear()
    _local.sandbox = None
    for sandbox in boxes:
        try:
            sandbox.close()
        except Exception:  # noqa: BLE001
            pass


def warm(assignment, seed, limits=None, isolate=None, sandbox=True):
    """Worker start-up, paid once per worker: torch, the plan, the sandbox"""
    import torch

    from grader.checks.devices import available
    from grader.plan import trials
    torch.set_num_threads(1)
    trials(assignment, seed, tuple(available()))
    if sandbox:
        worker_sandbox(limits, isolate)


def _worker_init(assignment, seed, limits, isolate):
    """A pool worker's start-up. Its sandbox is closed when the worker exits
    (pool workers leave through multiprocessing's finalizers, not atexit),
    so that its staging directory and cgroup go too. A sandbox that cannot
    start is tried again by each job, which then fails with the reason."""
    try:
        warm(assignment, seed, limits, isolate)
    except Exception:  # noqa: BLE001
        pass


def _preload_plan():
    """In the forkserver (see LocalPool): build the plan once before any
    worker forks, so that every worker starts with it"""
    spec = os.environ.get(_PRELOAD_ENV)
    if not spec:
        return
    try:
        import torch
        if torch.version.cuda is not None or torch.version.hip is not None:
            return  # asking for a GPU here would spoil CUDA in every forked worker
        assignment, seed = spec.rsplit(":", 1)
        warm(assignment, int(seed), sandbox=False)
    except Exception:  # noqa: BLE001  (the workers build it themselves then)
        pass


_preload_plan()


# --- running the jobs ----------------------------------------------------------

def start_forkserver(assignment, seed):
    """Start the forkserver that LocalPool's workers fork from, if it is not
    running yet: it imports torch, the grader and nbformat and builds the
    plan in the background while this process goes on (the gradebook, the
    list of submissions). Returns the multiprocessing context."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["grader.autograde", "torch", "grader.grade",
                                "grader.sandbox.launcher", "grader.plan"])
    os.environ[_PRELOAD_ENV] = f"{assignment}:{seed}"
    try:
        from multiprocessing import forkserver
        forkserver.ensure_running()   # the server starts with the variable set
    finally:
        os.environ.pop(_PRELOAD_ENV, None)
    return ctx


class LocalPool:
    """Worker processes on this machine, forked from a forkserver that has
    imported torch, the grader and nbformat and built the plan, so that a
    worker's start-up is its sandbox only. A worker that dies (it should
    not: student code runs in the sandbox) is replaced and its jobs are
    tried again, at most `retries` times each."""

    def __init__(self, jobs, assignment, seed, limits, workers, isolate, retries=2):
        self.assignment, self.seed, self.limits, self.isolate = assignment, seed, limits, isolate
        self.workers = workers
        self.retries = retries
        self.pending = list(jobs)
        self.attempts = {}
        self.pool = None
        self.futures = {}

    def start(self):
        ctx = start_forkserver(self.assignment, self.seed)
        self.pool = cf.ProcessPoolExecutor(
            self.workers, mp_context=ctx, initializer=_worker_init,
            initargs=(self.assignment, self.seed, self.limits, self.isolate))
        self._submit(self.pending)
        self.pending = []
        return self

    def _submit(self, jobs):
        for job in jobs:
            self.attempts[job.student, str(job.path)] = \
                self.attempts.get((job.student, str(job.path)), 0) + 1
            fut = self.pool.submit(grade_file, str(job.path), self.assignment, self.seed,
                                   self.limits, self.isolate)
            self.futures[fut] = job

    def results(self):
        while self.futures:
            broken = False
            for fut in cf.as_completed(list(self.futures)):
                job = self.futures.pop(fut)
                try:
                    yield job, fut.result()
                except cf.process.BrokenProcessPool as exc:
                    broken = True
                    if self.attempts[job.student, str(job.path)] > self.retries:
                        yield job, RuntimeError(f"a grading worker died ({exc})")
                    else:
                        self.pending.append(job)
                except Exception as exc:  # noqa: BLE001
                    yield job, exc
            if broken:
                self.pool.shutdown(wait=False, cancel_futures=True)
                self.futures = {}
                self.start()

    def close(self):
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


class SerialRun:
    """--workers 1: grade in this process, one warm sandbox"""

    def __init__(self, jobs, assignment, seed, limits, isolate):
        self.jobs, self.assignment, self.seed = jobs, assignment, seed
        self.limits, self.isolate = limits, isolate

    def start(self):
        return self

    def results(self):
        for job in self.jobs:
            try:
                yield job, grade_file(str(job.path), self.assignment, self.seed, self.limits,
                                      self.isolate)
            except Exception as exc:  # noqa: BLE001
                yield job, exc

    def close(self):
        close_sandboxes()


class DaskRun:
    """--scheduler: the jobs go to a Dask cluster (grader.distributed)"""

    def __init__(self, jobs, assignment, seed, limits, scheduler, isolate):
        from grader.distributed import DaskGrading
        self.grading = DaskGrading(jobs, assignment, seed, limits, scheduler, isolate)

    def start(self):
        self.grading.start()
        return self

    def results(self):
        yield from self.grading.results()

    def close(self):
        self.grading.close()


def _runner(jobs, assignment, seed, limits, workers, scheduler, isolate):
    if scheduler is not None and scheduler != "":
        return DaskRun(jobs, assignment, seed, limits, scheduler, isolate)
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    if workers == 1:
        return SerialRun(jobs, assignment, seed, limits, isolate)
    return LocalPool(jobs, assignment, seed, limits, workers, isolate)


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
        scheduler: address of a Dask scheduler (or a dask.distributed Client
            or cluster) to send the work to instead
        force: grade again what is already graded
        limits: dict of grader.sandbox.limits.Limits fields
    """
    out = out or sys.stderr
    start = time.monotonic()
    course_dir = Path(course_dir).resolve()
    seed = DEFAULT_SEED if seed is None else seed
    db_url = db_url or default_db_url(course_dir)
    fingerprint = checks_fingerprint(assignment)
    summary = Summary(assignment)
    if not scheduler and (workers or os.cpu_count() or 1) > 1:
        start_forkserver(assignment, seed)  # warming up while the gradebook is read
    from grader.record import read_marker
    recorded = set() if force else _recorded_students(db_url, assignment)
    jobs, cached = [], []
    for student, path in submissions(course_dir, assignment):
        key = _key(path, fingerprint, seed)
        marker = read_marker(course_dir, assignment, student)
        if not force and marker and marker.get("key") == key and student in recorded:
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
    if not total:
        ensure_assignment(course_dir, assignment, db_url)
        progress.close()
        summary.seconds = round(time.monotonic() - start, 2)
        return summary
    limits = dict(limits or {})
    # the workers start (imports, plan, sandboxes) while this process gets the
    # gradebook ready
    runner = _runner(jobs, assignment, seed, limits, workers, scheduler, isolate) if jobs else None
    if runner is not None and not isinstance(runner, SerialRun):
        progress.note(f"starting {_describe(runner)}")
        runner.start()
    timings = Timings()
    try:
        t = time.monotonic()
        ensure_assignment(course_dir, assignment, db_url)
        # nbgrader's own tools (formgrader, generate_feedback) started in DIR
        # then see the course as the grader does
        from grader.feedback import write_nbgrader_config
        write_nbgrader_config(course_dir, db_url=db_url)
        timings.gradebook_ready = time.monotonic() - t
        from grader.record import Recorder
        with Recorder(course_dir, assignment, db_url) as recorder:
            def finish(job, result):
                t, c = time.monotonic(), time.process_time()
                score, top = _finish(recorder, course_dir, assignment, job, result, summary)
                timings.add_record(time.monotonic() - t, time.process_time() - c)
                progress.step(f"{job.student} {score:g}/{top:g}")

            for job, result in cached:
                finish(job, result)
            if runner is not None:
                if isinstance(runner, SerialRun):
                    runner.start()
                for job, result in runner.results():
                    if timings.first_result is None:
                        timings.first_result = time.monotonic() - start
                    if isinstance(result, BaseException):
                        summary.failed[job.student] = f"grading failed: {result}"
                        progress.step(f"{job.student} FAILED")
                        continue
                    timings.add_worker(result.get("worker"))
                    finish(job, result)
    finally:
        if runner is not None:
            runner.close()
        progress.close()
    summary.seconds = round(time.monotonic() - start, 2)
    summary.timings = timings.as_dict(summary.seconds)
    return summary


class Timings:
    """Where a run's time went, per submission (CPU seconds where it says)"""

    def __init__(self):
        self.gradebook_ready = 0.0
        self.first_result = None
        self.n_record = self.record_wall = self.record_cpu = 0.0
        self.n_worker = self.worker_wall = self.worker_cpu = self.sandbox_cpu = 0.0

    def add_record(self, wall, cpu):
        self.n_record += 1
        self.record_wall += wall
        self.record_cpu += cpu

    def add_worker(self, info):
        if not info:
            return
        self.n_worker += 1
        self.worker_wall += info.get("seconds") or 0.0
        self.worker_cpu += info.get("cpu") or 0.0
        self.sandbox_cpu += info.get("sandbox_cpu") or 0.0

    def as_dict(self, total):
        per = lambda v, n: round(v / n, 3) if n else None
        return {"total_seconds": round(total, 2),
                "gradebook_ready_seconds": round(self.gradebook_ready, 2),
                "first_result_seconds": None if self.first_result is None
                else round(self.first_result, 2),
                "graded": int(self.n_worker), "recorded": int(self.n_record),
                "per_submission": {
                    "worker_wall": per(self.worker_wall, self.n_worker),
                    "sandbox_cpu": per(self.sandbox_cpu, self.n_worker),
                    "worker_cpu": per(self.worker_cpu, self.n_worker),
                    "record_wall": per(self.record_wall, self.n_record),
                    "record_cpu": per(self.record_cpu, self.n_record)}}


def _recorded_students(db_url, assignment):
    """Students with a submission of `assignment` in the gradebook (a marker
    alone is not enough: the gradebook may have been replaced since)"""
    from nbgrader.api import Gradebook, MissingEntry
    try:
        with Gradebook(db_url) as gb:
            return {sub.student_id for sub in gb.find_assignment(assignment).submissions}
    except MissingEntry:
        return set()


def _describe(runner):
    if isinstance(runner, LocalPool):
        return f"{runner.workers} workers"
    return "the Dask cluster"


def _finish(recorder, course_dir, assignment, job, result, summary):
    """Keep the result (a run killed now records it from here next time),
    record it in one transaction, then mark the submission done; the
    submission's score and the most it could get"""
    from grader.record import write_marker
    saved = _results_path(course_dir, assignment, job.student, job.path)
    saved.parent.mkdir(parents=True, exist_ok=True)
    tmp = saved.with_suffix(".tmp")
    tmp.write_text(json.dumps({"key": job.key, "result": result}))
    os.replace(tmp, saved)
    recorder.record(job.student, job.path, result)
    score = sum(v["points"] for v in result["verdicts"].values())
    top = sum(v["max_points"] for v in result["verdicts"].values())
    write_marker(course_dir, assignment, job.student, job.key,
                 {"score": score, "max_score": top, "seconds": result.get("seconds"),
                  "problems": result.get("problems", [])})
    summary.graded.append(job.student)
    if (result.get("worker") or {}).get("isolated") is False:
        summary.unisolated.append(job.student)
    if result.get("problems"):
        summary.failed[job.student] = "; ".join(result["problems"])
    return score, top
