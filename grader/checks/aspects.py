"""Judging one aspect of a function from its calls' outcomes

`judge(spec, aspect, triples, source)` takes (call, expected, got) triples,
the expected outcome coming from the reference, and says whether the
aspect holds, as a Verdict (verdict.py): on failure, the smallest
counterexample and what is wrong with it, as data. The same code judges in
the student's notebook and in the grader. The rule of each aspect on one
call is in rules.py.

Nothing for nothing: `values` and `stability` compare the numbers; every
other aspect is judged only on the calls whose values are right (`right`),
and scores 0 when no such call is left. Two exceptions: `shape` is judged on
every call that returned (on the others it would always hold) once one of
them has the right values; `errors`, whose calls carry no value, counts only
when at least one call of the function has the right values.
"""
import ast
from functools import partial

import torch

from grader.checks.rules import RULES, VALUE_RULES, close, rule_structure, rule_values
from grader.checks.verdict import (OUTCOME_KINDS, CallSummary, Finding, Gradient, Kind, Value,
                                   Verdict)

# kept here for the notebook and pytest, which import them from aspects
__all__ = ["judge", "right", "close", "Verdict"]


# --- nothing for nothing --------------------------------------------------------

def right(call, exp, got):
    """Did this call return the reference's values, other than as an answer
    that does nothing could? False for calls that must raise (they carry no
    value of their own)"""
    if call.expect_error or exp.kind != "value":
        return False
    return rule_values(call, exp, got) is None and not _trivial(call, exp)


def _trivial(call, exp):
    """Is the expected result one that an answer doing nothing returns: one
    number repeated (zeros, ones, a constant, a single number), or a tensor
    argument itself, or its top-left corner cut to the result's shape?"""
    if not exp.exact_tensor:
        return False
    y = exp.value.flatten()
    if bool((y == y[:1]).all()):  # no number, one, or one repeated
        return True
    shape = tuple(exp.value.shape)
    for a in call.args:
        if not isinstance(a, torch.Tensor) or a.dim() < len(shape):
            continue
        corner = a[(0,) * (a.dim() - len(shape))]
        if all(n >= m for n, m in zip(corner.shape, shape)):
            corner = corner[tuple(slice(0, m) for m in shape)]
            if close(exp.value, corner):
                return True
    return False


def _required_missing(spec, judged):
    """The `structure` failure over all calls: a required op (a convolution,
    a matrix multiplication) never ran in any call. Judged over all calls
    because PyTorch may compute a trivial case (a contraction over one
    channel) without that op."""
    if not spec.required_ops:
        return None
    traced = [t for t in judged if t[2].ops is not None]
    made = lambda o: set(o.producers if o.producers is not None else o.ops)
    if not traced or any(made(t[2]) & spec.required_ops for t in traced):
        return None
    call, exp, got = min(traced, key=lambda t: t[0].size())
    op = "convolution" if "convolution" in spec.required_ops else "matmul"
    if any(set(t[2].ops) & spec.required_ops for t in traced):  # only thrown away
        return call, exp, got, Finding("op unused", {"op": op, "how": spec.how})
    return call, exp, got, Finding("op never runs", {"op": op, "how": spec.how})


