"""The student's processes: S runs the cells, C runs one function's calls

S is forked by the template (T) for one student, as that student's uid,
from memory that never held another student's data; it reads its request
(the student's cells, the plan's calls) from its command pipe, runs the
cells in an IPython shell, says which functions are defined, then serves
jobs: for each it forks C, which runs that function's calls and streams
one sealed outcome per call. In `direct` mode (CUDA: a process that has
initialised CUDA cannot use it in a fork) S runs the cells quietly and
then one job itself, and ends.

S and C hold exactly fds 0 (/dev/null), 1 and 2 (the output pipe), 3
(events), 4 (commands) and 5 (output). Everything they report is a claim:
values are judged outside; what is measured inside (in-place changes, the
traced ops) is measured by code whose modules C restores around every
student call (guard.py).
"""
import os
import resource
import signal
import sys

import torch

from grader.checks import wire
from grader.checks.calls import Outcome, run_call
from grader.sandbox.inside import guard, privileges

FD_EVENTS, FD_COMMANDS, FD_OUTPUT = 3, 4, 5
SHELL = None   # the IPython shell, made by the watchdog before the template forks


def make_shell():
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    class Shell(InteractiveShell):
        def enable_gui(self, gui=None):  # `%matplotlib inline` needs no GUI here
            pass

    config = Config()
    config.HistoryManager.enabled = False  # no sqlite file shared across forks
    return Shell.instance(colors="nocolor", config=config)


def send(fd, header, blobs=()):
    view = memoryview(wire.pack(header, blobs))
    while view:
        view = view[os.write(fd, view):]


def receive(fd):
    return wire.read_frame(lambda n: os.read(fd, n))


# --- S ------------------------------------------------------------------------------

def student_process(pipes, uid, work):
    """S: never returns. `pipes`: its ends of the events, commands and
    output pipes; uid: the student's (None: run as we are, no isolation)"""
    _exit, _fork, _waitpid = os._exit, os.fork, os.waitpid
    os.setsid()
    _arrange_fds(*pipes)
    separate = privileges.become(uid)
    if uid is not None and not separate:
        _exit(71)  # asked to drop privileges and could not: run nothing
    privileges.prctl(privileges.PR_SET_PDEATHSIG, signal.SIGKILL)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the template reaps in a handler
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")  # under memory pressure, student processes go first
    except OSError:
        pass
    request, blobs = receive(FD_COMMANDS)
    restore = guard.restorer(guard.PRISTINE)
    os.chdir(work)
    os.environ.update(HOME=work, TMPDIR=work, MPLBACKEND="Agg", MPLCONFIGDIR=work,
                      IPYTHONDIR=os.path.join(work, ".ipython"))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    _limit(request["limits"], separate)
    jobs = request["jobs"]
    shell = SHELL or make_shell()
    for cell in request["cells"]:
        send(FD_EVENTS, {"ev": "cell_start", "index": cell["index"]})
        try:
            result = shell.run_cell(cell["source"], store_history=False, silent=False)
            err = result.error_before_exec or result.error_in_exec
        except BaseException as exc:  # noqa: BLE001
            err = exc
        try:
            sys.stdout.flush()
        except Exception:  # noqa: BLE001
            pass
        send(FD_EVENTS, {"ev": "cell_end", "index": cell["index"],
                         "error": _error_text(err) if err else None})
    ns = shell.user_ns
    send(FD_EVENTS, {"ev": "ready",
                     "defined": [j["function"] for j in jobs if callable(ns.get(j["function"]))]})
    direct = request.get("direct")
    if direct is not None:  # this process runs that one job, and ends
        restore()
        function_process(jobs[direct], ns.get(jobs[direct]["function"]), blobs, restore,
                         separate)
    while True:
        frame = receive(FD_COMMANDS)
        if frame is None:
            _exit(0)
        j = frame[0].get("job")
        if type(j) is not int or not 0 <= j < len(jobs):
            _exit(72)
        pid = _fork()
        if pid == 0:
            restore()
            function_process(jobs[j], ns.get(jobs[j]["function"]), blobs, restore, separate)
        _, status = _waitpid(pid, 0)
        send(FD_EVENTS, {"ev": "job_exit", "job": j, "status": _status_text(status)})


