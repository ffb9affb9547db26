"""The rule of each aspect, on one call: None where it holds, else a Finding

Each `rule_<aspect>(call, expected, got)` compares what the student's
function did on one call with the reference's outcome and says what is
wrong as data (verdict.Finding; explain.py words it). `judge`
(aspects.py) decides which calls each rule sees and picks the
counterexample. The numbers are compared within the tolerance of the
expected dtype (`tolerances`).
"""
import torch

from grader.checks.verdict import Finding, Value


def _precision(dtype):
    """0 for float64, complex128 and exact dtypes, 2 for float16 and
    bfloat16, 1 for float32 and anything else"""
    name = str(dtype).replace("torch.", "")
    if name in ("float64", "complex128", "int64", "int32", "bool"):
        return 0
    if name in ("float16", "bfloat16"):
        return 2
    return 1


def tolerances(expected, returned=()):
    """rtol, atol for a result that should hold `expected`'s numbers

    The tolerance comes from the expected dtype (the input's): float64 1e-7
    and 1e-9, float32 1e-4 and 1e-5, float16 and bfloat16 1e-2 and 1e-2.
    The dtypes the student returned may loosen it, but never beyond
    float32's: a result expected in float64 that came back in float32 is
    compared at float32's tolerance (it loses `dtype`, keeps `values`),
    while one that came back in float16 or bfloat16 gets no more slack than
    float32's (a float16 pool2d 0.5 % off loses `values`).
    """
    level = max([_precision(expected)] + [min(_precision(d), 1) for d in returned])
    return [(1e-7, 1e-9), (1e-4, 1e-5), (1e-2, 1e-2)][level]


def _mismatch(expected, got, returned=()):
    """Where got is off: a bool tensor (shapes must agree)

    Each number may be off by rtol of itself, plus rtol of the largest number
    of the expected result (at least atol): the rounding error of a sum or a
    product of many terms scales with the largest terms, not with each entry,
    so a float32 average of values near 1e4 that comes out near 0.3 is right
    to about 1e-4 (the reference's own float32 rounding), not to 3e-5.
    """
    rtol, atol = tolerances(expected.dtype, (got.dtype, *returned))
    a = expected.to(torch.float64) if not expected.is_complex() else expected
    b = got.to(torch.float64) if not got.is_complex() else got
    finite = a[torch.isfinite(a)].abs()
    if finite.numel():
        atol = max(atol, rtol * float(finite.max()))
    return ~torch.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True)


def close(expected, got, returned=()):
    """Same shape and numbers within the tolerance of `expected`'s dtype,
    loosened by got's dtype and `returned` (dtypes) as `tolerances` says"""
    if expected.shape != got.shape:
        return False
    if expected.numel() == 0:
        return True
    return not bool(_mismatch(expected, got, returned).any())


def first_difference(expected, got, returned=()):
    """Where the first wrong number is: {index, expected, got, count, total}
    (the two numbers as text), or None"""
    if expected.shape != got.shape or expected.numel() == 0:
        return None
    diff = _mismatch(expected, got, returned)
    idx = diff.nonzero()
    if len(idx) == 0:
        return None
    pos = tuple(idx[0].tolist())
    return {"index": list(pos), "expected": f"{expected[pos].item():.6g}",
            "got": f"{got[pos].item():.6g}", "count": int(diff.sum()), "total": diff.numel()}


def what_came_back(o):
    """What a call did, as a Finding: the value it returned, or what
    happened instead (calls.Outcome's kind)"""
    if o.kind == "missing":
        return Finding("not defined")
    if o.kind in ("timeout", "crash", "void"):
        return Finding({"timeout": "no answer", "crash": "died"}.get(o.kind, o.kind),
                       {"note": o.note})
    if o.kind == "error":
        return Finding("raised", {"type": o.error_type, "message": o.error_message,
                                  "where": o.error_where})
    if o.exact_tensor:
        return Finding("returned", {"value": Value.of(o.value)})
    if o.type_name and o.value is None and o.type_name not in ("NoneType",):
        return Finding("returned", {"type": o.type_name})
    return Finding("returned", {"repr": repr(o.value)})