def source_problem(spec, source):
    """Read the student's code for library names the structural rule forbids

    Looks at attribute names (`F.max_pool2d`, `X.unfold`), imported names and
    string constants (`getattr(F, "max_pool2d")`) inside the function and the
    helpers it calls by name; the student's own variable names are free.
    """
    if not spec.forbidden_names or not source:
        return None
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    funcs = {n.name: n for n in ast.walk(tree)
             if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    imported = {a.asname or a.name: a.name for n in ast.walk(tree)
                if isinstance(n, ast.ImportFrom) for a in n.names}
    todo, seen = [spec.name], set()
    while todo:  # the function and the helpers it calls by name
        name = todo.pop()
        if name in seen or name not in funcs:
            continue
        seen.add(name)
        for node in ast.walk(funcs[name]):
            if isinstance(node, ast.Name):
                todo.append(node.id)
            for text in _library_names(node, imported):
                if any(bad in text.lower() for bad in spec.forbidden_names):
                    return Finding("forbidden name", {"name": text, "how": spec.how})
    return None


def _library_names(node, imported):
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, ast.Name) and node.id in imported:
        return [imported[node.id]]
    if isinstance(node, ast.Call):  # getattr(F, "max_pool2d") and the like
        return [a.value for a in node.args
                if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return []


def _simplicity(call):
    """How easy a counterexample is to read, smaller first: inputs with
    ordinary magnitudes before huge ones, then fewer numbers, then whole
    numbers before fractions"""
    tensors = [a for a in call.args if isinstance(a, torch.Tensor) and a.numel()]
    values = [a.detach().double() for a in tensors if a.is_floating_point()]
    huge = any(bool((v.abs() > 100).any()) for v in values)
    fractions = any(bool((v != v.round()).any()) for v in values)
    return huge, call.size(), fractions


def _unanswered(spec, relevant):
    """Why no call could be judged at all: the function is missing, or still
    the template's `raise NotImplementedError()`; else None"""
    if any(t[2].kind == "missing" for t in relevant):
        return Kind.MISSING, Finding("missing", {"function": spec.name,
                                                 "signature": spec.signature})
    if any(t[2].error_type == "NotImplementedError" for t in relevant):
        return Kind.UNFINISHED, Finding("unfinished", {"function": spec.name})
    return None


def judge(spec, aspect, triples, source=None):
    """Verdict on one aspect from (call, expected, got) triples: all the
    function's calls (`errors` looks at the others' values too)"""
    points = spec.aspects[aspect]
    relevant = [t for t in triples if aspect in t[0].aspects]
    devices = tuple(sorted({t[0].device for t in relevant}))
    failed = partial(Verdict, spec.grade_id(aspect), False, 0, points, function=spec.name,
                     aspect=aspect, devices=devices)
    if not relevant:
        return failed(Kind.NOT_JUDGED, Finding("no check"))
    unanswered = _unanswered(spec, relevant)
    if unanswered:
        return failed(*unanswered, checked=len(relevant))
    judged = relevant
    if aspect == "errors" and not any(right(*t) for t in triples):
        return failed(Kind.NOT_COUNTED, Finding("errors not counted", {"function": spec.name}))
    if aspect == "shape":  # every call that returned, once some value is right
        judged = [t for t in relevant if t[2].kind == "value"]
        if not any(right(*t) for t in judged):
            judged = []
    elif aspect not in VALUE_RULES and aspect != "errors":
        judged = [t for t in relevant if right(*t)]
    if not judged:  # (errors' calls are all its relevant ones: never empty)
        return failed(Kind.NOT_COUNTED, Finding("not counted", {"function": spec.name}))
    names = spec.arg_names
    failures = []
    for call, exp, got in judged:
        if aspect == "structure":
            reason = rule_structure(spec, got)
        elif aspect in ("grad", "unchanged"):
            reason = RULES[aspect](call, exp, got, names)
        else:
            reason = RULES[aspect](call, exp, got)
        if reason:
            consequence = got.note.startswith("not run")  # another call was the cause
            failures.append(((consequence, *_simplicity(call)), call, exp, got, reason))
    whole = None  # a reason about the function as a whole: (call, exp, got, reason)
    if not failures and aspect == "structure":
        whole = _required_missing(spec, judged)
        reason = source_problem(spec, source)
        if whole is None and reason:
            return failed(Kind.WRONG, reason, checked=len(judged))
    if not failures and whole is None:
        return Verdict(spec.grade_id(aspect), True, points, points, function=spec.name,
                       aspect=aspect, checked=len(judged), devices=devices)
    if whole is None:
        failures.sort(key=lambda f: f[0])
        _, call, exp, got, reason = failures[0]
    else:
        call, exp, got, reason = whole
    expected = shown = gradient = None
    if aspect in VALUE_RULES and exp.exact_tensor and got.exact_tensor:
        expected, shown = Value.of(exp.value), Value.of(got.value)
    elif aspect == "grad" and got.grads is not None:
        gradient = _gradient(spec, call, exp, got)
    return failed(OUTCOME_KINDS.get(got.kind, Kind.WRONG), reason,
                  call=CallSummary.of(spec, call), expected=expected, got=shown,
                  gradient=gradient, checked=len(judged), failed=len(failures))


def _gradient(spec, call, exp, got):
    """The upstream gradient used, and the gradients expected and got of the
    first argument whose gradient is wrong, so a student can redo the
    computation by hand"""
    names = spec.arg_names
    for i, e, g in zip(call.tensor_positions(), exp.grads, got.grads):
        if e is None or g is None or close(e, g, (got.dtype,)):
            continue
        return Gradient(Value.of(call.grad_output), names[i] if i < len(names) else None, i,
                        Value.of(e), Value.of(g))
    return Gradient(Value.of(call.grad_output))
