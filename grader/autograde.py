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

One submission's failure costs only that submission: a file that cannot be
read, a notebook nbgrader cannot record as submitted, a worker that fails
on it. It is recorded with its reason (0 where nothing could be graded),
named in the run's summary, and the run goes on. What a worker refuses
(other checks, or a device the course is graded on that it lacks: see
grader.toml below) is not recorded at all.

The devices a course is graded on are a course setting, `[grading] devices`
in DIR/grader.toml (["cpu"] without it); `devices=` (`--devices`) overrides
it for one run. A run graded on the CPU alone checks no second device, so
every `<function>-devices` cell is worth 0 in the gradebook for it.

SIGINT (Ctrl-C) or SIGTERM stops a run within seconds: the workers and
their sandboxes are stopped, what was recorded is kept, and the summary
says so (the next run grades what is missing). Workers also watch this
process and stop, sandboxes and all, when it dies (SIGKILL).

Where the time goes (pooling, 2 cores; bench/README.md): per worker, once,
importing torch, building the plan and starting the sandbox (the forkserver
imports and builds the plan once for all workers, which fork from it); per
submission, running it in the sandbox (most of it), judging the outcomes
(little) and recording it here (one transaction, one shared connection).
"""
import concurrent.futures as cf
import contextlib
import hashlib
import json
import multiprocessing
import os
import select
import signal
import socket
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

from grader.course import (DEFAULT_SEED, REPO, check_devices, course_devices,  # noqa: E402
                           default_db_url, results_path, submissions)
from grader.progress import Progress  # noqa: E402

_PRELOAD_ENV = "GRADER_PRELOAD_PLAN"
_local = threading.local()          # one warm sandbox per worker thread
_by_thread = {}                     # the same, by thread id, for other threads to stop
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
    graded: list = field(default_factory=list)    # students recorded this run
    skipped: list = field(default_factory=list)   # already up to date
    failed: dict = field(default_factory=dict)    # student -> what went wrong
    refused: dict = field(default_factory=dict)   # student -> why workers refused it
    unisolated: list = field(default_factory=list)  # graded without bubblewrap
    devices: list = field(default_factory=list)   # the devices this run checked
    course_devices: list = field(default_factory=list)  # those DIR/grader.toml asks for
    stopped: str = None                           # "SIGINT" / "SIGTERM" when stopped
    left: int = 0                                 # submissions not recorded when stopped
    seconds: float = 0.0
    timings: dict = field(default_factory=dict)   # where the time went (seconds)


class Refused(RuntimeError):
    """A worker will not grade this run's work (other checks than the run's,
    or a device the run grades on is missing there); nothing is recorded"""


class Stopped(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived during a run"""

    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


# What a `devices` cell says where no second device was checked
NOT_CHECKED_COURSE = "not checked: this course is graded on cpu only"
NOT_CHECKED_RUN = ("not checked: this run was graded on cpu only (--devices cpu; "
                   "the course is graded on {course})")


def checks_fingerprint(assignment):
    """Changes when the checks, cases or reference change"""
    from grader import assignments
    from grader.course import source_folder
    h = hashlib.sha256()
    for path in sorted((REPO / "grader/checks").rglob("*.py")) + assignments.files(assignment):
        h.update(path.read_bytes())
    for path in sorted(source_folder(assignment).glob("*.ipynb")):
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _key(path, fingerprint, seed, devices):
    """What a submission's grade depends on: its bytes, the checks, the seed
    and the devices; None when the file cannot be read"""
    try:
        h = hashlib.sha256(Path(path).read_bytes())
    except OSError:
        return None
    h.update(f"{fingerprint}:{seed}:{','.join(devices)}".encode())
    return h.hexdigest()[:24]


# --- the worker side ---------------------------------------------------------

