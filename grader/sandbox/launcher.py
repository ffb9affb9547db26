"""The grader side of the sandbox: start one, send it submissions, read back

`Sandbox` starts the watchdog (`sandbox/inside`) inside bubblewrap
(bwrap.py: new namespaces, a read-only system, only the public checks and
the code that runs inside, size-limited tmpfs as the only writable places,
a seccomp filter, no capabilities but the three the watchdog needs to run
students as uids of their own) and keeps it warm for many submissions.
Where the machine allows, the whole sandbox also goes into a cgroup that
caps its memory and process count together (cgroup.py).

Where bubblewrap cannot run it says so loudly (`SandboxUnavailable`) and
falls back to plain rlimits, which do not isolate the network or the file
system. A sandbox that dies or stops answering is started again on the next
submission, so one hostile notebook cannot stop the rest of the class.
"""
import collections
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings

from grader.checks import wire
from grader.sandbox import seccomp
from grader.sandbox.bwrap import (MODULE, allocate_uids, bwrap_command, bwrap_ok,
                                  own_folder, sandbox_env, stage)
from grader.sandbox.cgroup import Cgroup
from grader.sandbox.limits import Limits
from grader.sandbox.stale import sweep_stale


class SandboxError(RuntimeError):
    """The sandbox itself failed (not the student's code)"""


class SandboxUnavailable(UserWarning):
    """Isolation is weaker than it should be on this machine"""


