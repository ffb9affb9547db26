"""Which aten ops ran during a call, and which of them made its result

The `structure` aspect asks how a function computes its result (a
convolution, a matrix product, no pooling op). `Recorder` is a dispatch
mode that sees every aten op below autograd and every Python wrapper, and
records:

- `ops`: the traced ops that ran (those the structure rules name);
- the result's lineage: which traced ops its data came through. Labels
  follow data at the granularity of a tensor's storage: an op's outputs
  carry the labels of its inputs plus its own; an output that shares an
  input's storage (a view, or an op writing in place) adds to that
  storage's labels, a new one gets its own. A convolution whose result is
  thrown away therefore makes nothing;
- `foreign`: with `only` (a set of op names), the ops outside it that were
  applied to the call's input data or anything computed from it ("only
  convolutions, ReLU and reshaping may touch the input"); ops that read
  only a tensor's shape, dtype and device (`new_zeros`, `zeros_like`, ...:
  ops.SHAPE_ONLY_OPS) neither count nor pass the input's data on;
- a convolution with `groups` other than 1 adds the name
  `grouped_convolution` to `ops` (and to what its result came through);
- `note`: why the trace cannot be trusted, if it cannot (the dispatch-mode
  stack was changed during the call, the recorder was not on top when the
  call ended, or an op reached it as an object that is not one of torch's
  operators).

Ops are identified by the operator objects captured when this module is
imported, before any student code runs in a grading process, and never by
a name: student code can rename an operator object or register its own
`convolution` in another namespace, and neither counts. In the sandbox the
watchdog also calls `warm()` before any student code, so that torch's
dispatcher already holds the genuine object for every traced op (it
resolves an op's Python object by attribute lookup the first time the op
meets a mode, and caches it).
"""
import torch
from torch._ops import OpOverload
from torch.utils._python_dispatch import TorchDispatchMode

from grader.checks.ops import CONV_OPS, SHAPE_ONLY_OPS, TRACED

_STACK_LEN = torch._C._len_torch_dispatch_stack
_STACK_AT = torch._C._get_dispatch_stack_at


def _capture(names):
    """{id(operator object): short name} for every overload of every aten op
    named, and the objects themselves (kept alive, so the ids stay theirs)"""
    found, keep = {}, []
    for name in sorted(names):
        try:
            packet = getattr(torch.ops.aten, name)
        except (AttributeError, RuntimeError):
            continue
        for overload in packet.overloads():
            op = getattr(packet, overload)
            found[id(op)] = name
            keep.append(op)
    return found, tuple(keep)


TRACKED, _KEEP = _capture(TRACED)
# a frozenset: student code cannot add an op to it (the guard restores the
# module's names, not the contents of a mutable object)
_SHAPE_ONLY, _KEEP_SHAPE_ONLY = _capture(SHAPE_ONLY_OPS)
SHAPE_ONLY = frozenset(_SHAPE_ONLY)
_CURRENT = []  # the recorder of the call being traced


def _groups(func, args, kwargs):
    """The `groups` argument of a convolution op (1 where it has none)"""
    try:
        names = [a.name for a in func._schema.arguments]
        at = names.index("groups")
        found = kwargs.get("groups", args[at] if at < len(args) else 1)
        return int(found)
    except (AttributeError, ValueError, TypeError):
        return 1