# --- per-aspect rules: return None when fine, else what is wrong ----------------

def _need_value(exp, got):
    if got.kind != "value":
        return what_came_back(got)
    if exp.exact_tensor and not got.exact_tensor:
        return Finding("not a tensor", {"outcome": what_came_back(got)})
    return None


def _shape(exp, got):
    return Finding("shape", {"got": list(got.shape), "expected": list(exp.shape)})


def rule_values(call, exp, got):
    if call.expect_error:
        return None
    problem = _need_value(exp, got)
    if problem:
        return problem
    if exp.exact_tensor:
        if got.shape != exp.shape:
            return _shape(exp, got)
        if not close(exp.value, got.value):
            where = first_difference(exp.value, got.value)
            return Finding("difference", where) if where else None
        return None
    if _plain_equal(exp.value, got.value):
        return None
    said = {"returned": _returned(got), "expected": repr(exp.value), "rule": None,
            "numbers_right": False}
    if _accepted(exp.value, got):
        return Finding("plain", said)
    return Finding("plain", dict(said, rule=_plain_kind(exp.value),
                                 numbers_right=_loose_equal(exp.value, got.value)))


def _accepted(expected, got):
    """Is got of the form the rule allows for `expected`: for a tuple of
    ints, a tuple, list or torch.Size of as many Python ints (calls.describe
    makes each of them a tuple, and nothing else); for an int, a Python int?
    (other expected values: any form)"""
    if _int_tuple(expected):
        return isinstance(got.value, tuple) and len(got.value) == len(expected) \
            and all(type(v) is int for v in got.value)
    if type(expected) is int:
        return type(got.value) is int
    return True


def _int_tuple(value):
    return isinstance(value, tuple) and bool(value) and all(type(v) is int for v in value)


# item types as they reach the judge (calls._plain); anything else comes as None
_ITEMS = {int: "int", float: "float", bool: "bool", str: "str", tuple: "tuple",
          type(None): "other"}


def _returned(got):
    """What came back, with its type (explain words it)"""
    if got.exact_tensor:
        return {"kind": "tensor", "dtype": got.dtype, "shape": list(got.shape)}
    if isinstance(got.value, tuple):
        items = sorted({_ITEMS[type(v)] for v in got.value})
        shown = None if any(v is None for v in got.value) else repr(got.value)
        return {"kind": "sequence", "type": got.type_name, "repr": shown, "items": items}
    if got.value is None and got.type_name != "NoneType":
        return {"kind": "object", "type": got.type_name}
    return {"kind": "plain", "repr": repr(got.value), "type": type(got.value).__name__}


def _loose_equal(a, b):
    """Equal numbers, whatever their Python number types (a tensor or an
    array is not a number here: comparing with one gives no bool)"""
    if isinstance(a, tuple):
        return isinstance(b, (tuple, list)) and len(a) == len(b) and \
            all(_loose_equal(x, y) for x, y in zip(a, b))
    return type(b) in (int, float, bool) and a == b


def _plain_kind(value):
    """The rule for a result like `value` (explain words it)"""
    if _int_tuple(value):
        return {"rule": "tuple", "n": len(value)}
    if type(value) is int:
        return {"rule": "int"}
    return {"rule": "type", "type": type(value).__name__}


def _plain_equal(a, b):
    if isinstance(a, tuple):
        return isinstance(b, (tuple, list)) and len(a) == len(b) and \
            all(_plain_equal(x, y) for x, y in zip(a, b))
    if type(a) is int:
        return type(b) is int and a == b
    return a == b


def rule_shape(call, exp, got):
    """Judged on every call that returned: a wrong shape makes wrong values,
    so on the calls whose values are right it would always hold"""
    problem = _need_value(exp, got)
    if problem:
        return problem
    if got.shape != exp.shape:
        return _shape(exp, got)
    return None


