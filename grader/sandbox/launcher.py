"""The grader side of the sandbox: start one, send it submissions, read back

`Sandbox` starts `harness.py` inside bubblewrap (new pid, network, ipc and
uts namespaces; an unprivileged uid; read-only system and venv; only the
public `grader.checks` package; a private tmpfs as the only writable place)
and keeps it warm for many submissions. Where bubblewrap cannot run it says
so loudly and falls back to plain rlimits, which do not isolate the network
or the file system.
"""
import os
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
from grader.sandbox.limits import Limits

PACKAGE = Path(__file__).resolve().parents[1]      # grader/
UID_BASE = 61000


class SandboxError(RuntimeError):
    """The sandbox itself failed (not the student's code)"""


class SandboxUnavailable(UserWarning):
    """Isolation is weaker than it should be on this machine"""


def _stage():
    """A world-readable copy of what the sandbox may import of ours"""
    root = Path(tempfile.mkdtemp(prefix="grader-stage-"))
    os.chmod(root, 0o755)
    dest = root / "grader"
    (dest / "sandbox").mkdir(parents=True)
    shutil.copy(PACKAGE / "__init__.py", dest / "__init__.py")
    shutil.copytree(PACKAGE / "checks", dest / "checks",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PACKAGE / "sandbox" / "harness.py", dest / "sandbox" / "harness.py")
    (dest / "sandbox" / "__init__.py").write_text("")
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


def _parents(path):
    parts = Path(path).parts
    return [str(Path(*parts[:i])) for i in range(2, len(parts))]


def bwrap_command(stage, uid, limits, cuda=False):
    args = ["bwrap", "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session",
            "--hostname", "sandbox", "--clearenv"]
    made = set()
    for top in ("/usr",):
        args += ["--ro-bind", top, top]
    for link in ("bin", "lib", "lib64", "sbin"):
        if os.path.islink(f"/{link}"):
            args += ["--symlink", os.readlink(f"/{link}"), f"/{link}"]
        elif os.path.isdir(f"/{link}"):
            args += ["--ro-bind", f"/{link}", f"/{link}"]
    args += ["--ro-bind", "/etc", "/etc", "--dev", "/dev", "--proc", "/proc",
             "--perms", "1777", "--tmpfs", "/tmp", "--perms", "0755", "--tmpfs", "/root",
             "--perms", "0755", "--tmpfs", "/home"]
    made |= {"/tmp", "/root", "/home", "/usr", "/etc", "/dev", "/proc"}
    for path in _mounts_for_python():
        if path in ("/usr", "/etc") or path.startswith("/usr/"):
            continue
        for parent in _parents(path):
            if parent not in made and not os.path.islink(parent):
                args += ["--perms", "0755", "--dir", parent]
                made.add(parent)
        args += ["--ro-bind", path, path]
    args += ["--perms", "0755", "--dir", "/opt", "--ro-bind", str(stage), "/opt/grader",
             "--size", str(limits.scratch_mb << 20), "--perms", "0777", "--tmpfs", "/scratch"]
    if cuda:
        for dev in Path("/dev").glob("nvidia*"):
            args += ["--dev-bind", str(dev), str(dev)]
    for key, value in _env(uid).items():
        args += ["--setenv", key, value]
    args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--",
             "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
             "--inh-caps=-all", "--bounding-set=-all",
             sys.executable, "-X", "frozen_modules=off", "-m", "grader.sandbox.harness"]
    return args


def _env(uid):
    env = {"PYTHONPATH": "/opt/grader", "HOME": "/scratch", "PATH": "/usr/bin:/bin",
           "GRADER_SCRATCH": "/scratch", "TMPDIR": "/tmp", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1",
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "LANG": "C.UTF-8",
           "PYTHONHASHSEED": "0"}
    for key in ("CUDA_VISIBLE_DEVICES", "LD_LIBRARY_PATH"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


class Sandbox:
    """One warm sandbox process; `run(request)` grades one submission"""

    def __init__(self, limits=None, isolate=None):
        self.limits = limits or Limits()
        self.isolate = _bwrap_ok() if isolate is None else isolate
        self.stage = _stage()
        self.uid = UID_BASE + random.randrange(4000)
        self.cuda = _has_cuda()
        if self.isolate:
            cmd = bwrap_command(self.stage, self.uid, self.limits, self.cuda)
            env = None
            self.scratch = None
        else:
            warnings.warn("bubblewrap is not available (needs root and Debian's "
                          "`bubblewrap`): student code runs with rlimits only, "
                          "WITHOUT network or file-system isolation", SandboxUnavailable,
                          stacklevel=2)
            self.scratch = tempfile.mkdtemp(prefix="grader-scratch-")
            cmd = [sys.executable, "-m", "grader.sandbox.harness"]
            env = dict(_env(self.uid), GRADER_SCRATCH=self.scratch,
                       PYTHONPATH=str(self.stage), HOME=self.scratch,
                       PATH=os.environ.get("PATH", "/usr/bin"))
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env, start_new_session=True,
                                     cwd="/")
        self.stderr = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        hello = self._read(timeout=120)
        if not hello or hello[0].get("ev") != "hello":
            self.close()
            raise SandboxError("the sandbox did not start: " + "".join(self.stderr)[-2000:])
        self.info = hello[0]

    def _drain_stderr(self):
        for line in iter(self.proc.stderr.readline, b""):
            if len(self.stderr) < 200:
                self.stderr.append(line.decode("utf-8", "replace"))

    def _read(self, timeout):
        result = []

        def reader():
            try:
                result.append(wire.read_frame(self.proc.stdout.read))
            except Exception as exc:  # noqa: BLE001
                result.append(exc)
        t = threading.Thread(target=reader, daemon=True)
        t.start()
        t.join(timeout)
        if t.is_alive():
            return "timeout"
        if isinstance(result[0], Exception):
            raise SandboxError(f"garbled data from the sandbox: {result[0]}")
        return result[0]

    def run(self, request, blobs, on_event=None):
        """Send one submission; return the list of events (header, blobs)"""
        self.proc.stdin.write(wire.pack(request, blobs))
        self.proc.stdin.flush()
        events = []
        deadline = time.monotonic() + self.limits.notebook_seconds + 60
        while True:
            frame = self._read(timeout=max(1.0, deadline - time.monotonic()))
            if frame == "timeout" or frame is None:
                self.close()
                raise SandboxError("the sandbox stopped answering" if frame else
                                   "the sandbox exited: " + "".join(self.stderr)[-2000:])
            events.append(frame)
            if on_event:
                on_event(frame)
            if frame[0].get("ev") == "done":
                return events

    def alive(self):
        return self.proc.poll() is None

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(wire.pack({"op": "quit"}))
                self.proc.stdin.flush()
                self.proc.wait(timeout=3)
            except (OSError, subprocess.TimeoutExpired, ValueError):
                pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        shutil.rmtree(self.stage, ignore_errors=True)
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)

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
