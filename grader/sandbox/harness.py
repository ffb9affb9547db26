"""The sandbox side: a warm process that runs submissions, one at a time

Runs inside the sandbox (bubblewrap, an unprivileged uid, no network) with
torch already imported, and talks to the grader over stdin/stdout in
`grader.checks.wire` frames. For each submission it forks:

  zygote (this loop; never runs student code)
    S: runs the student's cells in an IPython shell
      C: one per function, forked from S: runs that function's calls

The zygote is the watchdog: it reads events with deadlines, and when a cell
or a call hangs or a process dies it kills every process of the sandbox
(`kill(-1)`: same uid, same pid namespace), notes what happened, and starts
S again without the bad cell, so one hang costs only what it touched. Only
plain data goes back: JSON headers and .npy arrays, never pickles.
"""
import os
import resource
import select
import shutil
import signal
import sys
import time

# The editable install's finder would resolve `grader` to the repository,
# which the sandbox does not mount: use the staged public copy instead
sys.meta_path = [f for f in sys.meta_path if "editable" not in type(f).__module__.lower()
                 and "editable" not in getattr(f, "__name__", "").lower()]

import torch  # noqa: E402  (paid once per sandbox, not per submission)

from grader.checks import wire  # noqa: E402
from grader.checks.calls import run_call  # noqa: E402

OUTPUT_KEEP = 64 * 1024
_SHELL = None


def _shell_class():
    from IPython.core.interactiveshell import InteractiveShell

    class Shell(InteractiveShell):
        def enable_gui(self, gui=None):  # `%matplotlib inline` needs no GUI here
            pass

    return Shell


# --- the protocol to the grader -------------------------------------------------

class Channel:
    def __init__(self, rfd, wfd):
        self.rfd, self.wfd = rfd, wfd

    def read(self):
        return wire.read_frame(lambda n: os.read(self.rfd, n))

    def send(self, header, blobs=()):
        data = wire.pack(header, blobs)
        view = memoryview(data)
        while view:
            n = os.write(self.wfd, view)
            view = view[n:]


# --- S and C: the processes that run student code ----------------------------

def _limit(limits):
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
    if nproc:
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    nofile = limits.get("open_files", 256)
    resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))


def _student_process(cells, skip, limits, ev_w, cmd_r, out_w, jobs, blobs, scratch):
    """S: run the cells, then run jobs on request; never returns"""
    os.setsid()
    os.chdir(scratch)
    os.environ.update(HOME=scratch, TMPDIR=scratch, MPLBACKEND="Agg",
                      MPLCONFIGDIR=scratch)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out_w, 1)
    os.dup2(out_w, 2)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    _limit(limits)
    events = Channel(cmd_r, ev_w)
    shell = _SHELL or _shell_class().instance(colors="nocolor")
    for cell in cells:
        if cell["index"] in skip:
            continue
        events.send({"ev": "cell_start", "index": cell["index"]})
        try:
            result = shell.run_cell(cell["source"], store_history=False, silent=False)
            err = result.error_before_exec or result.error_in_exec
        except BaseException as exc:  # noqa: BLE001
            err = exc
        sys.stdout.flush()
        events.send({"ev": "cell_end", "index": cell["index"],
                     "error": f"{type(err).__name__}: {str(err)[:300]}" if err else None})
    ns = shell.user_ns
    names = [j["function"] for j in jobs if callable(ns.get(j["function"]))]
    events.send({"ev": "ready", "defined": names})
    while True:
        frame = events.read()
        if frame is None:
            os._exit(0)
        j = frame[0].get("job")
        job = jobs[j]
        pid = os.fork()
        if pid == 0:
            _function_process(job, ns.get(job["function"]), events, blobs)
        _, status = os.waitpid(pid, 0)
        events.send({"ev": "job_exit", "job": j, "status": _status_text(status)})


def _function_process(job, fn, events, blobs):
    """C: run one function's calls, streaming each outcome; never returns"""
    try:
        for k, header in enumerate(job["calls"]):
            events.send({"ev": "call_start", "job": job["index"], "call": k})
            call = wire.get_call(header, blobs)
            outcome = run_call(fn if callable(fn) else None, call)
            out_blobs = []
            try:
                body = wire.put_outcome(outcome, out_blobs)
            except Exception as exc:  # noqa: BLE001
                outcome = run_call(None, call)
                outcome.kind, outcome.note = "crash", f"unsendable result: {exc}"
                out_blobs = []
                body = wire.put_outcome(outcome, out_blobs)
            events.send({"ev": "outcome", "job": job["index"], "call": k, "outcome": body},
                        out_blobs)
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(0)


