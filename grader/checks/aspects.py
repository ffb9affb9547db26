"""Judging one aspect of a function from its calls' outcomes

`judge(spec, aspect, trials, source)` takes (call, expected, got) triples, the
expected outcome coming from the reference, and says whether the aspect holds.
On failure it explains the smallest counterexample in plain words. The same
code judges in the student's notebook and in the grader.

Nothing for nothing: `values` and `stability` compare the numbers; every
other aspect is judged only on the calls whose values are right (`right`),
and scores 0 when no such call is left. Two exceptions: `shape` is judged on
every call that returned (on the others it would always hold) once one of
them has the right values; `errors`, whose calls carry no value, counts only
when at least one call of the function has the right values.
"""
import ast
from dataclasses import dataclass

import torch

from grader.checks import explain
from grader.checks.specs import ASPECTS


@dataclass
class Verdict:
    grade_id: str
    passed: bool
    points: float
    max_points: float
    message: str
    checked: int = 0          # how many calls informed it
    devices: tuple = ()

    def as_dict(self):
        return dict(self.__dict__, devices=list(self.devices))


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
    """Where the first wrong number is, as text"""
    if expected.shape != got.shape or expected.numel() == 0:
        return ""
    diff = _mismatch(expected, got, returned)
    idx = diff.nonzero()
    if len(idx) == 0:
        return ""
    pos = tuple(idx[0].tolist())
    return (f"first difference at index {list(pos)}: expected "
            f"{expected[pos].item():.6g}, got {got[pos].item():.6g} "
            f"({int(diff.sum())} of {diff.numel()} numbers differ)")


# --- per-aspect rules: return None when fine, else the reason -------------

def _need_value(exp, got):
    if got.kind != "value":
        return explain.outcome_text(got)
    if exp.exact_tensor and not got.exact_tensor:
        return f"it returned {explain.outcome_text(got)}"
    return None


def rule_values(call, exp, got):
    if call.expect_error:
        return None
    problem = _need_value(exp, got)
    if problem:
        return problem
    if exp.exact_tensor:
        if got.shape != exp.shape:
            return f"the result has shape {got.shape}, expected {exp.shape}"
        if not close(exp.value, got.value):
            return first_difference(exp.value, got.value)
        return None
    if _plain_equal(exp.value, got.value):
        return None
    said = f"it returned {_returned(got)}, expected {exp.value!r}"
    if _accepted(exp.value, got):
        return said
    numbers = "the numbers are right, but " if _loose_equal(exp.value, got.value) else ""
    return f"{said}: {numbers}the result must be {_plain_kind(exp.value)}"


# What a plain result may be: the rule the layers notebook states
TUPLE_RULE = ("a tuple of {n} Python ints (a list or a torch.Size of Python ints is "
              "accepted too; NumPy integers, floats and bools are not)")
INT_RULE = "a Python int (not a float, a bool or a NumPy integer)"


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
_ITEMS = {int: "Python ints", float: "floats", bool: "bools", str: "strings",
          tuple: "sequences", type(None): "other objects (NumPy integers or tensors, say)"}


def _returned(got):
    """What came back, naming its type: '(3.0, 3.0), a tuple of floats'"""
    if got.exact_tensor:
        return f"a tensor ({got.dtype}, shape {got.shape})"
    if isinstance(got.value, tuple):
        kinds = sorted({_ITEMS[type(v)] for v in got.value})
        of = f" of {' and '.join(kinds)}" if kinds else ", empty"
        if any(v is None for v in got.value):
            return f"a {got.type_name}{of}"
        return f"{got.value!r}, a {got.type_name}{of}"
    if got.value is None and got.type_name != "NoneType":
        return f"a `{got.type_name}`"
    return f"{got.value!r} (a {type(got.value).__name__})"


def _loose_equal(a, b):
    """Equal numbers, whatever their Python number types (a tensor or an
    array is not a number here: comparing with one gives no bool)"""
    if isinstance(a, tuple):
        return isinstance(b, (tuple, list)) and len(a) == len(b) and \
            all(_loose_equal(x, y) for x, y in zip(a, b))
    return type(b) in (int, float, bool) and a == b


def _plain_kind(value):
    """The rule for a result like `value`, for messages"""
    if _int_tuple(value):
        return TUPLE_RULE.format(n={2: "two"}.get(len(value), len(value)))
    if type(value) is int:
        return INT_RULE
    return f"a {type(value).__name__}"


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
        return f"the result has shape {got.shape}, expected {exp.shape}"
    return None


# --- the rules below judge only the calls whose values are right -----------

def rule_dtype(call, exp, got):
    if got.dtype != exp.dtype:
        return f"the result is {got.dtype}, expected {exp.dtype} (the input's dtype)"
    return None