def _arrange_fds(ev_w, cmd_r, out_w):
    """Keep the three pipes as fds 3, 4, 5 and /dev/null, the output pipe
    as 0, 1, 2; every other descriptor (the grader's pipes above all) goes"""
    import fcntl
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100) for fd in (ev_w, cmd_r, out_w)]
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(high[2], 1)
    os.dup2(high[2], 2)
    for fd, target in zip(high, (FD_EVENTS, FD_COMMANDS, FD_OUTPUT)):
        os.dup2(fd, target, inheritable=False)
    os.closerange(FD_OUTPUT + 1, 1 << 16)


def _limit(limits, separate):
    mem = limits.get("memory_bytes")
    if mem:
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    cpu = limits.get("cpu_seconds")
    if cpu:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    fsize = limits.get("file_bytes")
    if fsize:
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    nproc = limits.get("processes")
    if nproc and separate:  # counted per uid: only meaningful for our own uid
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    nofile = limits.get("open_files", 256)
    resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))


def _error_text(err):
    try:
        return f"{type(err).__name__[:100]}: {str(err)[:300]}"
    except Exception:  # noqa: BLE001  (a student exception whose str() fails)
        return "an exception that cannot be shown"


# --- C --------------------------------------------------------------------------------

def function_process(job, fn, blobs, restore, separate, _exit=os._exit):
    """C: run one function's calls, sending one sealed outcome per call;
    never returns"""
    try:
        if separate and not any(str(c.get("device", "cpu")).startswith("cuda")
                                for c in job["calls"]):
            # no threads or processes: nothing may run beside the measurement
            resource.setrlimit(resource.RLIMIT_NPROC, (1, 1))
        post = []
        guarded = guard.guard(fn, restore, post) if callable(fn) else None
        restore()  # then after every call, before anything is measured or sent
        for k, header in enumerate(job["calls"]):
            del post[:]
            # no start frame: call k starts when outcome k-1 is in (one frame
            # and its seal per call keep the watchdog's deadlines exact)
            call = wire.get_call(header, blobs)
            outcome = run_call(guarded, call)
            restore()
            out_blobs = []
            try:
                body = wire.put_outcome(outcome, out_blobs)
            except Exception as exc:  # noqa: BLE001
                outcome = Outcome("crash", note=f"unsendable result: {str(exc)[:200]}")
                out_blobs = []
                body = wire.put_outcome(outcome, out_blobs)
            after = None
            if post:
                heads, blobs_after = post[0]
                shift = len(out_blobs)
                after = [None if h is None else dict(h, blob=h["blob"] + shift)
                         for h in heads]
                out_blobs += blobs_after
            frame = wire.pack({"ev": "outcome", "job": job["index"], "call": k,
                               "outcome": body, "after": after}, out_blobs)
            guard.seal(frame, job["index"], k, FD_COMMANDS, FD_EVENTS)
        flush_std()
    finally:
        _exit(0)


def flush_std():
    """What a process printed goes out before it leaves through os._exit"""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001
            pass


def _status_text(status):
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = {signal.SIGXCPU: "CPU time limit", signal.SIGSEGV: "segmentation fault",
                signal.SIGKILL: "killed", signal.SIGABRT: "aborted",
                signal.SIGBUS: "bus error"}.get(sig, f"signal {sig}")
        return f"died ({name})"
    code = os.WEXITSTATUS(status)
    return "ok" if code == 0 else f"exited with code {code}"


def warm_up():
    """Pay torch's first-use costs (dispatch tracing, autograd, conv, pooling)
    once, in the watchdog, so that every forked process starts warm"""
    import torch.nn.functional as F

    from grader.checks.calls import Call
    X = torch.arange(16.0).reshape(1, 1, 4, 4)
    fns = [lambda X: F.conv2d(X, torch.ones(1, 1, 2, 2, dtype=X.dtype)),
           lambda X: F.avg_pool2d(X, 2) + F.max_pool2d(X, 2),
           lambda X: torch.softmax(X.unfold(-1, 2, 1), -1).sum(-1)
           @ torch.ones(3, 3, dtype=X.dtype)]
    for fn in fns:
        for dtype in (torch.float32, torch.float64):
            outcome = run_call(fn, Call("warm", (X.to(dtype),), trace=True, grad=True))
            wire.put_outcome(outcome, [])
    wire.pack({"warm": True})