def grade_file(path, assignment, seed, limits=None, isolate=None, devices=("cpu",)):
    """Grade one submitted notebook file; plain data out. Runs in a worker,
    which keeps one sandbox warm across calls."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        data = exc
    return grade_bytes(data, assignment, seed, limits, isolate, devices)


def grade_bytes(data, assignment, seed, limits=None, isolate=None, devices=("cpu",)):
    """Grade one submitted notebook given as its bytes (what a Dask worker
    gets: it need not share a file system with the grader) on `devices`;
    plain data out. Raises Refused where this machine lacks one of them."""
    import torch

    from grader.checks.devices import missing
    from grader.grade import failed_verdicts, grade_notebook, parse_notebook
    lacking = missing(devices)
    if lacking:
        raise Refused(f"worker {socket.gethostname()} has no {', '.join(lacking)}, which this "
                      f"run grades on (devices {', '.join(devices)}): grade on machines that "
                      f"have it, or opt out for one run with --devices cpu")
    torch.set_num_threads(1)
    start = time.monotonic()
    try:
        if isinstance(data, OSError):
            raise ValueError(f"the file cannot be read ({type(data).__name__}: {data})")
        nb = parse_notebook(data)
    except ValueError as exc:
        return {"verdicts": failed_verdicts(assignment, f"Your notebook could not be read: {exc}"),
                "cells": {}, "problems": [str(exc)], "output": {"text": "", "total_bytes": 0},
                "devices": list(devices), "seconds": 0.0, "unreadable": True}
    sandbox = worker_sandbox(limits, isolate)
    cpu, box = time.process_time(), _tree_cpu(sandbox.proc.pid)
    result = grade_notebook(nb, assignment, sandbox, seed=seed, devices=tuple(devices))
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
    _by_thread[threading.get_ident()] = sandbox
    return sandbox


def thread_sandbox(ident):
    """The sandbox the thread `ident` last used, or None"""
    return _by_thread.get(ident)


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


def kill_sandbox(sandbox):
    """Kill a sandbox's processes at once (whatever it is running); the next
    submission starts it again"""
    proc = sandbox.proc
    if proc is not None and proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass


def kill_sandboxes():
    """Kill every sandbox this process started, at once, and clean up after
    them (a worker told to stop, or whose grader died); takes no lock, so
    that a signal handler may call it"""
    boxes = list(_sandboxes)
    for sandbox in boxes:
        kill_sandbox(sandbox)
    for sandbox in boxes:
        try:
            sandbox.close()
        except Exception:  # noqa: BLE001
            pass


def _stop_worker(signum=None, frame=None):
    """SIGTERM in a worker, or its grader gone: no sandbox outlives it"""
    kill_sandboxes()
    os._exit(128 + (signum or signal.SIGTERM))


def watch_process(pid, then):
    """Call then() in a daemon thread once process pid has ended (a pidfd
    where Linux has one, else a check every half second)"""
    def watch():
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            return then()
        except (AttributeError, OSError):
            fd = None
        if fd is not None:
            select.select([fd], [], [])
        else:
            while _alive(pid):
                time.sleep(0.5)
        then()
    threading.Thread(target=watch, name=f"watch-{pid}", daemon=True).start()


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


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


def warm(assignment, seed, limits=None, isolate=None, sandbox=True, devices=("cpu",)):
    """Worker start-up, paid once per worker: torch, the plan, the sandbox"""
    import torch

    from grader.checks.devices import missing
    from grader.plan import trials
    torch.set_num_threads(1)
    if missing(devices):
        return  # each job says so (Refused)
    trials(assignment, seed, tuple(devices))
    if sandbox:
        worker_sandbox(limits, isolate)


def _worker_init(assignment, seed, limits, isolate, devices, grader_pid):
    """A pool worker's start-up. Ctrl-C is the grader's to handle (it stops
    the workers); SIGTERM, or the grader's death, kills the worker's sandbox
    and ends the worker. Its sandbox is closed when the worker exits
    normally (pool workers leave through multiprocessing's finalizers, not
    atexit), so that its staging directory and cgroup go too. A sandbox
    that cannot start is tried again by each job, which then fails with the
    reason."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_worker)
    watch_process(grader_pid, _stop_worker)
    try:
        warm(assignment, seed, limits, isolate, devices=devices)
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
        assignment, seed, devices = spec.rsplit(":", 2)
        devices = tuple(devices.split(","))
        if devices != ("cpu",) and (torch.version.cuda is not None
                                    or torch.version.hip is not None):
            return  # asking for a GPU here would spoil CUDA in every forked worker
        warm(assignment, int(seed), sandbox=False, devices=devices)
    except Exception:  # noqa: BLE001  (the workers build it themselves then)
        pass


