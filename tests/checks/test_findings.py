"""Each Finding the rules make, pinned by its code and every param

feedback, the report and export read a verdict's `reason` as data (its code
and params; explain.py words it where it is shown), so a code or a param
renamed, dropped or filled wrongly changes what they show even where no
sentence tested in test_rules.py changes. Each test asks `judge` where it
can (the rule as the grader runs it), or the rule itself where judge stops
earlier (a missing function), and checks the whole Finding, that it goes
to JSON and back unchanged, and that explain can word it.

The functions are the test-only assignment's (tests/practice.py):
`local_pool(X, pool_size, mode)` (an `errors` aspect), `max_as_conv` (a
`structure` rule that requires a convolution), `window_cost` (a plain int);
a function whose structure rule requires another op is found by its spec.
"""
import json

import numpy as np
import pytest
import torch

from grader import assignments
from grader.checks import explain, rules
from grader.checks.aspects import judge, right
from grader.checks.calls import Call, Outcome, describe, run_call
from grader.checks.specs import FUNCTIONS
from grader.checks.verdict import Finding, Kind, Value
from grader.plan import expect, trials

F32, F64 = torch.float32, torch.float64
POOL, CONV, COST = "local_pool", "max_as_conv", "window_cost"
X = torch.tensor([[0.5, -1.0, 3.0], [2.0, 0.25, -0.5], [1.5, 4.0, -2.0]], dtype=F64)


def checked(finding):
    """The finding, after checking it survives JSON and explain words it"""
    assert Finding.from_json(json.loads(json.dumps(finding.to_json()))) == finding
    assert explain.reason(finding)
    return finding


def found(function, aspect, triples, source=None):
    """judge's reason for failing `aspect` on the triples"""
    v = judge(FUNCTIONS[function], aspect, triples, source)
    assert not v.passed and v.points == 0, v.message
    return checked(v.reason)


def pool_call(*args, **kw):
    return Call(POOL, (X, (2, 2), *args), **kw)


def right_pool_triple():
    """A local_pool call answered right (its values count)"""
    call = pool_call()
    exp = expect(call)
    got = describe(exp.value.clone())
    assert right(call, exp, got)
    return call, exp, got


# --- what came back instead of a value ----------------------------------------------

@pytest.mark.parametrize("kind, code, verdict_kind", [
    ("timeout", "no answer", Kind.TIMED_OUT), ("crash", "died", Kind.DIED),
    ("void", "void", Kind.VOID)])
def test_a_call_without_an_answer_says_what_happened(kind, code, verdict_kind):
    call = pool_call()
    v = judge(FUNCTIONS[POOL], "values", [(call, expect(call), Outcome(kind, note="it said so"))])
    assert v.kind == verdict_kind
    assert checked(v.reason) == Finding(code, {"note": "it said so"})


def test_a_call_that_raised_says_the_type_the_message_and_where():
    def raises(X, pool_size, mode="max"):
        return X[5, 5]
    call = pool_call()
    got = run_call(raises, call)
    assert got.error_where.startswith("line ") and "X[5, 5]" in got.error_where
    assert found(POOL, "values", [(call, expect(call), got)]) == Finding("raised", {
        "type": "IndexError", "message": got.error_message, "where": got.error_where})
    assert "index 5 is out of bounds" in got.error_message


def test_a_missing_function_is_not_defined():
    """judge says so for the whole function; the rule, for one call"""
    call = pool_call()
    assert checked(rules.rule_values(call, expect(call), Outcome("missing"))) == \
        Finding("not defined")
    assert rules.what_came_back(Outcome("missing")).params == {}


class Sub(torch.Tensor):
    pass


@pytest.mark.parametrize("out, outcome", [
    ([1.0, 2.0], {"repr": "(1.0, 2.0)"}),
    (None, {"repr": "None"}),
    ("text", {"repr": "'text'"}),
    (torch.ones(2, dtype=F64).as_subclass(Sub), {"type": "Sub"}),
    (np.ones(2), {"type": "ndarray"}),
    (list(range(17)), {"type": "list"}),  # too long to travel as a value
])
def test_a_tensor_expected_and_something_else_returned(out, outcome):
    call = pool_call()
    assert found(POOL, "values", [(call, expect(call), describe(out))]) == \
        Finding("not a tensor", {"outcome": Finding("returned", outcome)})