def _status_text(status):
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = {signal.SIGXCPU: "CPU time limit", signal.SIGSEGV: "segmentation fault",
                signal.SIGKILL: "killed", signal.SIGABRT: "aborted"}.get(sig, f"signal {sig}")
        return f"died ({name})"
    code = os.WEXITSTATUS(status)
    return "ok" if code == 0 else f"exited with code {code}"


# --- the zygote: watchdog and relay -----------------------------------------

class Run:
    """One submission: start S, follow its events with deadlines, restart"""

    def __init__(self, grader, request, blobs, scratch_root):
        self.grader = grader
        self.cells = request["cells"]
        self.jobs = request["jobs"]
        for i, job in enumerate(self.jobs):
            job["index"] = i
        self.limits = request["limits"]
        self.blobs = blobs
        self.scratch_root = scratch_root
        self.skip = set()
        self.output = bytearray()
        self.output_total = 0
        self.sent_bytes = 0

    def start(self):
        self.scratch = os.path.join(self.scratch_root, "work")
        shutil.rmtree(self.scratch, ignore_errors=True)
        os.makedirs(self.scratch, mode=0o700)
        ev_r, ev_w = os.pipe()
        cmd_r, cmd_w = os.pipe()
        out_r, out_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(ev_r), os.close(cmd_w), os.close(out_r)
                _student_process(self.cells, self.skip, self.limits, ev_w, cmd_r, out_w,
                                 self.jobs, self.blobs, self.scratch)
            finally:
                os._exit(70)
        os.close(ev_w), os.close(cmd_r), os.close(out_w)
        self.pid, self.ev_r, self.cmd_w, self.out_r = pid, ev_r, cmd_w, out_r
        self.buffer = bytearray()

    def kill_all(self):
        """Every process of the sandbox but this one: S, C and their children"""
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for fd in (self.ev_r, self.cmd_w, self.out_r):
            try:
                os.close(fd)
            except OSError:
                pass
        while True:
            try:
                if os.waitpid(-1, 0)[0] <= 0:
                    break
            except ChildProcessError:
                break

    def next_event(self, deadline):
        """The next frame from S or C, or 'timeout', or None when S is gone"""
        while True:
            frame = self._parse()
            if frame is not None:
                return frame
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            fds = [self.ev_r] + ([self.out_r] if self.out_r is not None else [])
            ready, _, _ = select.select(fds, [], [], left)
            if self.out_r in ready:
                chunk = os.read(self.out_r, 65536)
                if not chunk:
                    os.close(self.out_r)
                    self.out_r = None
                else:
                    self.output_total += len(chunk)
                    if len(self.output) < OUTPUT_KEEP:
                        self.output += chunk[:OUTPUT_KEEP - len(self.output)]
            if self.ev_r in ready:
                chunk = os.read(self.ev_r, 1 << 20)
                if not chunk:
                    return None
                self.buffer += chunk
                if len(self.buffer) > self.limits["result_bytes"]:
                    return "flood"

    def _parse(self):
        data = bytes(self.buffer)
        pos = [0]

        def read(n):
            chunk = data[pos[0]:pos[0] + n]
            pos[0] += len(chunk)
            return chunk
        try:
            frame = wire.read_frame(read)
        except wire.WireError as exc:
            if "truncated" in str(exc):
                return None
            return ("garbled", str(exc))
        if frame is None:
            return None
        del self.buffer[:pos[0]]
        return frame

    def relay(self, header, blobs=()):
        self.sent_bytes += sum(len(b) for b in blobs)
        self.grader.send(header, blobs)

    def run(self):
        lim = self.limits
        end_all = time.monotonic() + lim["notebook_seconds"]
        self.start()
        # 1. the cells, restarting without any cell that hangs or kills S
        current = None
        restarts = 0
        while True:
            ev = self.next_event(min(end_all, time.monotonic() + lim["cell_seconds"]))
            if isinstance(ev, tuple) and len(ev) == 2 and isinstance(ev[0], dict):
                head = ev[0]
                if head.get("ev") == "cell_start":
                    current = head.get("index")
                    continue
                if head.get("ev") == "cell_end":
                    self.relay({"ev": "cell", "index": head.get("index"),
                                "status": "error" if head.get("error") else "ok",
                                "error": head.get("error")})
                    current = None
                    continue
                if head.get("ev") == "ready":
                    defined = head.get("defined")
                    break
            # a hang, a death or garbage: lose that cell, start again without it
            status = {"timeout": "timeout", None: "crash"}.get(ev if not isinstance(ev, tuple) else "x", "garbled")
            self.kill_all()
            self.relay({"ev": "cell", "index": current, "status": status,
                        "error": {"timeout": f"no end after {lim['cell_seconds']} s",
                                  "crash": "the process died while running it",
                                  }.get(status, "sent garbled data")})
            if current is None or restarts >= lim["restarts"] or time.monotonic() > end_all:
                self.relay({"ev": "abandoned", "reason": f"the notebook could not be run ({status})"})
                return
            self.skip.add(current)
            restarts += 1
            current = None
            self.start()
        # 2. the functions, each in its own C
        for job in self.jobs:
            if job["function"] not in defined:
                self.relay({"ev": "job", "job": job["index"], "status": "missing"})
                continue
            status = self._run_job(job, end_all)
            self.relay({"ev": "job", "job": job["index"], "status": status})
            if status != "ok":
                self.kill_all()
                if time.monotonic() > end_all:
                    break
                self.start()
                ev = None
                while True:  # the cells again (all known to finish), quietly
                    ev = self.next_event(min(end_all, time.monotonic() + lim["cell_seconds"]))
                    if not (isinstance(ev, tuple) and isinstance(ev[0], dict)) \
                            or ev[0].get("ev") == "ready":
                        break
                if not (isinstance(ev, tuple) and ev[0].get("ev") == "ready"):
                    self.relay({"ev": "abandoned", "reason": "the notebook failed on a re-run"})
                    return
                defined = ev[0].get("defined")
        self.kill_all()

    def _run_job(self, job, end_all):
        lim = self.limits
        os.write(self.cmd_w, wire.pack({"job": job["index"]}))
        deadline_job = min(end_all, time.monotonic() + lim["function_seconds"])
        deadline = min(deadline_job, time.monotonic() + lim["call_seconds"])
        current = None
        while True:
            ev = self.next_event(deadline)
            if ev == "timeout":
                which = "function" if deadline == deadline_job else "call"
                self.relay({"ev": "stopped", "job": job["index"], "call": current,
                            "kind": "timeout",
                            "note": f"the {which} did not finish within "
                                    f"{lim['function_seconds' if which == 'function' else 'call_seconds']} s"})
                return "timeout"
            if ev == "flood" or ev is None or (isinstance(ev, tuple) and not isinstance(ev[0], dict)):
                note = {"flood": "it sent more data than allowed",
                        None: "the process died"}.get(ev if not isinstance(ev, tuple) else "x",
                                                      "it sent garbled data")
                self.relay({"ev": "stopped", "job": job["index"], "call": current,
                            "kind": "crash", "note": note})
                return "crash"
            head, blobs = ev
            kind = head.get("ev")
            if kind == "call_start":
                current = head.get("call")
                deadline = min(deadline_job, time.monotonic() + lim["call_seconds"])
            elif kind == "outcome":
                self.relay(head, blobs)
            elif kind == "job_exit":
                status = head.get("status")
                if status != "ok":
                    self.relay({"ev": "stopped", "job": job["index"], "call": current,
                                "kind": "crash", "note": f"the process {status}"})
                    return "crash"
                return "ok"


