"""The sandbox side: a warm process that runs submissions, one at a time

Runs inside the sandbox (bubblewrap, no network, its own pid namespace) with
torch already imported, and talks to the grader over stdin/stdout in
`grader.checks.wire` frames. For each submission it forks:

  zygote (this loop; never runs student code; uid Z)
    S: runs the student's cells in an IPython shell (uid U, no capabilities)
      C: one per function, forked from S: runs that function's calls

The zygote is the watchdog. S and C run as another uid than the zygote, so
they can neither signal, stop nor trace it; they hold only their own three
pipes (fds 3-5), so they cannot write to the grader. The zygote reads their
events with deadlines and accepts only the frames the protocol expects next
(a cell may not restart its own clock, a call may only answer itself); on a
hang, a death or a stray frame it kills every process of the sandbox but
itself, notes what happened, and starts S again without the bad cell, so one
hang costs only what it touched. Only plain data goes back: JSON headers and
raw array buffers, never pickles, and no more than `result_bytes` per submission.

Everything S and C report is a claim, since student code runs in their
address space: values are judged outside the sandbox; what must be measured
inside (in-place changes, the traced aten ops) is measured by code whose
modules C restores to their pristine state around every student call.
"""
import ctypes
import gc
import os
import resource
import select
import shutil
import signal
import stat
import sys
import threading
import time

# The editable install's finder would resolve `grader` to the repository,
# which the sandbox does not mount: use the staged public copy instead
sys.meta_path = [f for f in sys.meta_path if "editable" not in type(f).__module__.lower()
                 and "editable" not in getattr(f, "__name__", "").lower()]

import torch  # noqa: E402  (paid once per sandbox, not per submission)

from grader.checks import wire  # noqa: E402
from grader.sandbox.procs import descendants, proc_table  # noqa: E402
from grader.checks.calls import Call, Outcome, _OpRecorder, run_call  # noqa: E402

OUTPUT_KEEP = 64 * 1024
FD_EVENTS, FD_COMMANDS, FD_OUTPUT = 3, 4, 5  # what S and C hold, and nothing else
_SHELL = None
_PRISTINE = ()
_MISSING = object()

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 1, 4, 36
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4


def _prctl(option, arg=0):
    return _libc.prctl(ctypes.c_int(option), ctypes.c_ulong(arg), ctypes.c_ulong(0),
                       ctypes.c_ulong(0), ctypes.c_ulong(0))


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def _shell_class():
    from IPython.core.interactiveshell import InteractiveShell

    class Shell(InteractiveShell):
        def enable_gui(self, gui=None):  # `%matplotlib inline` needs no GUI here
            pass

    return Shell


def _make_shell():
    from traitlets.config import Config
    config = Config()
    config.HistoryManager.enabled = False  # no sqlite file shared across forks
    return _shell_class().instance(colors="nocolor", config=config)


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


# --- who runs student code ------------------------------------------------------

def _student_uid():
    value = os.environ.get("GRADER_STUDENT_UID")
    return int(value) if value and value.isdigit() else None


def _become_student(uid):
    """Drop to the student uid with no capabilities; False when we cannot"""
    if uid is None:
        return False
    if os.getuid() != uid:
        try:
            try:
                os.setgroups([])
            except PermissionError:
                pass
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
        except PermissionError:
            return False
    # from a non-root uid the kernel keeps our capabilities: drop them all
    _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    header = _CapHeader(0x20080522, 0)
    data = (_CapData * 2)()
    if _libc.capset(ctypes.byref(header), data) != 0:
        return False
    return os.getuid() == uid and not _has_capabilities()


def _has_capabilities():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(("CapEff:", "CapPrm:", "CapAmb:")) and int(line.split()[1], 16):
                    return True
    except OSError:
        pass
    return False