def test_should_raise_says_what_came_back_instead():
    """A tensor by its Value, a plain value by its repr, a missing function"""
    bad = pool_call("min", expect_error="ValueError", aspects=frozenset({"errors"}))
    returned = describe(torch.ones(2, 2, dtype=F64))
    assert found(POOL, "errors", [right_pool_triple(), (bad, None, returned)]) == \
        Finding("should raise", {"expected": "ValueError", "outcome": Finding(
            "returned", {"value": Value("float64", (2, 2), "[1.0, 1.0]\n[1.0, 1.0]")})})
    assert checked(rules.rule_errors(bad, None, describe(1.5))) == Finding(
        "should raise", {"expected": "ValueError", "outcome": Finding("returned", {"repr": "1.5"})})
    assert checked(rules.rule_errors(bad, None, Outcome("missing"))) == Finding(
        "should raise", {"expected": "ValueError", "outcome": Finding("not defined")})
    assert rules.rule_errors(bad, None, Outcome("timeout", note="slow")) == Finding(
        "should raise", {"expected": "ValueError",
                         "outcome": Finding("no answer", {"note": "slow"})})


def test_raising_another_error_says_both():
    bad = pool_call("min", expect_error="ValueError", aspects=frozenset({"errors"}))
    other = Outcome("error", error_type="KeyError", error_mro=["KeyError", "LookupError"],
                    error_message="'min'", error_where="line 2: MODES[mode]")
    assert found(POOL, "errors", [right_pool_triple(), (bad, None, other)]) == Finding(
        "raised other", {"type": "KeyError", "message": "'min'", "expected": "ValueError"})


# --- plain results ---------------------------------------------------------------------

def _cost_trial(got, expected=None):
    """A window_cost call, the reference's 36 (or `expected`), and got"""
    call = Call(COST, (1, 4, 4, 3, 2, 1))
    exp = expect(call) if expected is None else describe(expected)
    if expected is None:
        assert exp.value == 36
    return call, exp, describe(got)


@pytest.mark.parametrize("got, returned, rule, numbers_right", [
    (35, {"kind": "plain", "repr": "35", "type": "int"}, None, False),
    (36.0, {"kind": "plain", "repr": "36.0", "type": "float"}, {"rule": "int"}, True),
    (35.0, {"kind": "plain", "repr": "35.0", "type": "float"}, {"rule": "int"}, False),
    (np.int64(36), {"kind": "object", "type": "int64"}, {"rule": "int"}, False),
    (torch.tensor([36, 1]), {"kind": "tensor", "dtype": "int64", "shape": [2]},
     {"rule": "int"}, False),
    ((36,), {"kind": "sequence", "type": "tuple", "repr": "(36,)", "items": ["int"]},
     {"rule": "int"}, False),
    (None, {"kind": "plain", "repr": "None", "type": "NoneType"}, {"rule": "int"}, False),
])
def test_an_int_result(got, returned, rule, numbers_right):
    assert found(COST, "values", [_cost_trial(got)]) == Finding("plain", {
        "returned": returned, "expected": "36", "rule": rule, "numbers_right": numbers_right})


