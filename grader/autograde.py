"""`grader autograde`: grade every submission of an assignment

The pipeline, stage by stage:

1. the ledger (ledger.py) reads each submission once, keys it (its bytes,
   the checks, the seed, the devices) and says what is up to date (its
   marker in autograded/ carries the key and the gradebook holds it), what
   is graded but not recorded (the result cache, DIR/.grader/results) and
   what to grade; --force grades everything again;
2. a runner (runners/: worker processes here, this process, or a Dask
   cluster) gives each submission's bytes to a warm worker (worker.py),
   which grades it in its sandbox (grade.py) and gives a GradeResult back;
3. this process, the only gradebook writer, records each result as it
   comes (record.py, one transaction per submission, through the ledger:
   kept, recorded, marked), so that a run killed halfway and started again
   grades only what is missing.

One submission's failure costs only that submission: a file that cannot be
read, a notebook nbgrader cannot record as submitted, a worker that fails
on it. It is recorded with its reason (0 where nothing could be graded),
named in the run's summary, and the run goes on. What a worker refuses
(other checks, or a device the course is graded on that it lacks) is not
recorded at all.

The devices a course is graded on are a course setting, `[grading] devices`
in DIR/grader.toml (["cpu"] without it); `devices=` (`--devices`) overrides
it for one run. A run graded on the CPU alone checks no second device, so
every `<function>-devices` cell is worth 0 in the gradebook for it.

SIGINT (Ctrl-C) or SIGTERM stops a run within seconds: the workers and
their sandboxes are stopped, what was recorded is kept, and the summary
says so (the next run grades what is missing). The stop lands at once
where the run waits for its workers, and after the gradebook work in hand
otherwise (`Stops`): never inside a transaction or while SQLAlchemy reads
rows. Workers also watch this process and stop, sandboxes and all, when it
dies (SIGKILL).

Where the time goes (pooling, 2 cores; bench/README.md): per worker, once,
importing torch, building the plan and starting the sandbox (the forkserver
imports and builds the plan once for all workers, which fork from it); per
submission, running it in the sandbox (most of it), judging the outcomes
(little) and recording it here (one transaction, one shared connection).
"""
import contextlib
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from grader import ledger
from grader.course import DEFAULT_SEED, check_devices, course_devices, default_db_url
from grader.progress import Progress
from grader.worker import Refused, Setup, skip_slow_optional_imports


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


