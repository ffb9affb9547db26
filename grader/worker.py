"""A grading worker: a submission's bytes in, its GradeResult out

Whatever runs the work (runners/: processes on this machine, this process,
a Dask cluster), each worker keeps the plan of the assignments it grades
and one warm sandbox per thread (`warm`), and grades one submission at a
time with `grade`: its bytes, the assignment and the run's `Setup` in, the
GradeResult as JSON out. A worker refuses (`Refused`) a submission whose
checks differ from the run's, or that asks for a device it lacks; nothing
is graded then.

Importing this module does nothing but define it: a process that grades
calls `skip_slow_optional_imports` first, and a worker `start`s (signals,
the watch on its parent, `warm`).
"""
import os
import select
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, field

_local = threading.local()          # one warm sandbox per worker thread
_by_thread = {}                     # the same, by thread id, for other threads to stop
_sandboxes = []                     # every sandbox this process started
_sandboxes_lock = threading.Lock()
_AT_EXIT = []


class Refused(RuntimeError):
    """A worker will not grade this run's work (other checks than the run's,
    or a device the run grades on is missing there); nothing is recorded"""


@dataclass(frozen=True)
class Setup:
    """What every submission of a run is graded with

    limits: grader.sandbox.limits.Limits fields (the default limits when empty)
    fingerprints: assignment -> the version of its checks the run grades with
        (ledger.checks_fingerprint); a worker with other checks refuses
    """
    seed: int
    devices: tuple = ("cpu",)
    limits: dict = field(default_factory=dict)
    isolate: bool = None
    fingerprints: dict = field(default_factory=dict)


def skip_slow_optional_imports():
    """jsonschema imports `rfc3987_syntax` when it is installed, only to check
    the "iri" string format, which neither nbformat nor nbgrader asks for; the
    import costs about 2 s of every process that reads a notebook
    (jsonschema issue 1428). Marking it absent makes jsonschema skip it.
    Call it before anything imports jsonschema (nbformat, nbgrader)."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)


def grade(data, assignment, setup):
    """Grade one submission: `data` is its bytes (or the OSError that kept
    them from being read); the GradeResult as JSON. Raises Refused."""
    from grader.ledger import checks_fingerprint
    expected = setup.fingerprints.get(assignment)
    mine = checks_fingerprint(assignment)
    if expected is not None and mine != expected:
        raise Refused(f"worker {socket.gethostname()} has other checks of {assignment} than "
                      f"this run ({mine}, not {expected}): it runs another version of the "
                      f"grader, or the checks changed on disk since the run started")
    return grade_bytes(data, assignment, setup.seed, setup.limits, setup.isolate,
                       setup.devices).to_json()


def grade_bytes(data, assignment, seed, limits=None, isolate=None, devices=("cpu",)):
    """Grade one submitted notebook given as its bytes on `devices`; a
    GradeResult. Raises Refused where this machine lacks one of them."""
    import torch

    from grader.checks.devices import missing
    from grader.checks.verdict import Finding
    from grader.grade import grade_notebook, not_run
    from grader.notebooks import parse_notebook
    from grader.result import WorkerInfo
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
        return not_run(assignment, Finding("unreadable", {"detail": str(exc)}), list(devices))
    sandbox = worker_sandbox(limits, isolate)
    cpu, box = time.process_time(), _tree_cpu(sandbox.proc.pid)
    result = grade_notebook(nb, assignment, sandbox, seed=seed, devices=tuple(devices))
    box = max(0.0, _tree_cpu(sandbox.proc.pid) - box) if sandbox.proc is not None else None
    result.worker = WorkerInfo(os.getpid(), os.uname().nodename,
                               round(time.monotonic() - start, 3),
                               round(time.process_time() - cpu, 3), bool(sandbox.isolate),
                               None if box is None else round(box, 3))
    return result


def _tree_cpu(pid):
    """CPU seconds used by a process and its descendants (see procs.tree_cpu)"""
    from grader.sandbox.procs import tree_cpu
    return sum(tree_cpu(pid))


def warm(assignments, setup, sandbox=True):
    """A worker's start-up, paid once: torch, the plan of every assignment,
    the sandbox (each submission says why where one cannot be had)"""
    import torch

    from grader.checks.devices import missing
    from grader.plan import trials
    torch.set_num_threads(1)
    if missing(setup.devices):
        return  # each submission says so (Refused)
    for assignment in assignments:
        trials(assignment, setup.seed, tuple(setup.devices))
    if sandbox:
        worker_sandbox(setup.limits, setup.isolate)


def start(assignments, setup, parent_pid):
    """A worker process's start (runners/local.py). Ctrl-C is the parent's to
    handle (it stops the workers); SIGTERM, or the parent's death, kills the
    worker's sandbox and ends the worker. A worker whose checks are not the
    run's warms nothing (each submission is refused), and one whose sandbox
    cannot start tries again for each submission, which then fails with
    the reason."""
    from grader.ledger import checks_fingerprint
    skip_slow_optional_imports()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, stop_worker)
    watch_process(parent_pid, stop_worker)
    if any(checks_fingerprint(a) != f for a, f in setup.fingerprints.items()):
        return
    try:
        warm(assignments, setup)
    except Exception:  # noqa: BLE001
        pass


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
    them (a worker told to stop, or whose parent died); takes no lock, so
    that a signal handler may call it"""
    boxes = list(_sandboxes)
    for sandbox in boxes:
        kill_sandbox(sandbox)
    for sandbox in boxes:
        try:
            sandbox.close()
        except Exception:  # noqa: BLE001
            pass


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


def stop_worker(signum=None, frame=None):
    """SIGTERM in a worker, or its parent gone: no sandbox outlives it, nor
    a folder of one that its main thread was starting again"""
    from grader.sandbox.bwrap import end_own_folders
    kill_sandboxes()
    end_own_folders()
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


PRELOAD_ENV = "GRADER_PRELOAD_PLAN"


def preload():
    """In the forkserver local workers fork from (runners/preload.py): build
    the plan before any worker forks, so that every worker starts with it.
    What to build comes from the environment the forkserver started with."""
    spec = os.environ.get(PRELOAD_ENV)
    if not spec:
        return
    try:
        import torch
        assignment, seed, devices = spec.rsplit(":", 2)
        devices = tuple(devices.split(","))
        if devices != ("cpu",) and (torch.version.cuda is not None
                                    or torch.version.hip is not None):
            return  # asking for a GPU here would spoil CUDA in every forked worker
        warm([assignment], Setup(int(seed), devices), sandbox=False)
    except Exception:  # noqa: BLE001  (the workers build it themselves then)
        pass
