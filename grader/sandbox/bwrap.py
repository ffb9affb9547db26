"""How a sandbox is started: bubblewrap's command line, what it mounts, the
staged copy of the code that runs inside, the environment and the uids

Trusted code of the worker. `bwrap_command` makes new pid, network, ipc,
uts and cgroup namespaces, binds the system, the Python prefix and the
venv read-only, shows of the grader only the staged public checks and
`sandbox/inside` at /opt/grader, makes /scratch and /tmp size-limited
tmpfs, loads the seccomp filter (seccomp.py), and starts the watchdog as
its own uid with the three capabilities it needs.
"""
import os
import random
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
from pathlib import Path

from grader.sandbox.stale import sweep_stale

PACKAGE = Path(__file__).resolve().parents[1]      # grader/
UID_BASE = 61000
_USED_UIDS = set()
# the folders a sandbox's grader side makes, each named after its process
OWN_FOLDERS = ("grader-stage-", "grader-scratch-")
_ENDING = threading.Event()


class Ending(RuntimeError):
    """This process is ending: it starts no sandbox any more"""


def own_folder(prefix):
    """A new folder of this process under the temporary directory, named
    PREFIX<pid>-; refused once `end_own_folders` ran (a thread of a worker
    that is being stopped must not leave one behind)"""
    if _ENDING.is_set():
        raise Ending("this process is ending")
    path = tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-")
    if _ENDING.is_set():   # it ended while we made it
        shutil.rmtree(path, ignore_errors=True)
        raise Ending("this process is ending")
    return path


def end_own_folders():
    """This process is ending (a worker stopped, or its grader died): no
    new staging or scratch folder from any of its threads, and the ones it
    made are removed, whether or not their sandbox is closed"""
    _ENDING.set()
    tmp = Path(tempfile.gettempdir())
    for prefix in OWN_FOLDERS:
        for path in tmp.glob(f"{prefix}{os.getpid()}-*"):
            shutil.rmtree(path, ignore_errors=True)


def stage():
    """A world-readable copy of what the sandbox may import of ours: the
    public checks and the code that runs inside (sandbox/inside, procs)"""
    sweep_stale(tempfile.gettempdir(), "grader-stage-",
           lambda p: shutil.rmtree(p, ignore_errors=True))
    root = Path(own_folder("grader-stage-"))
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


def bwrap_ok():
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
    env = dict(sandbox_env(uid), GRADER_PIDNS="1")
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


def sandbox_env(uid):
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


def allocate_uids():
    """A block of fresh uids: the watchdog's, then one per student graded
    (reused only after STUDENTS_PER_SANDBOX students, each cleaned away
    first), picked at random so that sandboxes of other processes seldom
    meet"""
    while True:
        watchdog = UID_BASE + (STUDENTS_PER_SANDBOX + 1) * random.randrange(400_000)
        if watchdog not in _USED_UIDS:
            _USED_UIDS.add(watchdog)
            return watchdog, range(watchdog + 1, watchdog + 1 + STUDENTS_PER_SANDBOX)