@pytest.mark.parametrize("got, returned, rule, numbers_right", [
    ((24, 25), {"kind": "sequence", "type": "tuple", "repr": "(24, 25)", "items": ["int"]},
     None, False),
    ([24.0, 24.0], {"kind": "sequence", "type": "list", "repr": "(24.0, 24.0)",
                    "items": ["float"]}, {"rule": "tuple", "n": 2}, True),
    ((24, np.int64(24)), {"kind": "sequence", "type": "tuple", "repr": None,
                          "items": ["int", "other"]}, {"rule": "tuple", "n": 2}, False),
    ((True, 24.0, "a", (1,)), {"kind": "sequence", "type": "tuple",
                               "repr": "(True, 24.0, 'a', (1,))",
                               "items": ["bool", "float", "str", "tuple"]},
     {"rule": "tuple", "n": 2}, False),
    ((), {"kind": "sequence", "type": "tuple", "repr": "()", "items": []},
     {"rule": "tuple", "n": 2}, False),
    ((24, 24, 1), {"kind": "sequence", "type": "tuple", "repr": "(24, 24, 1)", "items": ["int"]},
     {"rule": "tuple", "n": 2}, False),
    ("(24, 24)", {"kind": "plain", "repr": "'(24, 24)'", "type": "str"},
     {"rule": "tuple", "n": 2}, False),
    (tuple(range(20)), {"kind": "object", "type": "tuple"}, {"rule": "tuple", "n": 2}, False),
])
def test_a_pair_of_ints_result(got, returned, rule, numbers_right):
    assert found(COST, "values", [_cost_trial(got, (24, 24))]) == Finding("plain", {
        "returned": returned, "expected": "(24, 24)", "rule": rule,
        "numbers_right": numbers_right})


def test_other_plain_results_take_any_form():
    """An expected float or string: no rule of form, only the value"""
    assert found(COST, "values", [_cost_trial(2.6, 2.5)]) == Finding("plain", {
        "returned": {"kind": "plain", "repr": "2.6", "type": "float"}, "expected": "2.5",
        "rule": None, "numbers_right": False})
    assert found(COST, "values", [_cost_trial(3, "x")]) == Finding("plain", {
        "returned": {"kind": "plain", "repr": "3", "type": "int"}, "expected": "'x'",
        "rule": None, "numbers_right": False})


def test_the_rule_of_each_plain_form():
    assert rules._plain_kind((2, 3, 4)) == {"rule": "tuple", "n": 3}
    assert rules._plain_kind(5) == {"rule": "int"}
    assert rules._plain_kind(True) == {"rule": "type", "type": "bool"}
    assert rules._plain_kind(2.5) == {"rule": "type", "type": "float"}
    assert rules._plain_kind((2, 3.0)) == {"rule": "type", "type": "tuple"}
    assert rules._plain_kind(()) == {"rule": "type", "type": "tuple"}


# --- shapes, numbers, dtypes, devices ---------------------------------------------------

def test_a_wrong_shape_says_both_shapes():
    call = pool_call()
    exp = expect(call)
    wrong = describe(torch.zeros(3, 2, 1, dtype=F64))
    assert found(POOL, "values", [(call, exp, wrong)]) == \
        Finding("shape", {"got": [3, 2, 1], "expected": [2, 2]})
    assert found(POOL, "shape", [right_pool_triple(), (call, exp, wrong)]) == \
        Finding("shape", {"got": [3, 2, 1], "expected": [2, 2]})
    assert found(POOL, "shape", [right_pool_triple(), (call, exp, describe([1.0]))]) == \
        Finding("not a tensor", {"outcome": Finding("returned", {"repr": "(1.0,)"})})


def test_wrong_numbers_say_where():
    call = pool_call()
    exp = expect(call)  # [[2, 3], [4, 4]]
    got = exp.value.clone()
    got[1, 0] = 4.5
    assert found(POOL, "values", [(call, exp, describe(got))]) == Finding("difference", {
        "index": [1, 0], "expected": "4", "got": "4.5", "count": 1, "total": 4})


def test_dtype_and_device_say_both():
    call, exp, _ = right_pool_triple()
    assert found(POOL, "dtype", [(call, exp, describe(exp.value.float()))]) == \
        Finding("dtype", {"got": "float32", "expected": "float64"})
    elsewhere = describe(exp.value.clone())
    elsewhere.device = "fake:0"
    device_call = pool_call(aspects=frozenset({"devices"}))
    assert found(POOL, "devices", [(device_call, exp, elsewhere)]) == \
        Finding("device", {"got": "fake:0", "expected": "cpu"})


def test_a_result_that_is_not_finite():
    call, exp, _ = right_pool_triple()
    got = exp.value.clone()
    got[0, 0] = float("inf")
    assert checked(rules.rule_stability(call, exp, describe(got))) == Finding("not finite")
    assert rules.rule_stability(call, exp, describe(exp.value.clone())) is None


# --- gradients and inputs ------------------------------------------------------------------