class Recorder(TorchDispatchMode):
    """See the module doc: `ops`, `produced(tensor)` and `note`"""

    @classmethod
    def _should_skip_dynamo(cls):
        # not wrapped in torch._dynamo.disable: nothing here is compiled, and
        # importing torch._dynamo costs every grading process over a second
        return False

    def __init__(self, only=None):
        super().__init__()
        self.ops = set()
        self.flow = {}      # id(storage) -> traced ops its data came through
        self.alive = []     # storages with a label, kept so their ids stay theirs
        self.recording = False
        self.note = ""
        self.depth = 0
        self.only = None if only is None else frozenset(only)
        self.derived = set()   # ids of storages holding the inputs' data or results of it
        self.foreign = set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = TRACKED.get(id(func))
        if name is None and type(func) is not OpOverload and self.recording:
            self.note = "an operation reached the recorder disguised as another object"
        inputs = _storages((args, kwargs))
        out = func(*args, **kwargs)
        came = set()
        for s in inputs:
            came |= self.flow.get(id(s), frozenset())
        if name is not None:
            self.ops.add(name)
            came.add(name)
        if name in CONV_OPS and _groups(func, args, kwargs) != 1:
            self.ops.add("grouped_convolution")
            came.add("grouped_convolution")
        seen = {id(s) for s in inputs}
        if self.only is not None and any(id(s) in self.derived for s in inputs) \
                and id(func) not in SHAPE_ONLY:
            if name not in self.only:
                self.foreign.add(name or str(getattr(func, "__name__", func))[:60])
            for s in _storages(out):
                self.derived.add(id(s))
                self.alive.append(s)
        for s in _storages(out):
            if id(s) in seen:   # a view of an input, or written in place
                if came:
                    self.flow[id(s)] = self.flow.get(id(s), frozenset()) | came
                    self.alive.append(s)
            else:
                self.flow[id(s)] = frozenset(came)
                self.alive.append(s)
        return out

    def start(self, inputs=()):
        """Go on the dispatch stack; `inputs`: the call's tensor arguments"""
        for s in _storages(list(inputs)):
            self.derived.add(id(s))
            self.alive.append(s)
        self.__enter__()
        self.depth = _STACK_LEN()
        self.recording = True
        _CURRENT[:] = [self]

    def stop(self):
        """Leave the dispatch stack; checks first that we are still on top"""
        self.recording = False
        _CURRENT[:] = []
        try:
            intact = _STACK_LEN() == self.depth and _STACK_AT(self.depth - 1) is self
        except Exception:  # noqa: BLE001
            intact = False
        if not intact:
            self.note = self.note or "the recorder was taken off the dispatch stack"
            while _STACK_LEN() >= self.depth:  # what is there is not to be trusted
                torch._C._pop_torch_dispatch_stack(None)
            return
        self.__exit__(None, None, None)

    def produced(self, value):
        """The traced ops the data of tensor `value` came through"""
        try:
            return set(self.flow.get(id(value.untyped_storage()), ()))
        except Exception:  # noqa: BLE001  (no storage: made by nothing traced)
            return set()


def note_mode_change(what):
    """Called by the sandbox's wrappers of torch's mode-stack functions: a
    change during a traced call makes its trace untrustworthy"""
    if _CURRENT and _CURRENT[0].recording:
        _CURRENT[0].note = f"the dispatch mode stack was changed during the call ({what})"


def _storages(value, depth=0):
    """The storages of the tensors in a (nested) value"""
    if isinstance(value, torch.Tensor):
        try:
            return [value.untyped_storage()]
        except Exception:  # noqa: BLE001
            return []
    if depth < 4 and isinstance(value, (list, tuple)):
        return [s for v in value for s in _storages(v, depth + 1)]
    if depth < 4 and isinstance(value, dict):
        return [s for v in value.values() for s in _storages(v, depth + 1)]
    return []


class _Reached(Exception):
    pass


class _Stop(TorchDispatchMode):
    @classmethod
    def _should_skip_dynamo(cls):
        return False

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        raise _Reached


_FAKES = {"Tensor": lambda: torch.empty(1, 1, 4, 4, device="meta"),
          "List[Tensor]": lambda: [torch.empty(1, 1, 4, 4, device="meta")],
          "int": lambda: 1, "SymInt": lambda: 1, "List[int]": lambda: [1, 1],
          "List[SymInt]": lambda: [1, 1], "float": lambda: 1.0, "bool": lambda: False,
          "number": lambda: 1, "Scalar": lambda: 1, "str": lambda: "ij->ij"}


def warm():
    """Make torch's dispatcher resolve (and cache) the Python object of every
    traced op now: each is called once, on meta tensors, under a mode that
    stops it as soon as it is dispatched. Ops that decompose before they
    reach a mode (CompositeImplicitAutograd) never reach one at all, and so
    need nothing. Returns how many were resolved."""
    resolved = 0
    for op in _KEEP:
        args, kwargs = [], {}
        try:
            for a in op._schema.arguments:
                kind = str(a.type)
                if a.has_default_value():
                    continue
                value = None if kind.startswith("Optional") else _FAKES.get(kind, lambda: None)()
                if a.kwarg_only:
                    kwargs[a.name] = value
                else:
                    args.append(value)
            with _Stop():
                op(*args, **kwargs)
        except _Reached:
            resolved += 1
        except Exception:  # noqa: BLE001  (a composite op, or one we cannot fake)
            pass
    return resolved