def _warm_up():
    """Pay torch's first-use costs (dispatch tracing, autograd, conv, pooling)
    once here, so that every forked process starts warm"""
    from grader.checks.calls import Call
    import torch.nn.functional as F
    X = torch.arange(16.0).reshape(1, 1, 4, 4)
    fns = [lambda X: F.conv2d(X, torch.ones(1, 1, 2, 2)),
           lambda X: F.avg_pool2d(X, 2) + F.max_pool2d(X, 2),
           lambda X: X.unfold(-1, 2, 1).sum(-1) @ torch.ones(3, 3)]
    for fn in fns:
        for dtype in (torch.float32, torch.float64):
            run_call(fn, Call("warm", (X.to(dtype),), trace=True, grad=True))


def main():
    grader = Channel(0, 1)
    # Our own prints must not corrupt the protocol: stdout becomes stderr
    proto_out = os.dup(1)
    os.dup2(2, 1)
    grader.wfd = proto_out
    scratch_root = os.environ.get("GRADER_SCRATCH", "/scratch")
    torch.set_num_threads(1)
    global _SHELL
    _SHELL = _shell_class().instance(colors="nocolor")  # made once, copied by fork
    _warm_up()
    grader.send({"ev": "hello", "pid": os.getpid(), "uid": os.getuid(),
                 "torch": torch.__version__})
    while True:
        frame = grader.read()
        if frame is None:
            return
        request, blobs = frame
        if request.get("op") == "quit":
            return
        run = Run(grader, request, blobs, scratch_root)
        try:
            run.run()
        finally:
            grader.send({"ev": "output", "text": run.output.decode("utf-8", "replace"),
                         "total_bytes": run.output_total})
            grader.send({"ev": "done"})


if __name__ == "__main__":
    main()
