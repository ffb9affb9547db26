"""Z, the watchdog: the sandbox's first process; it never runs student code

It talks to the grader over stdin/stdout in `grader.checks.wire` frames.
Started once per sandbox, it imports torch, warms it up, resolves the
traced ops, takes the guard's snapshot and forks the template (T), all
before it reads any request; then, for each submission:

  Z  reads the submission, picks the student's uid (a new one each time)
  T  forks S as that uid (from memory that never held student data)
  S  runs the cells; then, for each function, forks C, which runs its calls

Z reads S's and C's events with deadlines and accepts only the frame the
protocol expects next; each outcome must come with a seal made under the
secret Z sent for that call, and anything out of order, extra or
unsealed voids all of that function's outcomes. On a hang, a death or a
breach it kills every process of the student and starts S again without
the bad cell (or goes on with the next function). Every byte S and C send
counts against the function's result budget. After the submission every
process of the student is killed and everything they wrote removed; if
anything is left, Z says so and ends, and the grader starts a new sandbox
before the next student.
"""
import os
import select
import signal
import sys
import time

import torch

from grader.checks import trace, wire
from grader.sandbox.inside import cleanup, guard, privileges, student
from grader.sandbox.inside.protocol import JobProtocol, Stop
from grader.sandbox.inside.template import Template
from grader.sandbox.inside.tenants import Tenants

OUTPUT_KEEP = 64 * 1024
MAX_HEADER = 1 << 20   # no frame of S or C needs more (the grader's own are < 20 KB)