def _probe_separation(uid):
    """Can S run as the student uid, apart from us? (checked once, in a fork)"""
    if uid is None:
        return False
    pid = os.fork()
    if pid == 0:
        ok = False
        try:
            import sysconfig
            ok = _become_student(uid) and all(  # and can still read Python itself
                os.access(path, os.R_OK | os.X_OK)
                for path in (sys.prefix, sys.base_prefix, sysconfig.get_paths()["stdlib"],
                             sysconfig.get_paths()["purelib"], os.path.dirname(wire.__file__)))
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


# --- keeping student code away from the measuring code ----------------------------

GUARDED_MODULES = (
    "builtins", "os", "gc", "math", "operator", "copy", "types", "functools", "io", "json",
    "json.encoder", "json.decoder", "struct", "traceback", "warnings", "numpy",
    "numpy.lib._format_impl", "numpy.lib._npyio_impl", "numpy.testing", "torch",
    "torch.nn.functional", "torch.autograd", "torch.testing", "torch.overrides",
    "grader.checks", "grader.checks.calls", "grader.checks.wire", "grader.checks.aspects",
)


def _snapshot():
    """The modules and classes the measuring code relies on, as they are now
    (before any student code): immutable tuples, restored by `_restore`"""
    import json
    from torch.utils._python_dispatch import TorchDispatchMode
    spaces = []

    def add(target, items, is_class):
        items = tuple(items)
        spaces.append((target, tuple(k for k, _ in items), tuple(v for _, v in items),
                       is_class))
    for name in GUARDED_MODULES:
        module = sys.modules.get(name)
        if module is not None:
            add(vars(module), vars(module).items(), False)
    add(globals(), ((k, v) for k, v in globals().items()
                    if k not in ("_PRISTINE", "_SHELL")), False)
    for cls in (torch.Tensor, Channel, Call, Outcome, _OpRecorder, TorchDispatchMode,
                json.JSONEncoder, json.JSONDecoder, wire.WireError):
        add(cls, cls.__dict__.items(), True)
    return tuple(spaces)


# --- noticing cheaply that nothing was touched --------------------------------------
#
# Checking every name of every guarded space takes about 0.3 ms, and it is done
# twice per call: most of what grading a correct notebook costs in C. CPython
# gives every dict a version tag (PEP 509) that changes whenever the dict
# does; reading the tags through memoryviews (a builtin type, so student code
# cannot patch it) tells which spaces need the full check. Where the tags
# cannot be read as this expects, every restore checks everything.

_TAG_OFFSET = 24  # PyDictObject: ob_refcnt, ob_type, ma_used, then ma_version_tag


def _real_dict(target, is_class):
    if not is_class:
        return target
    found = [d for d in gc.get_referents(target.__dict__) if type(d) is dict]
    return found[0] if len(found) == 1 else None


def _tag_view(d):
    """A live view of the 8 bytes of d's version tag"""
    return memoryview((ctypes.c_uint8 * 8).from_address(id(d) + _TAG_OFFSET)).cast("B")


def _tags_work():
    """Do the tags change on every kind of change, and only then?"""
    if sys.implementation.name != "cpython" or sys.version_info[:2] not in ((3, 11), (3, 12)):
        return False
    d = {"a": 1}
    view = _tag_view(d)
    seen = [view.tobytes()]
    for change in (lambda: d.__setitem__("a", 2), lambda: d.__setitem__("b", 1),
                   lambda: d.pop("b"), lambda: d.update(a=3)):
        change()
        seen.append(view.tobytes())
    read_only = d.get("a") == 3 and "b" not in d and len(d) == 1 and list(d) == ["a"]
    return read_only and view.tobytes() == seen[-1] and len(set(seen)) == len(seen)


def _tag_views(spaces):
    """One tag view per space (None when the tags cannot be trusted)"""
    if not _tags_work():
        return None
    views = []
    for target, _, _, is_class in spaces:
        d = _real_dict(target, is_class)
        if d is None:
            return None
        views.append(_tag_view(d))
    return tuple(views)