def rule_devices(call, exp, got):
    if got.device != exp.device:
        return f"the result is on {got.device}, expected {exp.device} (the input's device)"
    return None


def _name(names, i):
    """Argument i by its name in the signature, or its number"""
    return names[i] if i < len(names) else f"argument {i}"


def _arg(names, i):
    """How a message names argument i: `X`, or argument 3"""
    return f"`{names[i]}`" if i < len(names) else f"argument {i}"


def rule_grad(call, exp, got, names=()):
    if got.grad_error:
        return f"autograd failed: {got.grad_error}"
    if got.grads is None:
        return "no gradients came back"
    # one gradient per tensor argument, in order
    for i, e, g in zip(call.tensor_positions(), exp.grads, got.grads):
        if e is None:
            continue
        if g is None:
            return f"no gradient reached {_arg(names, i)}"
        if not close(e, g, (got.dtype,)):
            return _nonfinite_gradient(call, i, e, g, names) or \
                f"the gradient of {_arg(names, i)} is wrong: " + \
                first_difference(e, g, (got.dtype,))
    return None


def _nonfinite_gradient(call, i, e, g, names):
    """Where the gradient of argument i is nan or inf and the reference's is
    finite, said with the input there; None when there is no such place"""
    bad = torch.isfinite(e) & ~torch.isfinite(g)
    if not bool(bad.any()):
        return None
    pos = tuple(bad.nonzero()[0].tolist())
    x = call.args[i]
    name = f"{_arg(names, i)}{list(pos) if pos else ''}"
    value = x[pos].item()
    region, dtype = _region(value), str(x.dtype).replace("torch.", "")
    where = f"{region} ({name} = {value:.6g}, {dtype})" if region else \
        f"{name} = {value:.6g} ({dtype})"
    return (f"at {where} your gradient of {_arg(names, i)} is {g[pos].item()}, the "
            f"reference's is {e[pos].item() + 0.0:.6g}: some step of your formula overflows "
            f"or divides by zero there (exp of a large number, inf / inf, 0 * inf, "
            f"log(0)), even though the value is right")


def _region(v):
    """The kind of input v is, for a message: 'large negative inputs'..."""
    if v == 0:
        return "zero"
    if v <= -10:
        return "large negative inputs"
    if v >= 10:
        return "large positive inputs"
    if abs(v) <= 1e-6:
        return "tiny inputs"
    return None


def rule_unchanged(call, exp, got, names=()):
    if got.changed:  # indices among the tensor arguments
        return f"it changed {_arg(names, call.tensor_positions()[got.changed[0]])} in place"
    return None


def rule_structure(spec, got):
    """The per-call part of `structure`: a trace that cannot be trusted, and
    ops the rule forbids (whether a required op made the result is judged
    over all calls, in `judge`)"""
    if got.trace_note:
        return f"how it computes its result could not be traced: {got.trace_note}"
    if got.foreign_ops:
        return (f"it applies {', '.join(got.foreign_ops[:6])} to the input's data, which "
                f"this exercise rules out ({spec.how})")
    bad = sorted(set(got.ops or ()) & spec.forbidden_ops)
    if bad:
        return f"it uses {', '.join(bad)}, which this exercise rules out ({spec.how})"
    return None


# --- rules that judge every call of theirs ------------------------------------

def rule_errors(call, exp, got):
    if not call.expect_error:
        return None
    if got.kind == "error" and call.expect_error in got.error_mro:
        return None
    if got.kind == "error":
        return f"it raised {got.error_type}: {got.error_message}; expected {call.expect_error}"
    return f"it should raise {call.expect_error}, but it returned a value: " \
        f"{explain.outcome_text(got)}"


def rule_stability(call, exp, got):
    if got.exact_tensor and not bool(torch.isfinite(got.value).all()):
        return "the result contains inf or nan"
    return rule_values(call, exp, got)


RULES = {"values": rule_values, "shape": rule_shape, "dtype": rule_dtype,
         "devices": rule_devices, "grad": rule_grad, "unchanged": rule_unchanged,
         "errors": rule_errors, "stability": rule_stability}
# the rules that compare the numbers themselves; every other one is judged
# only where these hold (nothing for nothing)
VALUE_RULES = ("values", "stability")


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


NOT_COUNTED = ("none of the calls that check this returned the right values; every rule "
               "other than `values` counts only where the values are right \u2014 fix the "
               "values first")