class Run:
    """One submission: start S, follow its events with deadlines, restart"""

    def __init__(self, tenants, template, request, blobs):
        self.tenants, self.template = tenants, template
        self.cells = [c for c in request.get("cells", [])
                      if isinstance(c, dict) and isinstance(c.get("index"), int)]
        self.jobs = request["jobs"]
        for i, job in enumerate(self.jobs):
            job["index"] = i
        self.names = {job["function"] for job in self.jobs}
        self.limits = request["limits"]
        self.blobs = blobs
        # a process that has initialised CUDA cannot use it in a fork: on
        # CUDA every function runs in its own fresh S (ARCHITECTURE.md)
        self.direct = bool(request.get("fresh_per_function")) or any(
            str(c.get("device", "cpu")).startswith("cuda")
            for job in self.jobs for c in job["calls"])
        self.uid = tenants.next_uid()
        self.skip = set()
        self.output = bytearray()
        self.output_total = 0
        self.taken = 0      # bytes S and C sent since the budget was reset
        self.ev_r = self.cmd_w = self.out_r = None
        self.frames = None
        self.started = False

    # processes and pipes

    def start(self, direct=None):
        """Fork a fresh S through the template; before a restart, kill what
        runs and clean (the first S of a submission starts from the state
        checked clean after the previous one)"""
        self.close()
        if self.started:
            problems = self.tenants.clean(self.uid, [self.template.pid],
                                          seconds=self.limits.get("cleanup_seconds", 30))
            if problems:
                raise Stop("cleanup", "; ".join(problems))
        self.started = True
        ev_r, ev_w = os.pipe()
        cmd_r, cmd_w = os.pipe()
        out_r, out_w = os.pipe()
        try:
            self.template.spawn((ev_w, cmd_r, out_w), self.uid)
        finally:
            os.close(ev_w), os.close(cmd_r), os.close(out_w)
        os.set_blocking(cmd_w, False)
        self.ev_r, self.cmd_w, self.out_r = ev_r, cmd_w, out_r
        self.frames = wire.FrameBuffer(MAX_HEADER)
        cells = [c for c in self.cells if c["index"] not in self.skip]
        self.write(wire.pack({"cells": cells, "jobs": self.jobs, "limits": self.limits,
                              "direct": direct}, self.blobs),
                   time.monotonic() + 30)

    def write(self, data, deadline):
        """All of data into S's command pipe (non-blocking), or Stop"""
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self.cmd_w, view[:1 << 16]):]
                continue
            except BlockingIOError:
                pass
            except OSError:
                raise Stop("crash", "the process stopped listening") from None
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [self.cmd_w], [], left)[1]:
                raise Stop("timeout", "the student's process stopped reading")

    def close(self):
        for fd in (self.ev_r, self.cmd_w, self.out_r):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.ev_r = self.cmd_w = self.out_r = None

    # reading S and C

    def next_event(self, deadline):
        """The next frame (header, blobs, raw bytes) from S or C; Stop on a
        timeout, a death, garbage or too much data"""
        while True:
            try:
                frame = self.frames.next()
            except wire.WireError:
                raise Stop("crash", "it sent garbled data") from None
            if frame is not None:
                return frame
            left = deadline - time.monotonic()
            if left <= 0:
                raise Stop("timeout", None)
            fds = [self.ev_r] + ([self.out_r] if self.out_r is not None else [])
            ready, _, _ = select.select(fds, [], [], left)
            if self.out_r is not None and self.out_r in ready:
                chunk = os.read(self.out_r, 1 << 16)
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
                    raise Stop("crash", "the process died")
                self.taken += len(chunk)
                if self.taken > self.limits["result_bytes"]:
                    raise Stop("crash", "it sent more data than allowed")
                self.frames.feed(chunk)

    # the submission

    def run(self):
        lim = self.limits
        self.end_all = time.monotonic() + lim["notebook_seconds"]
        # 1. the cells, restarting without any cell that hangs or kills S
        restarts = 0
        while True:
            try:
                self.start()
                defined = self._cells(quiet=False)
                break
            except Stop as stop:
                if stop.kind == "cleanup":
                    raise
                current, kind = stop.cell, stop.kind
                self.tenants.send({"ev": "cell", "index": current, "status": kind,
                               "error": stop.note or f"no end after {lim['cell_seconds']} s"})
                if current is None or restarts >= lim["restarts"] \
                        or time.monotonic() > self.end_all:
                    self.tenants.send({"ev": "abandoned",
                                   "reason": f"the notebook could not be run ({kind})"})
                    return
                self.skip.add(current)
                restarts += 1
        # 2. the functions: each in its own C, or (CUDA) its own S
        fresh = self.direct
        for job in self.jobs:
            if job["function"] not in defined:
                self.tenants.send({"ev": "job", "job": job["index"], "status": "missing"})
                continue
            if fresh:
                try:
                    self.start(direct=job["index"])
                    self._cells(quiet=True)
                except Stop as stop:
                    if stop.kind == "cleanup":
                        raise
                    self.tenants.send({"ev": "abandoned",
                                       "reason": "the notebook failed on a re-run"})
                    return
            status = self._job(job)
            self.tenants.send({"ev": "job", "job": job["index"], "status": status})
            if status != "ok" and not fresh:
                if time.monotonic() > self.end_all:
                    break
                try:  # the cells again (all known to finish), quietly
                    self.start()
                    defined = self._cells(quiet=True)
                except Stop as stop:
                    if stop.kind == "cleanup":
                        raise
                    self.tenants.send({"ev": "abandoned",
                                       "reason": "the notebook failed on a re-run"})
                    return

    def _cells(self, quiet):
        """Follow S through the cells; the names it defined, or Stop (with
        .cell, the cell that was running)"""
        lim = self.limits
        expected = [c["index"] for c in self.cells if c["index"] not in self.skip]
        pos, current = 0, None
        self.taken = 0
        deadline = min(self.end_all, time.monotonic() + lim["cell_seconds"])
        while True:
            try:
                head, _, _ = self.next_event(deadline)
            except Stop as stop:
                stop.cell = current
                raise
            kind = head.get("ev")
            if kind == "cell_start" and current is None and pos < len(expected) \
                    and head.get("index") == expected[pos]:
                current = expected[pos]
                deadline = min(self.end_all, time.monotonic() + lim["cell_seconds"])
            elif kind == "cell_end" and current is not None and head.get("index") == current:
                error = head.get("error")
                error = None if error is None else str(error)[:400]
                if not quiet:
                    self.tenants.send({"ev": "cell", "index": current,
                                   "status": "error" if error else "ok", "error": error})
                current, pos = None, pos + 1
                deadline = min(self.end_all, time.monotonic() + lim["cell_seconds"])
            elif kind == "ready" and current is None and pos == len(expected):
                names = head.get("defined")
                names = names if isinstance(names, list) else []
                return {n for n in names if isinstance(n, str) and n in self.names}
            else:
                stop = Stop("garbled", "it sent data outside the protocol")
                stop.cell = current
                raise stop

    def _job(self, job):
        """Run one function's calls and relay their sealed outcomes; the
        status: ok, timeout, crash or void"""
        return JobProtocol(self, job).follow()


