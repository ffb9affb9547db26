"""One call of a student (or reference) function, and what came of it

`run_call(fn, call)` is the only place where an exercise function is called:
in the student's notebook (visible checks), in the sandbox (grading) and in
the trusted grader (the reference). It never raises: whatever the function
does becomes an `Outcome`.
"""
import os
import sys
import traceback
from dataclasses import dataclass, field
from typing import Any, Optional

import torch

from grader.checks.trace import Recorder


@dataclass
class Call:
    """function(*args, **kwargs), with tensors kept on the CPU until called

    device: where the tensor arguments are put before the call
    grad: ask autograd for the gradients of the floating tensor arguments,
        with `grad_output` as the upstream gradient
    noncontig: positions of tensor arguments handed over as transposed views
    expect_error: name of the exception the contract demands (e.g. ValueError)
    aspects: the aspects this call informs
    """
    function: str
    args: tuple
    kwargs: dict = field(default_factory=dict)
    aspects: frozenset = frozenset({"values", "shape", "dtype"})
    device: str = "cpu"
    grad: bool = False
    grad_output: Optional[torch.Tensor] = None
    noncontig: tuple = ()
    expect_error: Optional[str] = None
    trace: bool = False
    only_ops: tuple = ()   # traced: the only ops that may touch the inputs' data

    def on(self, device):
        """The same call with its tensors on another device"""
        return Call(self.function, self.args, self.kwargs,
                    self.aspects, device, self.grad, self.grad_output,
                    self.noncontig, self.expect_error, self.trace, self.only_ops)

    def tensor_positions(self):
        return [i for i, a in enumerate(self.args) if isinstance(a, torch.Tensor)]

    def size(self):
        """How big the call's inputs are, to pick the smallest counterexample"""
        return sum(a.numel() for a in self.args if isinstance(a, torch.Tensor)) + \
            sum(_flat_len(a) for a in self.args if not isinstance(a, torch.Tensor))


def _flat_len(value):
    if isinstance(value, (tuple, list)):
        return sum(_flat_len(v) for v in value)
    return 1


@dataclass
class Outcome:
    """What a call did

    kind: 'value' (returned), 'error' (raised), 'timeout', 'crash' (the
    process died), 'missing' (no such function), 'void' (the results were
    not written by the grader's measuring code: none of them count)
    """
    kind: str
    value: Any = None            # a CPU tensor or a plain Python value
    type_name: str = ""          # type of what came back
    exact_tensor: bool = False   # type(value) is torch.Tensor
    dtype: Optional[str] = None
    device: Optional[str] = None
    shape: Optional[tuple] = None
    requires_grad: bool = False
    grads: Optional[list] = None  # per tensor argument: CPU tensor or None
    grad_error: Optional[str] = None
    changed: list = field(default_factory=list)  # tensor args changed in place
    error_type: str = ""
    error_mro: list = field(default_factory=list)
    error_message: str = ""
    error_where: str = ""         # the student's line that raised
    ops: Optional[list] = None    # traced aten ops that ran, when traced
    producers: Optional[list] = None  # traced ops the result's data came through
    foreign_ops: Optional[list] = None  # ops outside `only_ops` applied to the inputs' data
    trace_note: str = ""          # why the trace cannot be trusted, if it cannot
    note: str = ""                # timeouts, crashes: what happened

    @property
    def ok(self):
        return self.kind == "value"


def materialize(call):
    """Fresh argument tensors for one call, on the call's device"""
    args = []
    for i, a in enumerate(call.args):
        if isinstance(a, torch.Tensor):
            if i in call.noncontig and a.dim() >= 2:
                # a fresh buffer whose rows are columns: a real transposed view
                t = a.transpose(-1, -2).clone(memory_format=torch.contiguous_format)
                t = t.to(call.device).transpose(-1, -2)
            else:
                t = a.clone().to(call.device)
            if call.grad and t.is_floating_point():
                t.requires_grad_(True)
            args.append(t)
        else:
            args.append(a)
    return args


