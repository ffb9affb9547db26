"""Trusted code inside the student's processes: keeping student code away
from the measuring code, and sealing what is measured

S and C run student code; the measuring code (`run_call`, the encoder, the
frame writer) runs in the same address space. Before any student code, the
watchdog takes a snapshot of every module and class the measurement uses;
C restores them around every call (`restorer`, `guard`), so patches made
by a cell or inside a call are undone before anything is measured. Audit
hooks, which would let student code run inside the measuring code and
cannot be removed once added, are refused (`block_audit_hooks`). The
functions that change torch's dispatch-mode stack report any use during a
traced call (`watch_mode_stack`). Each outcome is sealed with the secret
the watchdog hands out for that call (`seal`), read only after the student's
function has returned, with signals blocked and the garbage collector off
so that no student code runs between reading the secret and sending.
"""
import ctypes
import gc
import os
import sys
import threading

import torch

from grader.checks import trace, wire

_MISSING = object()
PRISTINE = ()   # the snapshot, taken by the watchdog before the template forks
# module globals that are ours to change after the snapshot
_STATE = {("grader.sandbox.inside.guard", "PRISTINE")}

GUARDED_MODULES = (
    "builtins", "os", "gc", "math", "operator", "copy", "types", "functools", "io", "json",
    "json.encoder", "json.decoder", "struct", "traceback", "warnings", "signal", "select",
    "hmac", "_hashlib", "numpy", "numpy.lib._format_impl", "numpy.lib._npyio_impl",
    "numpy.testing", "torch", "torch._C", "torch._ops", "torch.utils._python_dispatch",
    "torch.nn.functional", "torch.autograd", "torch.testing", "torch.overrides",
    "grader.checks", "grader.checks.calls", "grader.checks.wire", "grader.checks.aspects",
    "grader.checks.trace", "grader.sandbox.inside.guard", "grader.sandbox.inside.student",
)


def snapshot(classes=()):
    """The modules and classes the measuring code relies on, as they are now
    (before any student code): immutable tuples, restored by `_restore`"""
    import json
    from torch._ops import OpOverload, OpOverloadPacket
    from torch.utils._python_dispatch import TorchDispatchMode

    from grader.checks.calls import Call, Outcome
    spaces = []

    def add(target, items, is_class):
        items = tuple(items)
        spaces.append((target, tuple(k for k, _ in items), tuple(v for _, v in items),
                       is_class))
    for name in GUARDED_MODULES:
        module = sys.modules.get(name)
        if module is not None:
            add(vars(module), ((k, v) for k, v in vars(module).items()
                               if (name, k) not in _STATE), False)
    add(trace.TRACKED, trace.TRACKED.items(), False)  # the op identities
    for cls in (torch.Tensor, Call, Outcome, trace.Recorder, TorchDispatchMode, OpOverload,
                OpOverloadPacket, json.JSONEncoder, json.JSONDecoder, wire.WireError,
                wire.FrameBuffer, *classes):
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


def guard(fn, restore, post):
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

def restorer(spaces, tags=True, _restore=_restore):
    """`_restore` bound to the snapshot (and to its tags, where they can be
    read and `tags`), held where student code does not look it up by name"""
    _restore(spaces)  # all of it, checked name by name: then the tags are known good
    views = _tag_views(spaces) if tags else None
    known = None if views is None else [v.tobytes() for v in views]

    def restore(modes=None):
        _restore(spaces, views, known, modes=modes)
    return restore



# --- audit hooks and the dispatch-mode stack -------------------------------------------

def block_audit_hooks():
    """Refuse every later sys.addaudithook (and PySys_AddAuditHook, which
    asks the same hooks): a hook runs inside whatever code raises an audit
    event, the measuring code included, and can never be removed"""
    def refuse(event, args):
        if event == "sys.addaudithook":
            raise RuntimeError("audit hooks are not allowed while grading")
    sys.addaudithook(refuse)


_MODE_STACK = {
    "torch._C": ("_pop_torch_dispatch_stack", "_push_on_torch_dispatch_stack",
                 "_set_dispatch_mode", "_unset_dispatch_mode", "_ExcludeDispatchKeyGuard",
                 "_DisableTorchDispatch"),
    "torch.utils._python_dispatch": ("_pop_mode", "_push_mode", "_disable_current_modes",
                                     "_pop_mode_temporarily", "_pop_torch_dispatch_stack",
                                     "_push_on_torch_dispatch_stack"),
}


def watch_mode_stack():
    """Wrap the functions that change torch's dispatch-mode stack so that a
    use during a traced call marks its trace (trace.note_mode_change); done
    before the snapshot, so the wrappers are what gets restored"""
    import importlib
    for module_name, names in _MODE_STACK.items():
        module = importlib.import_module(module_name)
        for name in names:
            real = getattr(module, name, None)
            if real is None or getattr(real, "_grader_watched", False):
                continue
            setattr(module, name, _watched(real, f"{module_name}.{name}"))


def _watched(real, what, _note=trace.note_mode_change):
    def watched(*args, **kwargs):
        _note(what)
        return real(*args, **kwargs)
    watched._grader_watched = True
    watched.__name__ = getattr(real, "__name__", what)
    return watched


# --- sealing an outcome ------------------------------------------------------------

# signals are blocked around the seal through libc directly: Python's
# signal.pthread_sigmask builds a set of the old mask on every call, which
# costs 80 us, against 2.5 us here (a call of every graded function pays it)
_libc = ctypes.CDLL(None, use_errno=True)
_FULL, _OLD = (ctypes.c_ulong * 16)(), (ctypes.c_ulong * 16)()
_libc.sigfillset(ctypes.byref(_FULL))
_SIG_BLOCK, _SIG_SETMASK = 0, 2


def seal(frame, job, call, commands, events, _secret=__import__("struct").Struct("<ii32s"),
         _pack=wire.pack, _hmac=__import__("_hashlib").hmac_digest,
         _sigmask=_libc.pthread_sigmask, _full=_FULL, _old=_OLD, _gc_off=gc.disable,
         _gc_on=gc.enable, _gc_is=gc.isenabled, _read=os.read, _write=os.write,
         _set_blocking=os.set_blocking):
    """Send `frame` (an outcome of call `call` of job `job`, packed) with its
    seal: HMAC-SHA256 under the secret the watchdog sent for that call on
    `commands` (protocol.SECRET). If the secret that comes is not this
    call's (student code took it), send `tampered` instead: the watchdog
    voids the function."""
    _sigmask(_SIG_BLOCK, _full, _old)
    was = _gc_is()
    _gc_off()
    try:
        _set_blocking(commands, True)
        try:
            got = _read(commands, _secret.size)
            j, k, secret = _secret.unpack(got)
        except Exception:  # noqa: BLE001  (closed, or a short read)
            j = k = secret = None
        if j != job or k != call:
            data = _pack({"ev": "tampered", "job": job, "call": call})
        else:
            mac = _hmac(secret, frame, "sha256").hex()
            data = frame + _pack({"ev": "seal", "job": job, "call": call, "mac": mac})
        view = memoryview(data)
        while view:
            view = view[_write(events, view):]
    finally:
        if was:
            _gc_on()
        _sigmask(_SIG_SETMASK, _old, None)