class Sandbox:
    """One warm sandbox process; `run(request)` grades one submission.

    Started again by `run` when it died or was closed after a failure."""

    def __init__(self, limits=None, isolate=None, fresh_per_function=None):
        """fresh_per_function: run each function in a fresh student process
        that replays the cells, instead of a fork of the one that ran them
        (what CUDA needs; default: where there is CUDA)"""
        self.limits = limits or Limits()
        self.isolate = bwrap_ok() if isolate is None else isolate
        self.cuda = has_cuda()
        self.fresh_per_function = self.cuda if fresh_per_function is None \
            else fresh_per_function
        self.proc = None
        self.stage = None
        self.scratch = None
        self.cgroup = None
        self.seccomp = None
        self.starts = 0
        self.received = 0   # bytes read from the sandbox for the last submission
        if not self.isolate:
            warnings.warn("bubblewrap is not available (needs root and Debian's "
                          "`bubblewrap`): student code runs with rlimits only, "
                          "WITHOUT network or file-system isolation", SandboxUnavailable,
                          stacklevel=2)
        self._start()

    # starting and stopping

    def _start(self):
        self.stage = stage()
        self.uid, self.student_uids = allocate_uids()
        self.cgroup = Cgroup(self.limits.sandbox_memory_mb, self.limits.processes + 64)
        fds = []
        if self.isolate:
            self.seccomp = seccomp.pipe_with_program()
            if self.seccomp is None:
                warnings.warn(f"no seccomp filter for {os.uname().machine}: SysV IPC, message "
                              f"queues and keyrings stay open to student code",
                              SandboxUnavailable, stacklevel=3)
            else:
                fds.append(self.seccomp)
            cmd = bwrap_command(self.stage, self.uid, self.limits, self.cuda,
                                student_uids=self.student_uids, seccomp_fd=self.seccomp)
            env = None
            self.scratch = None
        else:
            sweep_stale(tempfile.gettempdir(), "grader-scratch-",
                   lambda p: shutil.rmtree(p, ignore_errors=True))
            self.scratch = own_folder("grader-scratch-")
            os.chmod(self.scratch, 0o1777)
            cmd = [sys.executable, "-m", MODULE]
            env = dict(sandbox_env(self.uid), GRADER_SCRATCH=self.scratch,
                       GRADER_LAUNCHER_PID=str(os.getpid()),
                       PYTHONPATH=str(self.stage), HOME=self.scratch, TMPDIR=self.scratch,
                       PATH=os.environ.get("PATH", "/usr/bin"))
            if os.geteuid() == 0:  # we can at least run student code as other uids
                env["GRADER_STUDENT_UIDS"] = \
                    f"{self.student_uids.start}:{len(self.student_uids)}"
        try:
            hello = self._spawn(self.cgroup.wrap(cmd), env, fds)
            if hello is None and self.cgroup.active:  # the cgroup would not take us
                self.cgroup.close()
                self.cgroup = Cgroup(0, 0)  # an inactive one
                if self.seccomp is not None:  # bwrap read it: make it again
                    os.close(self.seccomp)
                    self.seccomp = seccomp.pipe_with_program()
                    cmd = bwrap_command(self.stage, self.uid, self.limits, self.cuda,
                                        student_uids=self.student_uids,
                                        seccomp_fd=self.seccomp)
                    fds = [self.seccomp]
                hello = self._spawn(cmd, env, fds)
        finally:
            if self.seccomp is not None:
                os.close(self.seccomp)
                self.seccomp = None
        if hello is None:
            tail = "".join(self.stderr)[-2000:]
            self.close()
            raise SandboxError("the sandbox did not start: " + tail)
        self.info = hello[0]
        if self.isolate and not self.info.get("separate"):
            warnings.warn("the sandbox could not run student code as a uid of its own: "
                          "student code could signal the sandbox's watchdog",
                          SandboxUnavailable, stacklevel=3)

    def _spawn(self, cmd, env, fds=()):
        """Start the process and its reader threads; its hello, or None"""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env, start_new_session=True,
                                     cwd="/", pass_fds=tuple(fds))
        self.starts += 1
        self.stderr = collections.deque(maxlen=200)
        self.frames = queue.Queue()
        threading.Thread(target=self._drain_stderr, args=(self.proc,), daemon=True).start()
        threading.Thread(target=self._reader, args=(self.proc, self.frames),
                         daemon=True).start()
        try:
            hello = self._read(timeout=120)
        except SandboxError:
            return None
        if not isinstance(hello, tuple) or hello[0].get("ev") != "hello":
            return None
        return hello[:2]

    def _drain_stderr(self, proc):
        while True:
            line = proc.stderr.readline(4096)
            if not line:
                return
            self.stderr.append(line.decode("utf-8", "replace"))

    @staticmethod
    def _reader(proc, frames):
        """One thread per sandbox: frames from its stdout into a queue, each
        with its size in bytes"""
        def read(n):
            data = proc.stdout.read(n)
            size[0] += len(data)
            return data
        size = [0]
        try:
            while True:
                size[0] = 0
                frame = wire.read_frame(read)
                frames.put(frame if frame is None else (*frame, size[0]))
                if frame is None:
                    return
        except Exception as exc:  # noqa: BLE001
            frames.put(exc)

    def _read(self, timeout):
        try:
            frame = self.frames.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return "timeout"
        if isinstance(frame, Exception):
            raise SandboxError(f"garbled data from the sandbox: {frame}")
        return frame

    def run(self, request, blobs, on_event=None):
        """Send one submission; return the list of events (header, blobs)"""
        if not self.alive():
            self.close()
            self._start()
        try:
            self.proc.stdin.write(wire.pack(request, blobs))
            self.proc.stdin.flush()
        except (OSError, ValueError) as exc:
            self.close()
            raise SandboxError(f"the sandbox stopped taking work: {exc}") from None
        events = []
        self.received = 0
        deadline = time.monotonic() + self.limits.notebook_seconds + 30
        while True:
            try:
                frame = self._read(timeout=deadline - time.monotonic())
            except SandboxError:
                self.close()
                raise
            if frame == "timeout" or frame is None:
                tail = "".join(self.stderr)[-2000:]
                self.close()
                raise SandboxError("the sandbox stopped answering" if frame else
                                   "the sandbox exited: " + tail)
            header, blobs, size = frame
            self.received += size
            events.append((header, blobs))
            if on_event:
                on_event((header, blobs))
            if header.get("ev") == "done":
                if header.get("restart"):  # it could not clean up: a fresh one next time
                    self.close()
                return events

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def close(self):
        proc = self.proc
        if proc is not None and proc.poll() is None:
            try:
                proc.stdin.write(wire.pack({"op": "quit"}))
                proc.stdin.flush()
                proc.wait(timeout=3)
            except (OSError, subprocess.TimeoutExpired, ValueError):
                pass
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        if proc is not None:
            try:  # stdout and stderr close with their reader threads, at EOF
                proc.stdin.close()
            except (OSError, ValueError):
                pass
        if self.stage:
            shutil.rmtree(self.stage, ignore_errors=True)
            self.stage = None
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None
        if self.cgroup is not None:
            self.cgroup.close()
            self.cgroup = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def has_cuda():
    try:
        import torch
        return torch.cuda.is_available()
    except Exception:  # noqa: BLE001
        return False