# --- the rules below judge only the calls whose values are right -----------

def rule_dtype(call, exp, got):
    if got.dtype != exp.dtype:
        return Finding("dtype", {"got": got.dtype, "expected": exp.dtype})
    return None


def rule_devices(call, exp, got):
    if got.device != exp.device:
        return Finding("device", {"got": got.device, "expected": exp.device})
    return None


def _arg(names, i):
    """Argument i: {arg: its name in the signature, or None, position: i}"""
    return {"arg": names[i] if i < len(names) else None, "position": i}


def rule_grad(call, exp, got, names=()):
    if got.grad_error:
        return Finding("autograd failed", {"error": got.grad_error})
    if got.grads is None:
        return Finding("no gradients")
    # one gradient per tensor argument, in order
    for i, e, g in zip(call.tensor_positions(), exp.grads, got.grads):
        if e is None:
            continue
        if g is None:
            return Finding("no gradient reached", _arg(names, i))
        if not close(e, g, (got.dtype,)):
            return _nonfinite_gradient(call, i, e, g, names) or \
                Finding("gradient wrong", dict(_arg(names, i), difference=first_difference(
                    e, g, (got.dtype,))))
    return None


def _nonfinite_gradient(call, i, e, g, names):
    """Where the gradient of argument i is nan or inf and the reference's is
    finite, with the input there; None when there is no such place"""
    bad = torch.isfinite(e) & ~torch.isfinite(g)
    if not bool(bad.any()):
        return None
    pos = tuple(bad.nonzero()[0].tolist())
    x = call.args[i]
    value = x[pos].item()
    return Finding("gradient not finite", dict(
        _arg(names, i), index=list(pos), region=_region(value), value=f"{value:.6g}",
        dtype=str(x.dtype).replace("torch.", ""), got=str(g[pos].item()),
        reference=f"{e[pos].item() + 0.0:.6g}"))


def _region(v):
    """The kind of input v is: 'large negative', ... (explain words it)"""
    if v == 0:
        return "zero"
    if v <= -10:
        return "large negative"
    if v >= 10:
        return "large positive"
    if abs(v) <= 1e-6:
        return "tiny"
    return None


def rule_unchanged(call, exp, got, names=()):
    if got.changed:  # indices among the tensor arguments
        return Finding("changed input", _arg(names, call.tensor_positions()[got.changed[0]]))
    return None


def rule_structure(spec, got):
    """The per-call part of `structure`: a trace that cannot be trusted, and
    ops the rule forbids (whether a required op made the result is judged
    over all calls, in `judge`)"""
    if got.trace_note:
        return Finding("untraceable", {"note": got.trace_note})
    if got.foreign_ops:
        return Finding("foreign op", {"ops": list(got.foreign_ops[:6]), "how": spec.how})
    bad = sorted(set(got.ops or ()) & spec.forbidden_ops)
    if bad:
        return Finding("forbidden op", {"ops": bad, "how": spec.how})
    return None


# --- rules that judge every call of theirs ------------------------------------

def rule_errors(call, exp, got):
    if not call.expect_error:
        return None
    if got.kind == "error" and call.expect_error in got.error_mro:
        return None
    if got.kind == "error":
        return Finding("raised other", {"type": got.error_type, "message": got.error_message,
                                        "expected": call.expect_error})
    return Finding("should raise", {"expected": call.expect_error,
                                    "outcome": what_came_back(got)})


def rule_stability(call, exp, got):
    if got.exact_tensor and not bool(torch.isfinite(got.value).all()):
        return Finding("not finite")
    return rule_values(call, exp, got)


RULES = {"values": rule_values, "shape": rule_shape, "dtype": rule_dtype,
         "devices": rule_devices, "grad": rule_grad, "unchanged": rule_unchanged,
         "errors": rule_errors, "stability": rule_stability}
# the rules that compare the numbers themselves; every other one is judged
# only where these hold (nothing for nothing)
VALUE_RULES = ("values", "stability")
