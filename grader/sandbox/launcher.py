"""The grader side of the sandbox: start one, send it submissions, read back

`Sandbox` starts the watchdog (`sandbox/inside`) inside bubblewrap (new pid, network, ipc and
uts namespaces; read-only system and venv; only the public `grader.checks`
package; size-limited tmpfs /scratch and /tmp as the only writable places;
no setuid binaries, no capabilities but the three the zygote needs to run
student code as a second unprivileged uid) and keeps it warm for many
submissions. Where the machine allows, the whole sandbox also goes into a
cgroup that caps its memory and process count together.

Where bubblewrap cannot run it says so loudly (`SandboxUnavailable`) and
falls back to plain rlimits, which do not isolate the network or the file
system. A sandbox that dies or stops answering is started again on the next
submission, so one hostile notebook cannot stop the rest of the class.
"""
import collections
import os
import queue
import random
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import warnings
from pathlib import Path

from grader.checks import wire
from grader.sandbox import seccomp
from grader.sandbox.limits import Limits

PACKAGE = Path(__file__).resolve().parents[1]      # grader/
UID_BASE = 61000
_USED_UIDS = set()


class SandboxError(RuntimeError):
    """The sandbox itself failed (not the student's code)"""


class SandboxUnavailable(UserWarning):
    """Isolation is weaker than it should be on this machine"""


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _stale(name, prefix):
    """Whether `<prefix><pid>-...` was made by a process that is gone"""
    rest = name[len(prefix):].split("-", 1)[0]
    return name.startswith(prefix) and rest.isdigit() and not _pid_alive(int(rest))


def _sweep(parent, prefix, remove):
    """Remove what dead graders left under parent (killed workers never close)"""
    try:
        names = os.listdir(parent)
    except OSError:
        return
    for name in names:
        if _stale(name, prefix):
            try:
                remove(os.path.join(parent, name))
            except OSError:
                pass