def main(cleaner=None):
    """The watchdog's life; `cleaner`: the small process that does the
    clean-ups (started before torch was imported), or None to fork them
    from here"""
    # Our own prints must not corrupt the protocol: stdout becomes stderr
    grader_in, grader_out = 0, os.dup(1)
    os.dup2(2, 1)
    os.set_inheritable(grader_out, False)
    os.set_inheritable(grader_in, False)
    privileges.prctl(privileges.PR_SET_DUMPABLE, 0)         # no ptrace, no /proc/<pid>/mem
    privileges.prctl(privileges.PR_SET_CHILD_SUBREAPER, 1)  # orphans come back to us
    # we die with the grader that started us (bubblewrap's --die-with-parent
    # does it where there is bubblewrap)
    privileges.prctl(privileges.PR_SET_PDEATHSIG, signal.SIGKILL)
    launcher = os.environ.get("GRADER_LAUNCHER_PID")
    if launcher and not os.environ.get("GRADER_PIDNS") and str(os.getppid()) != launcher:
        return  # the grader died before we could ask to die with it
    tenants = Tenants(grader_out, cleaner)
    home = os.path.join(tenants.scratch, ".watchdog")
    os.makedirs(home, mode=0o755, exist_ok=True)
    os.environ.update(HOME=home, IPYTHONDIR=os.path.join(home, ".ipython"), MPLCONFIGDIR=home)
    torch.set_num_threads(1)
    student.SHELL = student.make_shell()  # made once, copied by fork
    student.warm_up()
    resolved = trace.warm()
    guard.watch_mode_stack()
    guard.PRISTINE = guard.snapshot()
    tenants.make_places()
    guard.block_audit_hooks()
    template = Template(tenants.work)  # before any request is read
    tenants.send({"ev": "hello", "pid": os.getpid(), "uid": os.getuid(),
                  "separate": tenants.separate, "student_uids": list(tenants.uids),
                  "pidns": tenants.pidns, "traced_ops": resolved, "template": template.pid,
                  "torch": torch.__version__})
    while True:
        frame = student.receive(grader_in)
        if frame is None:
            return
        request, blobs = frame
        if request.get("op") == "quit":
            return
        run = Run(tenants, template, request, blobs)
        restart = []
        try:
            run.run()
        except Stop as stop:  # the sandbox itself could not be cleaned
            restart.append(stop.note)
            tenants.send({"ev": "abandoned", "reason": "the sandbox could not be cleaned"})
        except Exception as exc:  # noqa: BLE001  (a bug of ours must not end the sandbox)
            tenants.send({"ev": "abandoned", "reason": f"the sandbox failed: "
                                                   f"{type(exc).__name__}: {exc}"[:300]})
        finally:
            run.close()
            restart += tenants.clean(run.uid, [template.pid],
                                     seconds=run.limits.get("cleanup_seconds", 30))
            restart += cleanup.leftovers(tenants.baseline)
            if not template.alive():
                restart.append("the template process died")
            if restart:
                tenants.send({"ev": "cleanup", "problems": [p[:300] for p in restart[:10]]})
            tenants.send({"ev": "output", "text": run.output.decode("utf-8", "replace"),
                      "total_bytes": run.output_total})
            tenants.send({"ev": "done", "restart": bool(restart)})
        if restart:
            return  # the grader starts a fresh sandbox for the next student


def quick_exit():
    """Leave without the interpreter's teardown of torch, which makes
    closing a sandbox slow (nothing is left to write: the protocol is
    unbuffered)"""
    student.flush_std()
    sys.stdout.flush()