def _restore(spaces, views=None, known=None, _type_setattr=type.__setattr__,
             _type_delattr=type.__delattr__, _missing=_MISSING,
             _settrace=sys.settrace, _setprofile=sys.setprofile, _callbacks=gc.callbacks,
             _any=any, _map=map, _is_not=__import__("operator").is_not,
             _repeat=__import__("itertools").repeat, _zip=zip, _list=list, _len=len,
             _range=range, _tobytes=memoryview.tobytes, _frozenset=frozenset,
             _builtin_names=frozenset(vars(__import__("builtins"))),
             _thread_settrace=threading.settrace, _thread_setprofile=threading.setprofile,
             _len_tf=torch._C._len_torch_function_stack,
             _pop_tf=torch._C._pop_torch_function_stack,
             _len_td=torch._C._len_torch_dispatch_stack,
             _pop_td=torch._C._pop_torch_dispatch_stack, modes=None):
    """Undo what student code did to the modules the measurement uses:
    patched functions (torch.equal, builtins.type, np.save...), names added
    to a class or that shadow a builtin, trace and profile hooks, gc
    callbacks, and torch modes pushed above `modes`. With tag `views`,
    only the spaces whose tag is not the `known` one are checked."""
    _settrace(None)
    _setprofile(None)
    _thread_settrace(None)
    _thread_setprofile(None)
    del _callbacks[:]
    if views is None:
        todo = _range(_len(spaces))
    else:
        now = _list(_map(_tobytes, views))
        todo = () if now == known else [i for i in _range(_len(now)) if now[i] != known[i]]
    for i in todo:
        target, keys, values, is_class = spaces[i]
        current = target.__dict__ if is_class else target
        # the common case, nothing touched, at C speed and by identity only
        if _len(current) != _len(keys) or \
                _any(_map(_is_not, _map(current.get, keys, _repeat(_missing)), values)):
            for key, value in _zip(keys, values):
                if current.get(key, _missing) is not value:
                    if is_class:
                        try:
                            _type_setattr(target, key, value)
                        except (TypeError, AttributeError):
                            pass
                    else:
                        target[key] = value
            if _len(current) != _len(keys):  # names added since the snapshot
                kept = _frozenset(keys)
                for key in [k for k in _list(current) if k not in kept]:
                    try:
                        if is_class:  # they would shadow what the class inherits
                            _type_delattr(target, key)
                        elif key in _builtin_names or key[:2] == "__":
                            del target[key]  # the module's code would call them
                    except (TypeError, AttributeError, KeyError):
                        pass
        if views is not None:
            known[i] = _tobytes(views[i])
    if modes is not None:
        while _len_tf() > modes[0]:
            _pop_tf()
        while _len_td() > modes[1]:
            _pop_td()


def _guard(fn, restore, post):
    """fn, followed by a restore before anything measures what it did, and by
    a copy of its tensor arguments as they are after the call (`post`), which
    the grader compares with the originals it kept: an in-place change is
    judged outside the sandbox"""
    _len_tf = torch._C._len_torch_function_stack
    _len_td = torch._C._len_torch_dispatch_stack
    _tensor, _setattr, _type, _put = torch.Tensor, object.__setattr__, type, wire.put

    def guarded(*args, **kwargs):
        modes = (_len_tf(), _len_td())
        del post[:]
        try:
            return fn(*args, **kwargs)
        finally:
            restore(modes=modes)
            heads, blobs = [], []
            for value in args:  # the inputs, as the measurement will look at them
                if isinstance(value, _tensor):
                    if _type(value) is not _tensor:  # dressed up as a lying subclass
                        try:
                            _setattr(value, "__class__", _tensor)
                        except (TypeError, AttributeError):
                            pass
                    try:
                        value.__dict__.clear()  # instance attributes shadowing methods
                    except (AttributeError, TypeError):
                        pass
                    try:
                        heads.append(_put(value, blobs))
                    except Exception:  # noqa: BLE001
                        heads.append(None)
            post.append((heads, blobs))
    return guarded


# --- S and C: the processes that run student code ----------------------------

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