_preload_plan()


# --- running the jobs ----------------------------------------------------------

def start_forkserver(assignment, seed, devices=("cpu",)):
    """Start the forkserver that LocalPool's workers fork from, if it is not
    running yet: it imports torch, the grader and nbformat and builds the
    plan in the background while this process goes on (the gradebook, the
    list of submissions). Returns the multiprocessing context."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["grader.autograde", "torch", "grader.grade",
                                "grader.sandbox.launcher", "grader.plan"])
    os.environ[_PRELOAD_ENV] = f"{assignment}:{seed}:{','.join(devices)}"
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

    def __init__(self, jobs, assignment, seed, limits, workers, isolate, devices=("cpu",),
                 retries=2):
        self.assignment, self.seed, self.limits, self.isolate = assignment, seed, limits, isolate
        self.devices = tuple(devices)
        self.workers = workers
        self.retries = retries
        self.pending = list(jobs)
        self.attempts = {}
        self.pool = None
        self.futures = {}

    def start(self):
        ctx = start_forkserver(self.assignment, self.seed, self.devices)
        self.pool = cf.ProcessPoolExecutor(
            self.workers, mp_context=ctx, initializer=_worker_init,
            initargs=(self.assignment, self.seed, self.limits, self.isolate, self.devices,
                      os.getpid()))
        self._submit(self.pending)
        self.pending = []
        return self

    def _submit(self, jobs):
        for job in jobs:
            self.attempts[job.student, str(job.path)] = \
                self.attempts.get((job.student, str(job.path)), 0) + 1
            fut = self.pool.submit(grade_file, str(job.path), self.assignment, self.seed,
                                   self.limits, self.isolate, self.devices)
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

    def close(self, abort=False):
        """Let the workers finish and leave; with abort, stop them now (each
        kills its sandbox on SIGTERM; one that does not leave in 5 s is killed,
        and its sandbox dies with it)"""
        if self.pool is None:
            return
        if abort:
            procs = list((self.pool._processes or {}).values())
            for proc in procs:
                with contextlib.suppress(Exception):
                    proc.terminate()
            deadline = time.monotonic() + 5
            for proc in procs:
                with contextlib.suppress(Exception):
                    proc.join(max(0.0, deadline - time.monotonic()))
            for proc in procs:
                with contextlib.suppress(Exception):
                    if proc.is_alive():
                        proc.kill()
                        proc.join(2)
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = None


class SerialRun:
    """--workers 1: grade in this process, one warm sandbox"""

    def __init__(self, jobs, assignment, seed, limits, isolate, devices=("cpu",)):
        self.jobs, self.assignment, self.seed = jobs, assignment, seed
        self.limits, self.isolate, self.devices = limits, isolate, tuple(devices)

    def start(self):
        return self

    def results(self):
        for job in self.jobs:
            try:
                yield job, grade_file(str(job.path), self.assignment, self.seed, self.limits,
                                      self.isolate, self.devices)
            except Exception as exc:  # noqa: BLE001
                yield job, exc

    def close(self, abort=False):
        kill_sandboxes() if abort else close_sandboxes()


class DaskRun:
    """--scheduler: the jobs go to a Dask cluster (grader.distributed)"""

    def __init__(self, jobs, assignment, seed, limits, scheduler, isolate, devices=("cpu",)):
        from grader.distributed import DaskGrading
        self.grading = DaskGrading(jobs, assignment, seed, limits, scheduler, isolate,
                                   devices=devices)

    def start(self):
        self.grading.start()
        return self

    def results(self):
        yield from self.grading.results()

    def close(self, abort=False):
        self.grading.close()


def _runner(jobs, assignment, seed, limits, workers, scheduler, isolate, devices):
    if scheduler is not None and scheduler != "":
        return DaskRun(jobs, assignment, seed, limits, scheduler, isolate, devices)
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    if workers == 1:
        return SerialRun(jobs, assignment, seed, limits, isolate, devices)
    return LocalPool(jobs, assignment, seed, limits, workers, isolate, devices)


@contextlib.contextmanager
def _stop_on_signals():
    """SIGINT (Ctrl-C) and SIGTERM raise Stopped in this thread, the first
    one only: later ones are ignored while the run stops its workers (a few
    seconds). Only the main thread can have signal handlers; elsewhere this
    does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired = []

    def handler(signum, frame):
        if not fired:
            fired.append(signum)
            raise Stopped(signum)

    old = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, previous in old.items():
            signal.signal(sig, previous)