def _grad_triple(fn, X_=X):
    call = Call(POOL, (X_, (2, 2), "avg"), aspects=frozenset({"grad"}), grad=True)
    exp = expect(call)
    return call, exp, run_call(fn, call)


def test_gradient_findings():
    pool = FUNCTIONS[POOL]
    ref = assignments.reference(POOL)
    call, exp, cut = _grad_triple(lambda *a: ref(*a).detach())
    assert found(POOL, "grad", [(call, exp, cut)]) == Finding(
        "autograd failed", {"error": "the result is not connected to the inputs by autograd"})
    none = describe(exp.value.clone())
    assert found(POOL, "grad", [(call, exp, none)]) == Finding("no gradients")
    none.grads = [None]
    assert found(POOL, "grad", [(call, exp, none)]) == \
        Finding("no gradient reached", {"arg": "X", "position": 0})
    off = describe(exp.value.clone())
    off.grads = [exp.grads[0].clone()]
    off.grads[0][2, 1] += 1
    assert found(POOL, "grad", [(call, exp, off)]) == Finding("gradient wrong", {
        "arg": "X", "position": 0, "difference": {
            "index": [2, 1], "expected": f"{exp.grads[0][2, 1].item():.6g}",
            "got": f"{exp.grads[0][2, 1].item() + 1:.6g}", "count": 1, "total": 9}})
    assert pool.arg_names[0] == "X"


def test_a_gradient_that_is_not_finite_says_where_and_what():
    X_ = torch.tensor([[0.5, -400.0, 3.0], [2.0, 0.25, -0.5], [1.5, 4.0, -2.0]], dtype=F64)
    call, exp, _ = _grad_triple(None, X_)
    got = describe(exp.value.clone())
    got.grads = [exp.grads[0].clone()]
    got.grads[0][0, 1] = float("-inf")
    reference = exp.grads[0][0, 1].item()
    assert found(POOL, "grad", [(call, exp, got)]) == Finding("gradient not finite", {
        "arg": "X", "position": 0, "index": [0, 1], "region": "large negative",
        "value": "-400", "dtype": "float64", "got": "-inf", "reference": f"{reference:.6g}"})
    got.grads[0][0, 1] = exp.grads[0][0, 1]
    got.grads[0][1, 1] = float("nan")
    assert found(POOL, "grad", [(call, exp, got)]).params["region"] is None


def test_a_non_finite_gradient_of_a_zero_dimensional_input_where_the_reference_is_minus_0():
    """No index for a 0-d argument; the reference's -0 is said as 0"""
    call = Call("f", (torch.tensor(-400.0, dtype=F64),), aspects=frozenset({"grad"}), grad=True)
    exp = describe(torch.tensor(-1.0, dtype=F64))
    exp.grads = [torch.tensor(-0.0, dtype=F64)]
    got = describe(torch.tensor(-1.0, dtype=F64))
    got.grads = [torch.tensor(float("nan"), dtype=F64)]
    finding = checked(rules.rule_grad(call, exp, got, ["x"]))
    assert finding == Finding("gradient not finite", {
        "arg": "x", "position": 0, "index": [], "region": "large negative", "value": "-400",
        "dtype": "float64", "got": "nan", "reference": "0"})
    assert explain.reason(finding).startswith(
        "at large negative inputs (`x` = -400, float64) your gradient of `x` is nan, the "
        "reference's is 0: some step of your formula overflows")


def test_an_input_changed_in_place_is_named():
    call, exp, got = right_pool_triple()
    call = pool_call(aspects=frozenset({"unchanged"}))
    got.changed = [0]
    assert found(POOL, "unchanged", [(call, exp, got)]) == \
        Finding("changed input", {"arg": "X", "position": 0})
    later = Call("f", (3, torch.ones(2), torch.ones(2)))  # changed: among the tensors
    assert checked(rules.rule_unchanged(later, None, got, ["n", "a"])) == \
        Finding("changed input", {"arg": "a", "position": 1})
    got.changed = [1]
    assert checked(rules.rule_unchanged(later, None, got, ["n", "a"])) == \
        Finding("changed input", {"arg": None, "position": 2})


# --- structure --------------------------------------------------------------------------------