ERRORS_NOT_COUNTED = ("`errors` counts only once the function returns the right values "
                      "for a valid input, and it did for none \u2014 fix the values first")


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
    what = "a convolution" if "convolution" in spec.required_ops else "a matrix multiplication"
    if any(set(t[2].ops) & spec.required_ops for t in traced):  # only thrown away
        return call, exp, got, (f"it runs {what}, but its result is not computed from "
                                f"it ({spec.how})")
    return call, exp, got, f"it never runs {what} ({spec.how})"


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
                    return (f"your code uses `{text}`, which this exercise rules "
                            f"out ({spec.how})")
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
        return (f"`{spec.name}` is not defined in your notebook: run the cell "
                f"that defines it, and keep its name and signature `{spec.signature}`.")
    if any(t[2].error_type == "NotImplementedError" for t in relevant):
        return (f"`{spec.name}` still raises NotImplementedError: replace "
                f"`raise NotImplementedError()` with your code.")
    return None


def judge(spec, aspect, trials, source=None):
    """Verdict on one aspect from (call, expected, got) triples: all the
    function's calls (`errors` looks at the others' values too)"""
    points = spec.aspects[aspect]
    grade_id = spec.grade_id(aspect)
    relevant = [t for t in trials if aspect in t[0].aspects]
    devices = tuple(sorted({t[0].device for t in relevant}))
    if not relevant:
        return Verdict(grade_id, False, 0, points, "no check could be run for this aspect")
    reason = _unanswered(spec, relevant)
    if reason:
        return Verdict(grade_id, False, 0, points, reason, len(relevant), devices)
    judged = relevant
    if aspect == "errors" and not any(right(*t) for t in trials):
        return Verdict(grade_id, False, 0, points, f"`{spec.name}`: not counted: "
                       f"{ERRORS_NOT_COUNTED}.", 0, devices)
    if aspect == "shape":  # every call that returned, once some value is right
        judged = [t for t in relevant if t[2].kind == "value"]
        if not any(right(*t) for t in judged):
            judged = []
    elif aspect not in VALUE_RULES and aspect != "errors":
        judged = [t for t in relevant if right(*t)]
    if not judged:  # (errors' calls are all its relevant ones: never empty)
        return Verdict(grade_id, False, 0, points,
                       f"`{spec.name}`: not counted: {NOT_COUNTED}.", 0, devices)
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
            return Verdict(grade_id, False, 0, points, f"`{spec.name}`: {reason}", len(judged),
                           devices)
    if not failures and whole is None:
        return Verdict(grade_id, True, points, points,
                       f"{spec.name} {ASPECTS[aspect]}: {len(judged)} "
                       f"call{'s' if len(judged) != 1 else ''} checked on "
                       f"{', '.join(devices)}", len(judged), devices)
    if whole is None:
        failures.sort(key=lambda f: f[0])
        _, call, exp, got, reason = failures[0]
    else:
        call, exp, got, reason = whole
    lines = [f"{spec.name} should {_should(aspect)}, but for the call",
             _indent(explain.call_text(spec, call)),
             f"{reason}."]
    if aspect in VALUE_RULES and exp.exact_tensor and got.exact_tensor:
        lines += ["expected:", _indent(explain.value_text(exp.value)),
                  "got:", _indent(explain.value_text(got.value))]
    elif aspect == "grad" and got.grads is not None:
        lines += _gradient_lines(spec, call, exp, got)
    if len(failures) > 1:
        lines.append(f"({len(failures)} of {len(judged)} calls failed this way; "
                     f"this is the smallest.)")
    elif failures and len(judged) > 1:
        lines.append(f"(1 of {len(judged)} calls failed.)")
    return Verdict(grade_id, False, 0, points, "\n".join(lines), len(judged), devices)


def _gradient_lines(spec, call, exp, got):
    """The upstream gradient used, and the gradients expected and got, so a
    student can redo the computation by hand"""
    names = spec.arg_names
    lines = ["the gradient of the result that was passed back (grad_output):",
             _indent(explain.value_text(call.grad_output))]
    for i, e, g in zip(call.tensor_positions(), exp.grads, got.grads):
        if e is None or g is None or close(e, g, (got.dtype,)):
            continue
        lines += [f"expected gradient of {_name(names, i)}:", _indent(explain.value_text(e)),
                  "got:", _indent(explain.value_text(g))]
        break
    return lines


def _should(aspect):
    return {"values": "return the right numbers",
            "shape": "return a result of the right shape",
            "dtype": "keep the input's dtype",
            "devices": "return its result on the input's device",
            "grad": "pass the right gradients back to its inputs",
            "unchanged": "leave its inputs unchanged",
            "errors": "raise the error the contract asks for",
            "structure": "compute the result the way the exercise asks",
            "stability": "stay finite and right for large inputs"}[aspect]


def _indent(text, pad="    "):
    return "\n".join(pad + line for line in text.splitlines())