def _arrange_fds(ev_w, cmd_r, out_w):
    """S keeps its three pipes as fds 3, 4, 5 and /dev/null, the output pipe
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


def _student_process(cells, skip, limits, pipes, jobs, blobs, scratch, uid):
    """S: run the cells, then run jobs on request; never returns"""
    _exit, _fork, _waitpid = os._exit, os.fork, os.waitpid
    restore = _restorer(_PRISTINE)
    os.setsid()
    _arrange_fds(*pipes)
    separate = _become_student(uid)
    if uid is not None and not separate:
        _exit(71)  # asked to drop privileges and could not: run nothing
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")  # under memory pressure, student processes go first
    except OSError:
        pass
    os.chdir(scratch)
    os.environ.update(HOME=scratch, TMPDIR=scratch, MPLBACKEND="Agg",
                      MPLCONFIGDIR=scratch, IPYTHONDIR=os.path.join(scratch, ".ipython"))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    _limit(limits, separate)
    events = Channel(FD_COMMANDS, FD_EVENTS)
    shell = _SHELL or _make_shell()
    for cell in cells:
        if cell["index"] in skip:
            continue
        events.send({"ev": "cell_start", "index": cell["index"]})
        try:
            result = shell.run_cell(cell["source"], store_history=False, silent=False)
            err = result.error_before_exec or result.error_in_exec
        except BaseException as exc:  # noqa: BLE001
            err = exc
        try:
            sys.stdout.flush()
        except Exception:  # noqa: BLE001
            pass
        events.send({"ev": "cell_end", "index": cell["index"],
                     "error": _error_text(err) if err else None})
    ns = shell.user_ns
    names = [j["function"] for j in jobs if callable(ns.get(j["function"]))]
    events.send({"ev": "ready", "defined": names})
    while True:
        frame = events.read()
        if frame is None:
            _exit(0)
        j = frame[0].get("job")
        job = jobs[j]
        pid = _fork()
        if pid == 0:
            restore()
            _function_process(job, ns.get(job["function"]), events, blobs, restore, separate,
                              _exit)
        _, status = _waitpid(pid, 0)
        events.send({"ev": "job_exit", "job": j, "status": _status_text(status)})


def _error_text(err):
    try:
        return f"{type(err).__name__}: {str(err)[:300]}"
    except Exception:  # noqa: BLE001  (a student exception whose str() fails)
        return "an exception that cannot be shown"


def _restorer(spaces, _restore=_restore):
    """`_restore` bound to the snapshot (and to its tags, where they can be
    read), held where student code does not look it up by name"""
    _restore(spaces)  # all of it, checked name by name: then the tags are known good
    views = _tag_views(spaces)
    known = None if views is None else [v.tobytes() for v in views]

    def restore(modes=None):
        _restore(spaces, views, known, modes=modes)
    return restore


def _function_process(job, fn, events, blobs, restore, separate, _exit):
    """C: run one function's calls, streaming each outcome; never returns"""
    try:
        if separate and not any(str(c.get("device", "cpu")).startswith("cuda")
                                for c in job["calls"]):
            # no threads or processes: nothing may run beside the measurement
            resource.setrlimit(resource.RLIMIT_NPROC, (1, 1))
        post = []
        guarded = _guard(fn, restore, post) if callable(fn) else None
        restore()  # then after every call, before anything is measured or sent
        for k, header in enumerate(job["calls"]):
            del post[:]
            # no start frame: call k starts when outcome k-1 is sent (one
            # frame per call keeps the watchdog's deadlines exact and cheap)
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
            events.send({"ev": "outcome", "job": job["index"], "call": k, "outcome": body,
                         "after": after}, out_blobs)
        _flush_std()
    finally:
        _exit(0)


def _flush_std():
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


# --- processes and files of the sandbox --------------------------------------------