# --- the driver --------------------------------------------------------------

def ensure_assignment(course_dir, assignment, db_url, devices=("cpu",)):
    """Put the source notebooks' cells into the course gradebook (nbgrader's
    generate_assignment, releasing into DIR/release) when they are missing or
    changed, with every `<function>-devices` cell worth 0 where `devices`
    holds the CPU alone (no second device checks them)"""
    from nbgrader.api import Gradebook, MissingEntry
    stamp = Path(course_dir) / ".grader" / f"{assignment}.source"
    want = f"{checks_fingerprint(assignment)} devices={','.join(devices)}"
    try:
        with Gradebook(db_url) as gb:
            gb.find_assignment(assignment)
        known = stamp.exists() and stamp.read_text() == want
    except MissingEntry:
        known = False
    if known:
        return
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from grader.course import nbgrader_config
    config = nbgrader_config(course_dir, db_url=db_url, assignment=assignment)
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    api.log.setLevel("ERROR")
    result = api.generate_assignment(assignment, force=True)  # points as in the source
    if not result["success"]:
        raise RuntimeError(f"nbgrader could not add {assignment} to the gradebook:\n{result['log']}")
    if list(devices) == ["cpu"]:
        _devices_worth_nothing(db_url, assignment)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(want)


def _devices_worth_nothing(db_url, assignment):
    """Every `<function>-devices` grade cell of the assignment worth 0 in the
    gradebook. nbgrader's checksum of a grade cell covers its points, so the
    source cell's checksum is computed again for 0 points (recording checks
    the restored test cells against it)."""
    import nbformat
    from nbgrader.api import Gradebook
    from nbgrader.utils import compute_checksum
    with Gradebook(db_url) as gb:
        for notebook in gb.find_assignment(assignment).notebooks:
            sources = {cell.name: cell for cell in notebook.source_cells}
            for cell in notebook.grade_cells:
                if not cell.name.endswith("-devices"):
                    continue
                cell.max_score = 0.0
                source = sources[cell.name]
                source.checksum = compute_checksum(nbformat.from_dict({
                    "cell_type": source.cell_type, "source": source.source,
                    "metadata": {"nbgrader": {"grade": True, "solution": False,
                                              "locked": source.locked, "grade_id": cell.name,
                                              "points": 0.0}}}))
        gb.db.commit()