class Stopped(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived during a run"""

    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


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
    skip_slow_optional_imports()
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
    setup = Setup(seed, devices, dict(limits or {}), isolate,
                  {assignment: ledger.checks_fingerprint(assignment)})
    timings = Timings()
    with _stop_on_signals() as stops:
        try:
            _grade_all(summary, timings, setup, course_dir, start, stops, workers=workers,
                       force=force, scheduler=scheduler, db_url=db_url, quiet=quiet, out=out)
            stops.check()   # one that came during the last of the gradebook's work
        except Stopped as stop:
            summary.stopped = str(stop)
    summary.seconds = round(time.monotonic() - start, 2)
    summary.timings = timings.as_dict(summary.seconds)
    return summary


def _grade_all(summary, timings, setup, course_dir, start, stops, *, workers, force,
               scheduler, db_url, quiet, out):
    from grader.runners import make_runner
    assignment = summary.assignment
    workers = workers or os.cpu_count() or 1
    if not scheduler and workers > 1:
        from grader.runners.local import start_forkserver
        start_forkserver(assignment, setup)  # warming up while the gradebook is read
    recorded = set() if force else ledger.recorded_students(db_url, assignment)
    work = ledger.scan(course_dir, assignment, setup.fingerprints[assignment], setup.seed,
                       setup.devices, recorded, force)
    summary.skipped = work.skipped
    total = summary.left = len(work.todo) + len(work.cached)
    progress = Progress(total, f"autograde {assignment}", out=out, quiet=quiet)
    from grader.gradebook import ensure_assignment
    if not total:
        ensure_assignment(course_dir, assignment, db_url, setup.devices)
        progress.close()
        return
    # the workers start (imports, plan, sandboxes) while this process gets the
    # gradebook ready
    runner = make_runner([assignment], setup, workers=min(workers, len(work.todo)),
                         scheduler=scheduler) if work.todo else None
    try:
        if runner is not None:
            if runner.description:
                progress.note(f"starting {runner.description}")
            with stops.waiting():
                for sub in work.todo:
                    runner.submit(sub)
                runner.start()
        t = time.monotonic()
        ensure_assignment(course_dir, assignment, db_url, setup.devices)
        # nbgrader's own tools (formgrader, generate_feedback) started in DIR
        # then see the course as the grader does
        from grader.feedback import write_nbgrader_config
        write_nbgrader_config(course_dir, db_url=db_url)
        timings.gradebook_ready = time.monotonic() - t
        stops.check()
        from grader.record import Recorder, ungraded
        with Recorder(course_dir, assignment, db_url) as recorder:
            def finish(sub, result):
                t, c = time.monotonic(), time.process_time()
                done = record(recorder, course_dir, sub, result, summary)
                timings.add_record(time.monotonic() - t, time.process_time() - c)
                if done is None:
                    progress.step(f"{sub.student} NOT RECORDED")
                else:
                    summary.left -= 1
                    progress.step(f"{sub.student} {done.score:g}/{done.max_score:g}")
                stops.check()   # a stop that came while recording

            for sub, result in work.cached:
                finish(sub, result)
            for sub, result in stops.waiting_on(runner.results()) if runner is not None else ():
                if timings.first_result is None:
                    timings.first_result = time.monotonic() - start
                if isinstance(result, Refused):
                    summary.refused[sub.student] = str(result)
                    progress.step(f"{sub.student} REFUSED")
                    continue
                if isinstance(result, BaseException):
                    result = ungraded(recorder, sub, result, setup.devices)
                else:
                    timings.add_worker(result.worker)
                finish(sub, result)
        if runner is not None:
            runner.close()
            runner = None
    finally:
        if runner is not None:   # stopped, or a failure of ours: stop the workers now
            runner.close(abort=True)
        progress.close()


def record(recorder, course_dir, sub, result, summary):
    """Record one graded submission (ledger.record), its devices checks
    worth nothing where the run checks the CPU alone; the result as
    recorded, or None where the gradebook did not take it (named in the
    summary; the next run tries again)"""
    from grader.checks.explain import problem
    from grader.result import devices_unchecked
    result = devices_unchecked(result, summary.devices, summary.course_devices)
    try:
        result = ledger.record(recorder, course_dir, sub, result)
    except ledger.NotRecorded as exc:
        summary.failed[sub.student] = str(exc)
        return None
    summary.graded.append(sub.student)
    if result.worker is not None and result.worker.isolated is False:
        summary.unisolated.append(sub.student)
    if result.problems:
        summary.failed[sub.student] = "; ".join(problem(p) for p in result.problems)
    return result


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
        self.worker_wall += info.seconds or 0.0
        self.worker_cpu += info.cpu or 0.0
        self.sandbox_cpu += info.sandbox_cpu or 0.0

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


class Stops:
    """The first SIGINT or SIGTERM of a run; later ones are ignored while the
    run stops its workers (a few seconds). Stopped is raised at once only
    while the run waits for its workers (`waiting`); anywhere else (the
    gradebook's work: a transaction, nbgrader's API, SQLAlchemy reading
    rows) the signal is only kept, and raised at the next safe point
    (`check`), so that it never tears a transaction or a cursor apart."""

    def __init__(self):
        self.signum = None
        self.interruptible = False

    def handler(self, signum, frame):
        if self.signum is None:
            self.signum = signum
            if self.interruptible:
                raise Stopped(signum)

    def check(self):
        if self.signum is not None:
            raise Stopped(self.signum)

    @contextlib.contextmanager
    def waiting(self):
        """A stop kept so far is raised now, and one that comes inside at once"""
        self.check()
        self.interruptible = True
        try:
            yield
        finally:
            self.interruptible = False

    def waiting_on(self, results):
        """The items of `results`, a stop raised at once while waiting for
        each (not while the caller handles one)"""
        results = iter(results)
        while True:
            with self.waiting():
                item = next(results, _END)
            if item is _END:
                return
            yield item


_END = object()


@contextlib.contextmanager
def _stop_on_signals():
    """Stops for this run: SIGINT (Ctrl-C) and SIGTERM handled by it while
    the run goes on. Only the main thread can have signal handlers;
    elsewhere the Stops never fires."""
    stops = Stops()
    if threading.current_thread() is not threading.main_thread():
        yield stops
        return
    old = {sig: signal.signal(sig, stops.handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stops
    finally:
        for sig, previous in old.items():
            signal.signal(sig, previous)