def kill_all(pidns):
    """Kill every process of the sandbox but this one, and reap them. We are
    the subreaper, so nothing a student starts (setsid, double fork) leaves
    our tree; in our own pid namespace kill(-1) reaches all of it at once"""
    me = os.getpid()
    for _ in range(200):
        if pidns:
            try:
                os.kill(-1, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        table = proc_table()
        if pidns:  # all of it is ours but the namespace's init
            victims = set(table) - {1, me}
        else:
            victims = set(descendants(table, me))
        alive = [pid for pid in victims if table.get(pid, (0, "Z"))[1] not in "ZX"]
        for pid in alive:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        while True:
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        if not alive:
            return
        time.sleep(0.005)


def _wipe(path, keep=()):
    """Remove everything in path that we can (as the student uid: their files)"""
    try:
        names = os.listdir(path)
    except OSError:
        return
    for name in names:
        if name in keep:
            continue
        full = os.path.join(path, name)
        try:
            st = os.lstat(full)
            if stat.S_ISDIR(st.st_mode):
                os.chmod(full, 0o700)
                _wipe(full)
                os.rmdir(full)
            else:
                os.unlink(full)
        except OSError:
            pass


def clean_scratch(scratch_root, work, uid, separate):
    """Remove what the last submission left in the writable places and make
    a fresh, empty working directory for the next one"""
    places = [scratch_root, "/tmp"] if os.environ.get("GRADER_PIDNS") else [scratch_root]
    keep = (".zygote",)
    if separate:  # the student's files belong to the student uid: delete as it
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                if _become_student(uid):
                    for place in places:
                        _wipe(place, keep)
                    os.mkdir(work, 0o700)
                    code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            return
    for place in places:
        _wipe(place, keep)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work, mode=0o700, exist_ok=True)


# --- the zygote: watchdog and relay -----------------------------------------

class Stop(Exception):
    """S or C broke the protocol, hung or died"""

    def __init__(self, kind, note):
        super().__init__(note)
        self.kind, self.note = kind, note