def autograde(assignment, course_dir=".", *, workers=None, force=False, scheduler=None,
              seed=None, limits=None, db_url=None, isolate=None, quiet=False, out=None,
              devices=None):
    """Grade every submission of `assignment` under course_dir; see module doc

    Args:
        workers: processes grading in parallel (default: all cores)
        scheduler: address of a Dask scheduler (or a dask.distributed Client
            or cluster) to send the work to instead
        force: grade again what is already graded
        limits: dict of grader.sandbox.limits.Limits fields
        devices: the devices to check (default: the course's, DIR/grader.toml);
            ["cpu"] opts one run out of a course's other devices

    Returns a Summary; `stopped` is set when SIGINT or SIGTERM ended the run.
    Raises SettingError (a ValueError) for a bad devices setting, and Refused
    when grading here (no scheduler) and this machine lacks one of them.
    """
    out = out or sys.stderr
    start = time.monotonic()
    course_dir = Path(course_dir).resolve()
    seed = DEFAULT_SEED if seed is None else seed
    db_url = db_url or default_db_url(course_dir)
    summary = Summary(assignment)
    summary.course_devices = course_devices(course_dir)
    summary.devices = summary.course_devices if devices is None else \
        check_devices(list(devices), "--devices")
    devices = tuple(summary.devices)
    if devices != ("cpu",) and not scheduler:
        from grader.checks.devices import missing  # (imports torch)
        lacking = missing(devices)
        if lacking:
            raise Refused(f"this machine has no {', '.join(lacking)}, which the run grades on "
                          f"(devices {', '.join(devices)}): grade where there is one "
                          f"(--scheduler), or opt out for one run with --devices cpu")
    timings = Timings()
    with _stop_on_signals():
        try:
            _grade_all(summary, timings, assignment, course_dir, devices, start,
                       workers=workers, force=force, scheduler=scheduler, seed=seed,
                       limits=limits, db_url=db_url, isolate=isolate, quiet=quiet, out=out)
        except Stopped as stop:
            summary.stopped = str(stop)
    summary.seconds = round(time.monotonic() - start, 2)
    summary.timings = timings.as_dict(summary.seconds)
    return summary


def _grade_all(summary, timings, assignment, course_dir, devices, start, *, workers, force,
               scheduler, seed, limits, db_url, isolate, quiet, out):
    fingerprint = checks_fingerprint(assignment)
    if not scheduler and (workers or os.cpu_count() or 1) > 1:
        start_forkserver(assignment, seed, devices)  # warming up while the gradebook is read
    from grader.record import read_marker
    recorded = set() if force else _recorded_students(db_url, assignment)
    jobs, cached = [], []
    for student, path in submissions(course_dir, assignment):
        key = _key(path, fingerprint, seed, devices)
        marker = read_marker(course_dir, assignment, student)
        if not force and key and marker and marker.get("key") == key and student in recorded:
            summary.skipped.append(student)
            continue
        saved = results_path(course_dir, assignment, student, path.stem)
        if not force and key and saved.exists():
            try:
                data = json.loads(saved.read_text())
                if data.get("key") == key:
                    cached.append((Job(student, path, key), data["result"]))
                    continue
            except (OSError, ValueError, KeyError, TypeError):
                pass
        jobs.append(Job(student, path, key))
    total = summary.left = len(jobs) + len(cached)
    progress = Progress(total, f"autograde {summary.assignment}", out=out, quiet=quiet)
    if not total:
        ensure_assignment(course_dir, assignment, db_url, devices)
        progress.close()
        return
    limits = dict(limits or {})
    # the workers start (imports, plan, sandboxes) while this process gets the
    # gradebook ready
    runner = _runner(jobs, assignment, seed, limits, workers, scheduler, isolate, devices) \
        if jobs else None
    try:
        if runner is not None and not isinstance(runner, SerialRun):
            progress.note(f"starting {_describe(runner)}")
            runner.start()
        t = time.monotonic()
        ensure_assignment(course_dir, assignment, db_url, devices)
        # nbgrader's own tools (formgrader, generate_feedback) started in DIR
        # then see the course as the grader does
        from grader.feedback import write_nbgrader_config
        write_nbgrader_config(course_dir, db_url=db_url)
        timings.gradebook_ready = time.monotonic() - t
        from grader.record import Recorder
        with Recorder(course_dir, assignment, db_url) as recorder:
            def finish(job, result):
                t, c = time.monotonic(), time.process_time()
                result = _devices_unchecked(result, devices, summary.course_devices)
                done = _finish(recorder, course_dir, assignment, job, result, summary)
                timings.add_record(time.monotonic() - t, time.process_time() - c)
                if done is None:
                    progress.step(f"{job.student} NOT RECORDED")
                else:
                    summary.left -= 1
                    progress.step(f"{job.student} {done[0]:g}/{done[1]:g}")

            for job, result in cached:
                finish(job, result)
            if runner is not None:
                if isinstance(runner, SerialRun):
                    runner.start()
                for job, result in runner.results():
                    if timings.first_result is None:
                        timings.first_result = time.monotonic() - start
                    if isinstance(result, Refused):
                        summary.refused[job.student] = str(result)
                        progress.step(f"{job.student} REFUSED")
                        continue
                    if isinstance(result, BaseException):
                        result = _ungraded(recorder, job, f"grading failed: "
                                           f"{type(result).__name__}: {str(result)[:300]}")
                    else:
                        timings.add_worker(result.get("worker"))
                    finish(job, result)
        if runner is not None:
            runner.close()
            runner = None
    finally:
        if runner is not None:   # stopped, or a failure of ours: stop the workers now
            runner.close(abort=True)
        progress.close()


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