def _traced():
    """max_as_conv's first traced call whose values count, answered right"""
    for call, exp in trials(FUNCTIONS[CONV].assignment)[CONV]:
        if "structure" in call.aspects and call.trace and right(call, exp, exp):
            got = describe(exp.value.clone())
            got.ops, got.producers = ["convolution", "amax"], ["convolution", "amax"]
            return call, exp, got
    raise AssertionError("no traced call of max_as_conv")


def test_structure_findings_on_a_call():
    spec = FUNCTIONS[CONV]
    call, exp, got = _traced()
    assert judge(spec, "structure", [(call, exp, got)]).passed
    got.trace_note = "it ran a custom autograd function"
    assert found(CONV, "structure", [(call, exp, got)]) == \
        Finding("untraceable", {"note": "it ran a custom autograd function"})
    got.trace_note = ""
    got.foreign_ops = ["sort", "add", "topk", "mul", "cumsum", "max", "min", "exp"]
    assert found(CONV, "structure", [(call, exp, got)]) == Finding(
        "foreign op", {"ops": ["sort", "add", "topk", "mul", "cumsum", "max"], "how": spec.how})
    got.foreign_ops = []
    got.ops = ["unfold", "convolution", "max_pool2d", "add"]
    assert found(CONV, "structure", [(call, exp, got)]) == \
        Finding("forbidden op", {"ops": ["max_pool2d", "unfold"], "how": spec.how})


def test_structure_findings_over_all_calls():
    spec = FUNCTIONS[CONV]
    call, exp, got = _traced()
    got.ops, got.producers = ["add", "amax"], ["add", "amax"]
    assert found(CONV, "structure", [(call, exp, got)]) == \
        Finding("op never runs", {"op": "convolution", "how": spec.how})
    got.ops = ["add", "amax", "convolution"]
    assert found(CONV, "structure", [(call, exp, got)]) == \
        Finding("op unused", {"op": "convolution", "how": spec.how})
    got.ops, got.producers = ["convolution", "amax"], ["convolution", "amax"]
    source = f"def {CONV}(X, k):\n    return F.max_pool2d(X, k)\n"
    assert found(CONV, "structure", [(call, exp, got)], source) == \
        Finding("forbidden name", {"name": "max_pool2d", "how": spec.how})


def test_a_required_op_other_than_a_convolution_is_a_matmul():
    spec = next(s for s in FUNCTIONS.values()
                if s.required_ops and "convolution" not in s.required_ops)
    call = Call(spec.name, (torch.ones(2, 2, dtype=F64),), aspects=frozenset({"structure"}))
    exp = describe(torch.tensor([[1.0, 2.0], [3.0, 5.0]], dtype=F64))
    got = describe(exp.value.clone())
    got.ops, got.producers = ["mul", "sum"], ["mul", "sum"]
    v = judge(spec, "structure", [(call, exp, got)])
    assert checked(v.reason) == Finding("op never runs", {"op": "matmul", "how": spec.how})
    assert explain.reason(v.reason) == f"it never runs a matrix multiplication ({spec.how})"


# --- the function as a whole -------------------------------------------------------------------

def test_findings_about_the_whole_function():
    spec = FUNCTIONS[POOL]
    call = pool_call()
    exp = expect(call)
    assert found(POOL, "values", [(call, exp, Outcome("missing"))]) == \
        Finding("missing", {"function": POOL, "signature": spec.signature})
    template = Outcome("error", error_type="NotImplementedError",
                       error_mro=["NotImplementedError", "RuntimeError"])
    assert found(POOL, "values", [(call, exp, template)]) == \
        Finding("unfinished", {"function": POOL})
    assert found(POOL, "dtype", [(call, exp, describe(exp.value + 1))]) == \
        Finding("not counted", {"function": POOL})
    bad = pool_call("min", expect_error="ValueError", aspects=frozenset({"errors"}))
    raised = Outcome("error", error_type="ValueError", error_mro=["ValueError"])
    assert found(POOL, "errors", [(bad, None, raised)]) == \
        Finding("errors not counted", {"function": POOL})
    assert found(POOL, "errors", []) == Finding("no check")