class Run:
    """One submission: start S, follow its events with deadlines, restart"""

    def __init__(self, grader, request, blobs, scratch_root, uid, separate, pidns):
        self.grader = grader
        self.cells = [c for c in request["cells"]
                      if isinstance(c, dict) and isinstance(c.get("index"), int)]
        self.jobs = request["jobs"]
        for i, job in enumerate(self.jobs):
            job["index"] = i
        self.names = {job["function"] for job in self.jobs}
        self.limits = request["limits"]
        self.blobs = blobs
        self.scratch_root = scratch_root
        self.uid, self.separate, self.pidns = uid, separate, pidns
        self.skip = set()
        self.output = bytearray()
        self.output_total = 0
        self.sent_bytes = 0
        self.ev_r = self.cmd_w = self.out_r = None

    # processes and pipes

    def start(self):
        self.kill_all()
        work = os.path.join(self.scratch_root, "work")
        clean_scratch(self.scratch_root, work, self.uid, self.separate)
        ev_r, ev_w = os.pipe()
        cmd_r, cmd_w = os.pipe()
        out_r, out_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                _student_process(self.cells, self.skip, self.limits, (ev_w, cmd_r, out_w),
                                 self.jobs, self.blobs, work,
                                 self.uid if self.separate else None)
            finally:
                os._exit(70)
        os.close(ev_w), os.close(cmd_r), os.close(out_w)
        os.set_blocking(cmd_w, False)
        self.pid, self.ev_r, self.cmd_w, self.out_r = pid, ev_r, cmd_w, out_r
        self.buffer = bytearray()

    def kill_all(self):
        """Every process of the sandbox but this one: S, C and their children"""
        kill_all(self.pidns)
        for fd in (self.ev_r, self.cmd_w, self.out_r):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.ev_r = self.cmd_w = self.out_r = None

    # reading S and C

    def next_event(self, deadline):
        """The next frame from S or C; raises Stop on a timeout, a death,
        garbage or too much data"""
        while True:
            frame = self._parse()
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
                self.buffer += chunk
                if len(self.buffer) > self.limits["result_bytes"] - self.sent_bytes:
                    raise Stop("crash", "it sent more data than allowed")

    def _parse(self):
        """One whole frame off the front of the buffer, or None for now"""
        buf = self.buffer
        if len(buf) < 8:
            return None
        n_head = int.from_bytes(buf[0:4], "little")
        n_blobs = int.from_bytes(buf[4:8], "little")
        if n_head > (8 << 20) or n_blobs > 4096:
            raise Stop("crash", "it sent garbled data")
        need = 8 + n_head
        for _ in range(n_blobs):  # find the end without copying anything
            if len(buf) < need + 8:
                return None
            size = int.from_bytes(buf[need:need + 8], "little")
            if size > wire.MAX_BLOB:
                raise Stop("crash", "it sent garbled data")
            need += 8 + size
        if len(buf) < need:
            return None
        data = bytes(buf[:need])
        del buf[:need]
        pos = [0]

        def read(n):
            chunk = data[pos[0]:pos[0] + n]
            pos[0] += len(chunk)
            return chunk
        try:
            frame = wire.read_frame(read)
        except (ValueError, UnicodeDecodeError):
            raise Stop("crash", "it sent garbled data") from None
        if frame is None or not isinstance(frame[0], dict):
            raise Stop("crash", "it sent garbled data")
        return frame

    def relay(self, header, blobs=()):
        self.grader.send(header, blobs)

    # the submission

    def run(self):
        lim = self.limits
        self.end_all = time.monotonic() + lim["notebook_seconds"]
        self.start()
        # 1. the cells, restarting without any cell that hangs or kills S
        restarts = 0
        while True:
            try:
                defined = self._cells(quiet=False)
                break
            except Stop as stop:
                current, kind = stop.cell, stop.kind
                self.kill_all()
                self.relay({"ev": "cell", "index": current, "status": kind,
                            "error": stop.note or f"no end after {lim['cell_seconds']} s"})
                if current is None or restarts >= lim["restarts"] \
                        or time.monotonic() > self.end_all:
                    self.relay({"ev": "abandoned",
                                "reason": f"the notebook could not be run ({kind})"})
                    return
                self.skip.add(current)
                restarts += 1
                self.start()
        # 2. the functions, each in its own C
        for job in self.jobs:
            if job["function"] not in defined:
                self.relay({"ev": "job", "job": job["index"], "status": "missing"})
                continue
            status = self._job(job)
            self.relay({"ev": "job", "job": job["index"], "status": status})
            if status != "ok":
                if time.monotonic() > self.end_all:
                    break
                self.start()
                try:  # the cells again (all known to finish), quietly
                    defined = self._cells(quiet=True)
                except Stop:
                    self.relay({"ev": "abandoned", "reason": "the notebook failed on a re-run"})
                    return

    def _cells(self, quiet):
        """Follow S through the cells; the names it defined, or Stop (with
        .cell, the cell that was running)"""
        lim = self.limits
        expected = [c["index"] for c in self.cells if c["index"] not in self.skip]
        pos, current = 0, None
        deadline = min(self.end_all, time.monotonic() + lim["cell_seconds"])
        while True:
            try:
                head, _ = self.next_event(deadline)
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
                    self.relay({"ev": "cell", "index": current,
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
        """Run one function's calls in C and relay their outcomes; the status"""
        lim, j = self.limits, job["index"]
        total = len(job["calls"])
        # C runs the calls in order: call 0 starts with the job, call k+1 as
        # soon as outcome k is out
        current, answered = (0, False) if total else (None, True)
        self.sent_bytes = 0  # the result budget is per function
        try:
            os.write(self.cmd_w, wire.pack({"job": j}))
        except OSError:
            self._stopped(j, None, "crash", "the process stopped listening")
            return "crash"
        deadline_job = min(self.end_all, time.monotonic() + lim["function_seconds"])
        deadline = min(deadline_job, time.monotonic() + lim["call_seconds"])
        while True:
            try:
                head, blobs = self.next_event(deadline)
            except Stop as stop:
                if stop.kind == "timeout":
                    which = "function" if deadline >= deadline_job else "call"
                    seconds = lim["function_seconds" if which == "function" else "call_seconds"]
                    if time.monotonic() >= self.end_all - 0.01:
                        note = f"the notebook's time ({lim['notebook_seconds']} s) ran out"
                    else:
                        note = f"the {which} did not finish within {seconds} s"
                    self._stopped(j, current, "timeout", note)
                    return "timeout"
                self._stopped(j, current, "crash", stop.note)
                return "crash"
            kind = head.get("ev")
            if kind == "outcome" and not answered and head.get("job") == j \
                    and head.get("call") == current:
                self.sent_bytes += sum(len(b) for b in blobs)
                self.relay({"ev": "outcome", "job": j, "call": current,
                            "outcome": head.get("outcome"), "after": head.get("after")},
                           blobs)
                if current + 1 < total:
                    current += 1
                    deadline = min(deadline_job, time.monotonic() + lim["call_seconds"])
                else:
                    answered = True
            elif kind == "job_exit" and head.get("job") == j:
                status = head.get("status")
                status = status if isinstance(status, str) else "sent a bad status"
                if status != "ok":
                    self._stopped(j, current, "crash", f"the process {status[:100]}")
                    return "crash"
                if not answered:
                    self._stopped(j, current, "crash", "the process ended early")
                    return "crash"
                return "ok"
            else:
                self._stopped(j, current, "crash", "it sent data outside the protocol")
                return "crash"

    def _stopped(self, j, call, kind, note):
        self.relay({"ev": "stopped", "job": j, "call": call, "kind": kind, "note": note})


def _warm_up():
    """Pay torch's first-use costs (dispatch tracing, autograd, conv, pooling)
    once here, so that every forked process starts warm"""
    import torch.nn.functional as F
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


def main():
    global _SHELL, _PRISTINE
    grader = Channel(0, 1)
    # Our own prints must not corrupt the protocol: stdout becomes stderr
    proto_out = os.dup(1)
    os.dup2(2, 1)
    grader.wfd = proto_out
    os.set_inheritable(proto_out, False)
    os.set_inheritable(0, False)
    _prctl(PR_SET_DUMPABLE, 0)         # no ptrace, no /proc/<pid>/mem for anyone
    _prctl(PR_SET_CHILD_SUBREAPER, 1)  # orphans of S and C come back to us
    scratch_root = os.environ.get("GRADER_SCRATCH", "/scratch")
    home = os.path.join(scratch_root, ".zygote")
    os.makedirs(home, mode=0o755, exist_ok=True)
    os.environ.update(HOME=home, IPYTHONDIR=os.path.join(home, ".ipython"),
                      MPLCONFIGDIR=home)
    pidns = bool(os.environ.get("GRADER_PIDNS"))
    uid = _student_uid()
    separate = _probe_separation(uid)
    torch.set_num_threads(1)
    _SHELL = _make_shell()  # made once, copied by fork
    _warm_up()
    _PRISTINE = _snapshot()
    grader.send({"ev": "hello", "pid": os.getpid(), "uid": os.getuid(),
                 "student_uid": uid if separate else os.getuid(), "separate": separate,
                 "pidns": pidns, "torch": torch.__version__})
    while True:
        frame = grader.read()
        if frame is None:
            return
        request, blobs = frame
        if request.get("op") == "quit":
            return
        run = Run(grader, request, blobs, scratch_root, uid, separate, pidns)
        try:
            run.run()
        except Exception as exc:  # noqa: BLE001  (a bug of ours must not end the sandbox)
            grader.send({"ev": "abandoned", "reason": f"the sandbox failed: "
                                                      f"{type(exc).__name__}: {exc}"[:300]})
        finally:
            run.kill_all()
            grader.send({"ev": "output", "text": run.output.decode("utf-8", "replace"),
                         "total_bytes": run.output_total})
            grader.send({"ev": "done"})


if __name__ == "__main__":
    main()
    # nothing is left to write (the protocol is unbuffered): skip the
    # interpreter's teardown of torch, which makes closing a sandbox slow
    _flush_std()
    os._exit(0)