def run_call(fn, call):
    """Call fn as `call` says and describe what happened; never raises"""
    if fn is None:
        return Outcome("missing")
    args = materialize(call)
    tensors = [a for a in args if isinstance(a, torch.Tensor)]
    before = [t.detach().clone() for t in tensors]
    recorder = Recorder(call.only_ops or None) if call.trace else None
    try:
        if recorder is not None:
            recorder.start(tensors)
            try:
                out = fn(*args, **call.kwargs)
            finally:
                recorder.stop()
        else:
            out = fn(*args, **call.kwargs)
    except BaseException as exc:  # SystemExit too: it must not end grading
        return _error_outcome(exc, recorder)
    outcome = describe(out)
    if recorder is not None:
        outcome.ops = sorted(recorder.ops)
        outcome.producers = sorted(recorder.produced(out)) if outcome.exact_tensor else []
        outcome.trace_note = recorder.note
        outcome.foreign_ops = sorted(recorder.foreign) if call.only_ops else None
    outcome.changed = [i for i, (t, b) in enumerate(zip(tensors, before))
                       if not _same(t.detach(), b)]
    if call.grad and outcome.exact_tensor:
        _gradients(out, tensors, call, outcome)
    return outcome


def _same(a, b):
    return a.shape == b.shape and bool(torch.equal(a, b)) or \
        (a.shape == b.shape and bool(torch.equal(torch.nan_to_num(a), torch.nan_to_num(b))))


def describe(out):
    """An Outcome for a returned value, with tensors moved to the CPU"""
    if type(out) is torch.Tensor or type(out) is torch.nn.Parameter:
        value = out.detach().to("cpu")
        return Outcome("value", value=value, type_name="Tensor", exact_tensor=True,
                       dtype=str(out.dtype).replace("torch.", ""),
                       device=str(out.device), shape=tuple(out.shape),
                       requires_grad=bool(out.requires_grad))
    if isinstance(out, torch.Tensor):  # a subclass: it could lie about anything
        return Outcome("value", type_name=_name(type(out)))
    return Outcome("value", value=_plain(out), type_name=_name(type(out)))


def _name(cls, limit=120):
    """A class's name as a message can show it"""
    name = str(getattr(cls, "__name__", "?"))
    return name if len(name) <= limit else name[:limit] + "..."


def _plain(value, depth=0):
    """Plain Python data (numbers, strings, tuples of them) or None"""
    if depth > 3:
        return None
    if type(value) in (int, float, bool, str) or value is None:
        return value if not isinstance(value, str) else value[:200]
    if type(value) in (tuple, list, torch.Size) and len(value) <= 16:
        return tuple(_plain(v, depth + 1) for v in value)
    return None


def _gradients(out, tensors, call, outcome):
    wanted = [t for t in tensors if t.requires_grad]
    if not out.requires_grad:
        outcome.grad_error = "the result is not connected to the inputs by autograd"
        return
    try:
        g = call.grad_output
        g = torch.ones_like(out) if g is None else g.to(out.device, out.dtype)
        if g.shape != out.shape:
            outcome.grad_error = (f"the result has shape {tuple(out.shape)}, so the gradient "
                                  f"of shape {tuple(g.shape)} cannot flow back through it")
            return
        # the vector-Jacobian product as the gradient of <out, g>: the same
        # numbers as autograd.grad(out, wanted, g), whose check of g's shape
        # imports sympy (0.4 s in every grading process)
        grads = torch.autograd.grad((out * g).sum(), wanted, allow_unused=True)
    except BaseException as exc:
        outcome.grad_error = f"{type(exc).__name__}: {_short(exc)}"
        return
    it = iter(grads)
    outcome.grads = [(_cpu(next(it)) if t.requires_grad else None) for t in tensors]


def _cpu(t):
    return None if t is None else t.detach().to("cpu")


def _short(exc, limit=300):
    text = str(exc).strip().splitlines()
    text = text[0] if text else ""
    return text if len(text) <= limit else text[:limit] + "..."


_NOT_STUDENT = tuple({os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep,
                      os.path.realpath(sys.prefix) + os.sep, sys.prefix + os.sep,
                      os.path.realpath(sys.base_prefix) + os.sep, sys.base_prefix + os.sep})


def _is_student_file(filename):
    """A frame of the student's code: a notebook cell, not the grader, the
    standard library or an installed package"""
    if filename.startswith("<"):
        return True
    return not os.path.abspath(filename).startswith(_NOT_STUDENT) and "site-packages" not in filename


def _error_outcome(exc, recorder):
    frames = traceback.extract_tb(exc.__traceback__)
    student = [f for f in frames if _is_student_file(f.filename)]
    where = ""
    if student:
        f = student[-1]
        where = f"line {f.lineno}: {(f.line or '').strip()}"
    mro = [_name(k) for k in type(exc).__mro__][-32:]  # the builtin bases are last
    return Outcome("error", type_name="", error_type=_name(type(exc)),
                   error_mro=mro, error_message=_short(exc), error_where=where,
                   ops=sorted(recorder.ops) if recorder is not None else None,
                   trace_note=recorder.note if recorder is not None else "")