def _devices_unchecked(result, devices, course):
    """Where the run checks the CPU alone, no `<function>-devices` cell was
    really checked: each is 0 of 0 (the gradebook's maximum, set by
    ensure_assignment), saying why"""
    if list(devices) != ["cpu"]:
        return result
    message = NOT_CHECKED_COURSE if list(course) == ["cpu"] else \
        NOT_CHECKED_RUN.format(course=", ".join(course))
    verdicts = dict(result.get("verdicts") or {})
    for gid in verdicts:
        if gid.endswith("-devices"):
            verdicts[gid] = {"grade_id": gid, "passed": True, "points": 0.0, "max_points": 0.0,
                             "message": message, "checked": 0, "devices": []}
    return dict(result, verdicts=verdicts)


def _ungraded(recorder, job, reason):
    """The result of a submission no worker could grade: 0 and the reason for
    every check (recorded, but neither kept nor marked done: the next run
    grades it again)"""
    try:
        verdicts = recorder.zero_verdicts(Path(job.path).stem, reason)
    except Exception:  # noqa: BLE001  (a notebook the gradebook does not know: not recorded)
        verdicts = {}
    return {"verdicts": verdicts, "cells": {}, "problems": [reason],
            "output": {"text": "", "total_bytes": 0}, "devices": [], "seconds": 0.0,
            "ungraded": True}


def _keep(path, job, result, final=True):
    """The result, kept where a later run (when final: under its key) and
    the report find it"""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"key": job.key if final else None, "student": job.student,
                                   "notebook": Path(job.path).stem, "result": result}))
        os.replace(tmp, path)
    except OSError:
        pass  # only a shortcut for the next run and the report


def _finish(recorder, course_dir, assignment, job, result, summary):
    """Keep the result (a run killed now records it from here next time),
    record it in one transaction, then mark the submission done; the
    submission's score and the most it could get, or None where it could
    not be recorded (named in the summary; the next run tries again)"""
    from grader.record import write_marker
    result = {k: v for k, v in result.items() if k != "not_recorded"}  # (kept from a run before)
    final = not result.get("ungraded") and job.key is not None
    saved = results_path(course_dir, assignment, job.student, Path(job.path).stem)
    _keep(saved, job, result, final)
    try:
        if not result.get("verdicts"):
            raise ValueError("the gradebook has no such notebook in this assignment")
        note = recorder.record(job.student, job.path, result)
    except Exception as exc:  # noqa: BLE001  (costs this submission only)
        reason = f"not recorded: {type(exc).__name__}: {str(exc).strip()[:300]}"
        summary.failed[job.student] = reason
        _keep(saved, job, dict(result, not_recorded=reason), final)
        return None
    if note and note not in (result.get("problems") or []):
        result = dict(result, problems=list(result.get("problems") or []) + [note])
        _keep(saved, job, result, final)
    score = sum(v["points"] for v in result["verdicts"].values())
    top = sum(v["max_points"] for v in result["verdicts"].values())
    if final:
        write_marker(course_dir, assignment, job.student, job.key,
                     {"score": score, "max_score": top, "seconds": result.get("seconds"),
                      "problems": result.get("problems", []),
                      "devices": result.get("devices", [])})
    summary.graded.append(job.student)
    if (result.get("worker") or {}).get("isolated") is False:
        summary.unisolated.append(job.student)
    if result.get("problems"):
        summary.failed[job.student] = "; ".join(result["problems"])
    return score, top