def _stage():
    """A world-readable copy of what the sandbox may import of ours: the
    public checks and the code that runs inside (sandbox/inside, procs)"""
    _sweep(tempfile.gettempdir(), "grader-stage-",
           lambda p: shutil.rmtree(p, ignore_errors=True))
    root = Path(tempfile.mkdtemp(prefix=f"grader-stage-{os.getpid()}-"))
    os.chmod(root, 0o755)
    dest = root / "grader"
    dest.mkdir()
    shutil.copy(PACKAGE / "__init__.py", dest / "__init__.py")
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(PACKAGE / "checks", dest / "checks", ignore=skip)
    (dest / "sandbox").mkdir()
    (dest / "sandbox" / "__init__.py").write_text("")
    shutil.copy(PACKAGE / "sandbox" / "procs.py", dest / "sandbox" / "procs.py")
    shutil.copytree(PACKAGE / "sandbox" / "inside", dest / "sandbox" / "inside", ignore=skip)
    for path in [root, *root.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    return root


def bwrap_works():
    """Whether bubblewrap can make the namespaces we need here"""
    exe = shutil.which("bwrap")
    if not exe or os.geteuid() != 0:
        return False
    try:
        r = subprocess.run([exe, "--unshare-net", "--unshare-pid", "--ro-bind", "/", "/",
                            "--dev", "/dev", "--proc", "/proc", "true"],
                           capture_output=True, timeout=20)
        return r.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


_BWRAP_OK = None


def _bwrap_ok():
    global _BWRAP_OK
    if _BWRAP_OK is None:
        _BWRAP_OK = bwrap_works()
    return _BWRAP_OK


def _mounts_for_python():
    """Read-only binds: the system, the interpreter's prefix and the venv"""
    paths = {"/usr", "/etc"}
    for p in (sys.prefix, sys.base_prefix, sysconfig.get_paths()["stdlib"],
              sysconfig.get_paths()["purelib"], os.path.realpath(sys.executable)):
        paths.add(os.path.realpath(p))
    # keep the outermost of nested paths
    keep = sorted(paths)
    out = []
    for p in keep:
        if not any(p.startswith(q.rstrip("/") + "/") for q in out):
            out.append(p)
    return out


def _hidden_copies():
    """Installed (non-editable) copies of our package inside the mounted
    prefixes: they hold the references and hidden cases, so they are masked"""
    out = []
    for key in ("purelib", "platlib"):
        site = Path(sysconfig.get_paths()[key])
        candidate = site / "grader"
        if candidate.is_dir() and (candidate / "reference").exists():
            out.append(str(candidate.resolve()))
    return sorted(set(out))


def _parents(path):
    parts = Path(path).parts
    return [str(Path(*parts[:i])) for i in range(2, len(parts))]


CAPS = ("setuid", "setgid", "kill")  # the watchdog's, never the student's
MODULE = "grader.sandbox.inside"     # what runs inside: the watchdog


def bwrap_command(stage, uid, limits, cuda=False, student_uids=None, seccomp_fd=None):
    args = ["bwrap", "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session",
            "--hostname", "sandbox", "--clearenv"]
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    made = set()
    for top in ("/usr",):
        args += ["--ro-bind", top, top]
    for link in ("bin", "lib", "lib64", "sbin"):
        if os.path.islink(f"/{link}"):
            args += ["--symlink", os.readlink(f"/{link}"), f"/{link}"]
        elif os.path.isdir(f"/{link}"):
            args += ["--ro-bind", f"/{link}", f"/{link}"]
    size = str(limits.scratch_mb << 20)
    args += ["--ro-bind", "/etc", "/etc", "--dev", "/dev", "--proc", "/proc",
             "--size", size, "--perms", "1777", "--tmpfs", "/tmp",
             "--perms", "0755", "--tmpfs", "/root", "--perms", "0755", "--tmpfs", "/home"]
    made |= {"/tmp", "/root", "/home", "/usr", "/etc", "/dev", "/proc"}
    for path in _mounts_for_python():
        if path in ("/usr", "/etc") or path.startswith("/usr/"):
            continue
        for parent in _parents(path):
            if parent not in made and not os.path.islink(parent):
                args += ["--perms", "0755", "--dir", parent]
                made.add(parent)
        args += ["--ro-bind", path, path]
    for path in _hidden_copies():
        args += ["--tmpfs", path, "--remount-ro", path]
    args += ["--perms", "0755", "--dir", "/opt", "--ro-bind", str(stage), "/opt/grader",
             "--size", size, "--perms", "1777", "--tmpfs", "/scratch"]
    if cuda:
        for dev in Path("/dev").glob("nvidia*"):
            args += ["--dev-bind", str(dev), str(dev)]
    env = dict(_env(uid), GRADER_PIDNS="1")
    if student_uids is not None:
        env["GRADER_STUDENT_UIDS"] = f"{student_uids.start}:{len(student_uids)}"
    for key, value in env.items():
        args += ["--setenv", key, value]
    caps = ",".join(f"+{c}" for c in CAPS)
    for cap in CAPS:
        args += ["--cap-add", f"CAP_{cap.upper()}"]
    args += ["--", "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
             f"--inh-caps=-all,{caps}", f"--ambient-caps=-all,{caps}",
             f"--bounding-set=-all,{caps}",
             sys.executable, "-X", "frozen_modules=off", "-m", MODULE]
    return args


def _env(uid):
    env = {"PYTHONPATH": "/opt/grader", "HOME": "/scratch", "PATH": "/usr/bin:/bin",
           "GRADER_SCRATCH": "/scratch", "TMPDIR": "/tmp", "MPLBACKEND": "Agg",
           "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "LANG": "C.UTF-8", "PYTHONHASHSEED": "0",
           # torch.cuda.is_available() asks NVML, not the driver: it never
           # initialises CUDA in the watchdog or the template (ARCHITECTURE.md)
           "PYTORCH_NVML_BASED_CUDA_CHECK": "1"}
    for key in ("CUDA_VISIBLE_DEVICES", "LD_LIBRARY_PATH"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


STUDENTS_PER_SANDBOX = 4096   # student uids a sandbox cycles through


def _allocate_uids():
    """A block of fresh uids: the watchdog's, then one per student graded
    (reused only after STUDENTS_PER_SANDBOX students, each cleaned away
    first), picked at random so that sandboxes of other processes seldom
    meet"""
    while True:
        watchdog = UID_BASE + (STUDENTS_PER_SANDBOX + 1) * random.randrange(400_000)
        if watchdog not in _USED_UIDS:
            _USED_UIDS.add(watchdog)
            return watchdog, range(watchdog + 1, watchdog + 1 + STUDENTS_PER_SANDBOX)


class Cgroup:
    """A memory and process cap on the whole sandbox, where the machine lets
    us make one (cgroup v2, or v1's memory and pids controllers); a no-op
    elsewhere (`active` is False), leaving the per-process rlimits"""

    def __init__(self, memory_mb, processes):
        self.paths = []
        name = f"grader-sandbox-{os.getpid()}-{random.randrange(1 << 30):x}"
        if os.geteuid() != 0 or not memory_mb:
            return
        try:
            self._v2(name, memory_mb, processes) or self._v1(name, memory_mb, processes)
        except OSError:
            self.close()
            self.paths = []

    @property
    def active(self):
        return bool(self.paths)

    def _own(self, controller):
        """Our own cgroup's directory under a v1 controller"""
        try:
            with open("/proc/self/cgroup") as f:
                for line in f:
                    _, names, path = line.rstrip("\n").split(":", 2)
                    if controller in names.split(","):
                        return Path("/sys/fs/cgroup") / controller / path.lstrip("/")
        except OSError:
            pass
        return None

    def _v2(self, name, memory_mb, processes):
        root = Path("/sys/fs/cgroup")
        if not (root / "cgroup.controllers").exists():
            return False
        controllers = (root / "cgroup.controllers").read_text().split()
        if "memory" not in controllers:
            return False
        with open("/proc/self/cgroup") as f:
            own = next((ln.split("::", 1)[1].strip() for ln in f if ln.startswith("0::")), "/")
        parent = root / own.lstrip("/")
        _sweep(parent, "grader-sandbox-", os.rmdir)
        path = parent / name
        path.mkdir()
        self.paths.append(path)
        (path / "memory.max").write_text(str(memory_mb << 20))
        try:
            (path / "memory.swap.max").write_text("0")
            (path / "pids.max").write_text(str(processes))
        except OSError:
            pass
        return True

    def _v1(self, name, memory_mb, processes):
        memory = self._own("memory")
        if memory is None or not (memory / "memory.limit_in_bytes").exists():
            return False
        _sweep(memory, "grader-sandbox-", os.rmdir)
        path = memory / name
        path.mkdir()
        self.paths.append(path)
        (path / "memory.limit_in_bytes").write_text(str(memory_mb << 20))
        pids = self._own("pids")
        if pids is not None and pids.is_dir():
            try:
                _sweep(pids, "grader-sandbox-", os.rmdir)
                path = pids / name
                path.mkdir()
                self.paths.append(path)
                (path / "pids.max").write_text(str(processes))
            except OSError:
                pass
        return True

    def wrap(self, cmd):
        """cmd, entering the cgroup before it starts (no window for escape)"""
        if not self.paths:
            return cmd
        procs = " ".join(f"'{p / 'cgroup.procs'}'" for p in self.paths)
        return ["/bin/sh", "-c", f'for f in {procs}; do echo $$ > "$f" || exit 97; done; '
                                 f'exec "$@"', "sh", *cmd]

    def close(self):
        for path in reversed(self.paths):
            for _ in range(50):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # processes still leaving
                    time.sleep(0.02)


class Sandbox:
    """One warm sandbox process; `run(request)` grades one submission.

    Started again by `run` when it died or was closed after a failure."""

    def __init__(self, limits=None, isolate=None, fresh_per_function=None):
        """fresh_per_function: run each function in a fresh student process
        that replays the cells, instead of a fork of the one that ran them
        (what CUDA needs; default: where there is CUDA)"""
        self.limits = limits or Limits()
        self.isolate = _bwrap_ok() if isolate is None else isolate
        self.cuda = _has_cuda()
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
        self.stage = _stage()
        self.uid, self.student_uids = _allocate_uids()
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
            _sweep(tempfile.gettempdir(), "grader-scratch-",
                   lambda p: shutil.rmtree(p, ignore_errors=True))
            self.scratch = tempfile.mkdtemp(prefix=f"grader-scratch-{os.getpid()}-")
            os.chmod(self.scratch, 0o1777)
            cmd = [sys.executable, "-m", MODULE]
            env = dict(_env(self.uid), GRADER_SCRATCH=self.scratch,
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


def _has_cuda():
    try:
        import torch
        return torch.cuda.is_available()
    except Exception:  # noqa: BLE001
        return False
