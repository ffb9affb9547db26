"""The rules that decide points, pinned one by one: tolerances just inside
and just outside for each dtype, tiny and empty results, plain results and
their types, answers missing or left as the template, nothing for nothing,
the source check of `structure`, devices (without a GPU), errors, stability,
gradients, and the counterexample a message picks

Most tests build (call, expected, got) triples from the outcomes of real
functions (`run_call`, `describe`), as the grader does, and ask `judge`.
"""
import json
import textwrap

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grader.checks import aspects, explain, rules
from grader.checks.aspects import judge, right
from grader.checks.rules import close, tolerances
from grader.checks.calls import Call, Outcome, describe, run_call
from grader.checks.devices import on_devices
from grader.checks.specs import FUNCTIONS
from grader.checks.verdict import Arg, CallSummary, Finding, Gradient, Kind, Value, Verdict
from grader.plan import expect, trials
from grader import assignments

F16, F32, F64 = torch.float16, torch.float32, torch.float64


def said(finding):
    """What a rule found, in words (None where it holds)"""
    return None if finding is None else explain.reason(finding)


def gradient_lines(gradient):
    """The lines a `grad` failure's message shows for its Gradient"""
    v = Verdict("corr2d-grad", False, 0, 1, Kind.WRONG, Finding("no gradients"), gradient=gradient,
                call=CallSummary("corr2d"))
    return v.message.splitlines()[3:]


def verdict(function, aspect, fn, source=None, seed=None):
    """judge's verdict on fn over the grading plan's calls (CPU)"""
    spec = FUNCTIONS[function]
    plan = trials(spec.assignment) if seed is None else trials(spec.assignment, seed)
    triples = [(c, e, run_call(fn, c)) for c, e in plan[function]]
    return judge(spec, aspect, triples, source)


def reference(function, change=lambda out, *args: out):
    """The reference, its result passed through `change`"""
    ref = assignments.reference(function)

    def fn(*args, **kwargs):
        return change(ref(*args, **kwargs), *args)
    return fn


# --- tolerances -----------------------------------------------------------------

@pytest.mark.parametrize("dtype, rtol, atol", [(F64, 1e-7, 1e-9), (F32, 1e-4, 1e-5),
                                               (F16, 1e-2, 1e-2)])
def test_relative_tolerance_just_inside_and_just_outside(dtype, rtol, atol):
    """A number off by 1.5 rtol of the largest is right, by 2.5 rtol wrong
    (isclose: |a - b| <= max(atol, rtol max|a|) + rtol |b|)"""
    assert tolerances(dtype) == (rtol, atol)
    expected = torch.tensor([400.0, 2.0, 100.0], dtype=F64).to(dtype)
    for factor, ok in ((1.5, True), (2.5, False)):
        got = expected.double().clone()
        got[0] = got[0] * (1 + factor * rtol)
        assert close(expected, got.to(dtype) if dtype != F16 else got) is ok, factor


@pytest.mark.parametrize("dtype, atol", [(F64, 1e-9), (F32, 1e-5), (F16, 1e-2)])
def test_absolute_tolerance_just_inside_and_just_outside(dtype, atol):
    """Numbers near zero may be off by atol (the result's largest is tiny),
    not by three times it"""
    expected = torch.tensor([0.0, atol / 1000], dtype=dtype)
    assert close(expected, expected + atol / 2)
    assert not close(expected, expected + 3 * atol)


def test_tolerance_grows_with_the_largest_number():
    """A float32 average near 0.3 among values near 1e4 may be off by
    1e-4 of 1e4, not by 2.5 times that"""
    expected = torch.tensor([1e4, 0.3], dtype=F32)
    assert close(expected, torch.tensor([1e4, 0.3 + 0.5], dtype=F32))
    assert not close(expected, torch.tensor([1e4, 0.3 + 2.5], dtype=F32))
    assert explain.reason(Finding("difference", rules.first_difference(
        expected, torch.tensor([1e4, 2.8], dtype=F32)))) == \
        "first difference at index [1]: expected 0.3, got 2.8 (1 of 2 numbers differ)"


def test_nan_and_inf_must_match():
    """nan is right only where the expected is nan; inf only where inf"""
    expected = torch.tensor([float("nan"), float("inf"), 1.0], dtype=F64)
    assert close(expected, expected.clone())
    assert not close(expected, torch.tensor([0.0, float("inf"), 1.0], dtype=F64))
    assert not close(expected, torch.tensor([float("nan"), 1e300, 1.0], dtype=F64))


@pytest.mark.parametrize("name, level", [
    ("float64", 0), ("complex128", 0), ("int64", 0), ("int32", 0), ("bool", 0),
    ("float32", 1), ("complex64", 1), ("int8", 1), ("uint8", 1),
    ("float16", 2), ("bfloat16", 2)])
def test_each_dtype_has_its_tolerance(name, level):
    assert tolerances(name) == [(1e-7, 1e-9), (1e-4, 1e-5), (1e-2, 1e-2)][level]
    assert tolerances(getattr(torch, name)) == tolerances(name)


def test_a_returned_dtype_loosens_the_tolerance_at_most_to_float32():
    """float64 expected, float32 returned: float32's tolerance; float16 or
    bfloat16 returned: still float32's; float16 expected keeps float16's"""
    assert tolerances(F64, (F32,)) == (1e-4, 1e-5)
    assert tolerances(F64, ("float16",)) == (1e-4, 1e-5)
    assert tolerances(F64, (F16, "bfloat16")) == (1e-4, 1e-5)
    assert tolerances(F32, (F16,)) == (1e-4, 1e-5)
    assert tolerances(F16, (F64,)) == (1e-2, 1e-2)
    assert tolerances(F64, (F64, "int64")) == (1e-7, 1e-9)


def test_float16_result_gets_no_slack_beyond_float32():
    """The loophole: a pool2d returning float16 results 0.5 % off loses
    `values` (and `dtype`), not just `dtype`"""
    off = reference("pool2d", lambda Y, *a: (Y * 1.005).to(F16))
    assert not verdict("pool2d", "values", off).passed
    rounded = reference("pool2d", lambda Y, *a: Y.to(F16))  # float16 rounding only
    assert not verdict("pool2d", "values", rounded).passed


def test_float32_result_of_a_float64_input_keeps_values_and_loses_dtype():
    forced = reference("pool2d", lambda Y, *a: Y.to(F32))
    assert verdict("pool2d", "values", forced).passed
    assert not verdict("pool2d", "dtype", forced).passed
    assert "the result is float32, expected float64 (the input's dtype)" in \
        verdict("pool2d", "dtype", forced).message


def test_results_just_inside_and_outside_float64s_tolerance():
    """Through judge: a float64 linear off by 1e-8 relative keeps `values`,
    one off by 1e-6 loses it"""
    inside = reference("linear", lambda Y, *a: Y * (1 + 1e-8))
    outside = reference("linear", lambda Y, *a: Y * (1 + 1e-6))
    assert verdict("linear", "values", inside).passed
    assert not verdict("linear", "values", outside).passed


# --- tiny, empty and plain results ------------------------------------------------

def _trial(expected_value, got_value, function="pool2d"):
    call = Call(function, (torch.zeros(2, 2, dtype=F64), (1, 1)))
    return call, describe(expected_value), describe(got_value)


def test_empty_results_agree_and_a_one_number_result_is_checked():
    empty = torch.zeros(0, 3, dtype=F64)
    assert close(empty, empty.clone())
    assert said(rules.rule_values(*_trial(empty, empty.clone()))) is None
    one = torch.tensor([5.0], dtype=F64)
    assert said(rules.rule_values(*_trial(one, torch.tensor([6.0], dtype=F64)))) == \
        "first difference at index [0]: expected 5, got 6 (1 of 1 numbers differ)"
    assert said(rules.rule_values(*_trial(one, torch.tensor([5.0, 5.0], dtype=F64)))) == \
        "the result has shape (2,), expected (1,)"
    assert not close(one, torch.tensor([5.0, 5.0], dtype=F64))
    assert rules.first_difference(one, torch.tensor([6.0, 6.0], dtype=F64)) is None
    assert rules.first_difference(empty, torch.zeros(0, 3, dtype=F64)) is None


def test_a_tensor_subclass_or_a_non_tensor_is_not_a_result():
    class Sub(torch.Tensor):
        pass
    expected = torch.ones(2, dtype=F64)
    sub = describe(torch.ones(2, dtype=F64).as_subclass(Sub))
    call, exp, _ = _trial(expected, expected)
    assert said(rules.rule_values(call, exp, sub)) == "it returned a Sub (expected a plain torch.Tensor)"
    assert said(rules.rule_values(call, exp, describe([1.0, 1.0]))) == "it returned (1.0, 1.0)"


SHAPE = "conv2d_output_shape"


@pytest.mark.parametrize("form", [tuple, list, torch.Size])
def test_shape_results_in_an_accepted_form_pass(form):
    """A tuple, a list or a torch.Size of Python ints"""
    assert verdict(SHAPE, "values", reference(SHAPE, lambda out, *a: form(out))).passed


@pytest.mark.parametrize("make, said", [
    (lambda out: tuple(np.int64(v) for v in out),
     "it returned a tuple of other objects (NumPy integers or tensors, say), expected (24, 24)"),
    (lambda out: tuple(float(v) for v in out),
     "it returned (24.0, 24.0), a tuple of floats, expected (24, 24): the numbers are right, "
     "but"),
    (lambda out: tuple(bool(v) for v in out), "it returned (True, True), a tuple of bools"),
    (lambda out: np.array(out), "it returned a `ndarray`, expected (24, 24)"),
    (lambda out: torch.tensor(out), "it returned a tensor (int64, shape (2,)), expected (24, 24)"),
    (lambda out: (*out, 1), "it returned (24, 24, 1), a tuple of Python ints, expected (24, 24)"),
    (lambda out: out[0], "it returned 24 (a int), expected (24, 24)"),
    (lambda out: str(out), "it returned '(24, 24)' (a str), expected (24, 24)"),
    (lambda out: (), "it returned (), a tuple, empty, expected (24, 24)"),
])
def test_shape_results_in_another_form_fail_naming_the_type_and_the_rule(make, said):
    v = verdict(SHAPE, "values", reference(SHAPE, lambda out, *a: make(out)))
    assert not v.passed
    assert said in v.message, v.message
    assert "the result must be a tuple of two Python ints (a list or a torch.Size of Python " \
        "ints is accepted too; NumPy integers, floats and bools are not)" in v.message


def test_a_tuple_right_in_one_place_only_is_wrong():
    half = reference(SHAPE, lambda out, *a: (out[0], out[1] + 1))
    v = verdict(SHAPE, "values", half)
    assert not v.passed and "a tuple of Python ints, expected (24, 24)." in v.message
    assert "must be" not in v.message  # the form is right; the numbers are not


def test_an_int_result_follows_the_int_rule():
    """pool_cost returns a Python int: a float or a NumPy integer is not one"""
    assert verdict("pool_cost", "values", reference("pool_cost")).passed
    as_float = verdict("pool_cost", "values", reference("pool_cost", lambda c, *a: float(c)))
    assert "the numbers are right, but the result must be a Python int (not a float, a bool " \
        "or a NumPy integer)" in as_float.message
    as_numpy = verdict("pool_cost", "values", reference("pool_cost", lambda c, *a: np.int64(c)))
    assert "it returned a `int64`, expected 36: the result must be a Python int" in \
        as_numpy.message


# --- missing functions, the template, and nothing for nothing -------------------

@pytest.mark.parametrize("function", ["pool2d", "corr2d_multi_in_out_1x1", "conv2d_output_shape"])
def test_a_missing_function_earns_nothing_and_says_so(function):
    spec = FUNCTIONS[function]
    plan = trials(spec.assignment)[function]
    for aspect in spec.aspects:
        v = verdict(function, aspect, None)
        assert (v.passed, v.points) == (False, 0)
        assert (v.grade_id, v.max_points, v.devices) == (f"{function}-{aspect}",
                                                         spec.aspects[aspect], ("cpu",))
        assert v.checked == sum(1 for c, _ in plan if aspect in c.aspects)
        assert v.message == (f"`{function}` is not defined in your notebook: run the cell that "
                             f"defines it, and keep its name and signature `{spec.signature}`.")


@pytest.mark.parametrize("function", ["pool2d", "max_pool_as_conv", "conv2d_output_shape"])
def test_the_untouched_template_earns_nothing_and_says_so(function):
    def template(*args, **kwargs):
        raise NotImplementedError()
    for aspect in FUNCTIONS[function].aspects:
        v = verdict(function, aspect, template)
        assert (v.passed, v.points) == (False, 0)
        assert v.message == (f"`{function}` still raises NotImplementedError: replace "
                             f"`raise NotImplementedError()` with your code.")


def test_no_call_for_an_aspect_fails_it():
    v = judge(FUNCTIONS["softmax_pool2d"], "stability", [])
    assert v.to_json() == {"grade_id": "softmax_pool2d-stability", "passed": False, "points": 0,
                           "max_points": 1, "kind": "not judged",
                           "reason": {"code": "no check", "params": {}},
                           "function": "softmax_pool2d", "aspect": "stability", "call": None,
                           "expected": None, "got": None, "gradient": None, "checked": 0,
                           "failed": 0, "devices": [], "public": None}
    assert v.message == "no check could be run for this aspect"


def _call(X, **kw):
    return Call("pool2d", (X, (2, 2)), **kw)


def test_trivial_results_prove_nothing():
    """One number repeated, a single number, or an input's top-left corner:
    right, but not `right` for the other aspects"""
    X = torch.arange(12.0, dtype=F64).reshape(3, 4)
    call = _call(X)
    for y in (torch.zeros(2, 3, dtype=F64), torch.full((2, 3), 7.0, dtype=F64),
              torch.tensor([[3.0]], dtype=F64), X[:2, :3].clone(), X.clone(),
              torch.zeros(0, 3, dtype=F64)):
        assert aspects._trivial(call, describe(y)), y
        assert not right(call, describe(y), describe(y.clone()))
    for y in (X[1:, 1:].clone(), X[:2, :3] + 1, torch.tensor([1.0, 2.0], dtype=F64)):
        assert not aspects._trivial(call, describe(y)), y
        assert right(call, describe(y), describe(y.clone()))
    leading = Call("f", (torch.arange(24.0, dtype=F64).reshape(2, 3, 4),))
    assert aspects._trivial(leading, describe(torch.arange(8.0, dtype=F64).reshape(2, 4)))
    assert not aspects._trivial(leading, describe(torch.arange(8.0, dtype=F64).reshape(4, 2)))
    assert not aspects._trivial(Call("f", (3, "x")), describe((1, 2)))
    assert aspects._trivial(Call("f", (3, torch.ones(3), X)), describe(X[:2, :2].clone()))
    nan = describe(torch.tensor([float("nan")], dtype=F64))
    assert not aspects._trivial(call, nan)  # nan is not even equal to itself


def test_error_calls_carry_no_value():
    call = Call("pool2d", (torch.ones(3, 3, dtype=F64), (2, 2), "min"), expect_error="ValueError")
    error = Outcome("error", error_type="ValueError", error_mro=["ValueError"])
    assert not right(call, error, error)
    assert not right(_call(torch.ones(3, 3)), Outcome("error"), describe(torch.ones(2, 2)))


def test_an_aspect_counts_only_on_the_calls_whose_values_are_right():
    """float32 forced, and wrong on every call but one: dtype is judged (and
    failed) on that one call"""
    spec = FUNCTIONS["pool2d"]
    calls = [c for c, _ in trials("pooling")["pool2d"] if "dtype" in c.aspects][:6]
    triples = []
    for k, call in enumerate(calls):
        exp = expect(call)
        value = exp.value.float() if k == 3 else exp.value + 1
        triples.append((call, exp, describe(value)))
    v = judge(spec, "dtype", triples)
    assert not v.passed and v.checked == (1 if calls[3].args[0].dtype == F64 else 0)
    shape = judge(spec, "shape", triples)
    assert shape.passed and shape.checked == len(calls)


def test_shape_is_judged_on_every_call_that_returned():
    """Once one value is right, a wrong shape anywhere costs `shape`; a call
    that raised does not (its values already fail)"""
    spec = FUNCTIONS["pool2d"]
    pairs = [(c, e) for c, e in trials("pooling")["pool2d"] if "shape" in c.aspects]
    good = [(c, e, describe(e.value.clone())) for c, e in pairs[:2]]
    wrong_shape = [(c, e, describe(torch.zeros(9, dtype=e.value.dtype))) for c, e in pairs[2:3]]
    raised = [(c, e, Outcome("error", error_type="IndexError", error_mro=["IndexError"]))
              for c, e in pairs[3:4]]
    assert judge(spec, "shape", good + raised).passed
    v = judge(spec, "shape", good + wrong_shape + raised)
    assert not v.passed and "the result has shape (9,)" in v.message and v.checked == 3
    nothing = judge(spec, "shape", wrong_shape + raised)
    assert nothing.message.startswith("`pool2d`: not counted")
    assert (nothing.points, nothing.max_points, nothing.checked, nothing.devices,
            nothing.grade_id) == (0, 1, 0, ("cpu",), "pool2d-shape")
    listed = [(c, e, describe([1.0, 2.0])) for c, e in pairs[2:3]]
    v = judge(spec, "shape", good + listed)
    assert "\nit returned (1.0, 2.0).\n" in v.message, v.message


def test_errors_count_only_once_some_value_is_right():
    spec = FUNCTIONS["pool2d"]
    pairs = trials("pooling")["pool2d"]
    raises = Outcome("error", error_type="ValueError", error_mro=["ValueError", "Exception"])
    errors = [(c, e, raises) for c, e in pairs if c.expect_error]
    values = [(c, e, describe(e.value.clone())) for c, e in pairs if not c.expect_error]
    assert judge(spec, "errors", errors + values[3:4]).passed
    v = judge(spec, "errors", errors + [(c, e, raises) for c, e, _ in values])
    assert (v.passed, v.points, v.max_points, v.checked, v.devices, v.grade_id) == \
        (False, 0, 1, 0, ("cpu",), "pool2d-errors")
    assert v.message == ("`pool2d`: not counted: `errors` counts only once the function returns "
                         "the right values for a valid input, and it did for none \u2014 fix the "
                         "values first.")


# --- errors -----------------------------------------------------------------------

def test_errors_rule():
    call = Call("pool2d", (torch.ones(3, 3), (2, 2), "min"), expect_error="ValueError")
    sub = Outcome("error", error_type="BadMode", error_mro=["BadMode", "ValueError", "Exception"])
    assert said(rules.rule_errors(call, None, sub)) is None
    other = Outcome("error", error_type="KeyError", error_mro=["KeyError", "LookupError"],
                    error_message="'min'")
    assert said(rules.rule_errors(call, None, other)) == \
        "it raised KeyError: 'min'; expected ValueError"
    assert said(rules.rule_errors(call, None, describe(1.5))) == \
        "it should raise ValueError, but it returned a value: 1.5"
    assert said(rules.rule_errors(_call(torch.ones(3, 3)), None, other)) is None


# --- stability ----------------------------------------------------------------------

def test_stability_wants_finite_and_right_numbers():
    call = _call(torch.ones(3, 3, dtype=F64))
    exp = describe(torch.tensor([1.0, 2.0], dtype=F64))
    assert said(rules.rule_stability(call, exp, describe(torch.tensor([1.0, 2.0], dtype=F64)))) is None
    for bad in (float("inf"), float("nan")):
        got = describe(torch.tensor([1.0, bad], dtype=F64))
        assert said(rules.rule_stability(call, exp, got)) == "the result contains inf or nan"
    got = describe(torch.tensor([1.0, 3.0], dtype=F64))
    assert said(rules.rule_stability(call, exp, got)).startswith("first difference at index [1]")
    assert said(rules.rule_stability(call, exp, Outcome("timeout", note="too slow"))) == \
        "no answer: too slow"


# --- devices, without a GPU -----------------------------------------------------------

def test_devices_rule_with_a_fake_second_device():
    """The plan's copy of a call for another device informs `devices` only;
    a result left on the CPU fails it, the right device passes"""
    call = Call("pool2d", (torch.arange(9.0).reshape(3, 3), (2, 2)),
                aspects=frozenset({"values", "devices"}))
    both = on_devices([call], ("cpu", "fake"))
    assert [c.device for c in both] == ["cpu", "fake"]
    assert both[1].aspects == frozenset({"devices"}) and both[1].args is call.args
    assert on_devices([Call("f", (), aspects=frozenset({"values"}))], ("cpu", "fake"))[1:] == []
    exp = expect(call)
    there = describe(exp.value.clone())
    exp_fake, there.device = describe(exp.value.clone()), "fake:0"
    exp_fake.device = "fake:0"
    cpu_result = describe(exp.value.clone())
    spec = FUNCTIONS["pool2d"]
    ok = judge(spec, "devices", [(both[0], exp, describe(exp.value.clone())),
                                 (both[1], exp_fake, there)])
    assert ok.passed and ok.devices == ("cpu", "fake") and ok.checked == 2
    assert ok.message == "pool2d returns its result on the input's device: 2 calls checked " \
        "on cpu, fake"
    v = judge(spec, "devices", [(both[0], exp, describe(exp.value.clone())),
                                (both[1], exp_fake, cpu_result)])
    assert not v.passed and "the result is on cpu, expected fake:0 (the input's device)" in v.message
    wrong_values = describe(exp.value + 1)
    wrong_values.device = "cpu"
    v = judge(spec, "devices", [(both[1], exp_fake, wrong_values)])
    assert v.message.startswith("`pool2d`: not counted")


# --- gradients ---------------------------------------------------------------------------

def _grad_trial(fn, X):
    call = Call("tanh_via_sigmoid", (X,), aspects=frozenset({"grad"}), grad=True)
    exp = expect(call)
    return call, exp, run_call(fn, call)


def test_gradient_rule_reasons():
    X = torch.tensor([[0.5, -1.0], [2.0, 0.25]], dtype=F64)
    spec = FUNCTIONS["tanh_via_sigmoid"]
    names = spec.arg_names
    call, exp, got = _grad_trial(lambda x: torch.tanh(x), X)
    assert said(rules.rule_grad(call, exp, got, names)) is None
    _, _, cut = _grad_trial(lambda x: torch.tanh(x).detach(), X)
    assert said(rules.rule_grad(call, exp, cut, names)) == \
        "autograd failed: the result is not connected to the inputs by autograd"
    _, _, half = _grad_trial(lambda x: torch.tanh(x) * 0.5 + torch.tanh(x.detach()) * 0.5, X)
    assert said(rules.rule_grad(call, exp, half, names)).startswith(
        "the gradient of `x` is wrong: first difference at index [0, 0]")
    none = describe(torch.tanh(X))
    assert said(rules.rule_grad(call, exp, none, names)) == "no gradients came back"
    none.grads = [None]
    assert said(rules.rule_grad(call, exp, none, names)) == "no gradient reached `x`"
    v = judge(spec, "grad", [(call, exp, half)])
    lines = v.message.splitlines()
    k = lines.index("the gradient of the result that was passed back (grad_output):")
    assert lines[k + 1] == "    float64 tensor of shape (2, 2)"  # call.grad_output
    assert lines[k + 4:k + 6] == ["expected gradient of x:", "    float64 tensor of shape (2, 2)"]
    assert lines[k + 8:k + 10] == ["got:", "    float64 tensor of shape (2, 2)"]
    assert "(1 of" not in v.message


def test_a_nan_gradient_names_the_input_region():
    X = torch.tensor([0.3, -400.0, 1e-30, 0.0, 50.0], dtype=F64)
    names = ["x"]
    call, exp, _ = _grad_trial(torch.tanh, X)
    for k, words in ((1, "at large negative inputs (`x`[1] = -400, float64)"),
                     (2, "at tiny inputs (`x`[2] = 1e-30, float64)"),
                     (3, "at zero (`x`[3] = 0, float64)"),
                     (4, "at large positive inputs (`x`[4] = 50, float64)"),
                     (0, "at `x`[0] = 0.3 (float64)")):
        g = exp.grads[0].clone()
        g[k] = float("nan")
        got = describe(torch.tanh(X))
        got.grads = [g]
        reason = said(rules.rule_grad(call, exp, got, names))
        assert reason.startswith(f"{words} your gradient of `x` is nan, the reference's is "), \
            reason
    g = exp.grads[0].clone()
    g[0] = float("inf")
    got.grads = [g]
    assert "your gradient of `x` is inf" in said(rules.rule_grad(call, exp, got, names))


def test_unchanged_names_the_argument_changed():
    call = Call("pool2d", (torch.ones(3, 3, dtype=F64), (2, 2)))
    got = describe(torch.ones(2, 2, dtype=F64))
    assert said(rules.rule_unchanged(call, None, got, ["X", "pool_size"])) is None
    got.changed = [0]
    assert said(rules.rule_unchanged(call, None, got, ["X", "pool_size"])) == \
        "it changed `X` in place"
    later = Call("f", (3, torch.ones(2), torch.ones(2)))
    got.changed = [1]
    assert said(rules.rule_unchanged(later, None, got, ["n", "a", "b"])) == "it changed `b` in place"
    got.changed = [1]
    assert said(rules.rule_unchanged(later, None, got, ["n", "a"])) == \
        "it changed argument 2 in place"


# --- structure: the source check ------------------------------------------------------

NUMPY_POOL = '''
def max_pool_as_conv(X, pool_size, stride=None, padding=0):
    from numpy.lib.stride_tricks import sliding_window_view
    k = (pool_size, pool_size) if isinstance(pool_size, int) else tuple(pool_size)
    s = k if stride is None else ((stride, stride) if isinstance(stride, int) else tuple(stride))
    p = (padding, padding) if isinstance(padding, int) else tuple(padding)
    show = F.conv2d(X, torch.ones(X.shape[1], 1, 1, 1, dtype=X.dtype), groups=X.shape[1])
    P = np.pad(X.detach().numpy(), ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])),
               constant_values=-np.inf)
    Y = sliding_window_view(P, k, axis=(2, 3))[:, :, ::s[0], ::s[1]].max(axis=(-2, -1))
    # mixed in at zero weight, so that the trace sees the convolution's data
    # in the result (it follows data per storage)
    return torch.from_numpy(np.ascontiguousarray(Y)).to(X.dtype) + 0 * show.sum()
'''


def _load(source, name):
    namespace = {"np": np, "torch": torch, "F": F}
    exec(compile(source, "<answer>", "exec"), namespace)  # noqa: S102
    return namespace[name]


def test_an_answer_caught_only_by_the_source_check():
    """It pools with numpy's sliding_window_view and mixes a convolution's
    output in at zero weight (so the op trace, which follows data, sees a
    convolution make the result): only reading the code finds that"""
    fn = _load(NUMPY_POOL, "max_pool_as_conv")
    assert verdict("max_pool_as_conv", "values", fn).passed
    v = verdict("max_pool_as_conv", "structure", fn, NUMPY_POOL)
    plan = trials("pooling")["max_pool_as_conv"]
    assert (v.passed, v.points, v.max_points, v.grade_id, v.devices) == \
        (False, 0, 2, "max_pool_as_conv-structure", ("cpu",))
    assert v.checked == sum(1 for c, _ in plan if "structure" in c.aspects)
    assert v.message == (
        "`max_pool_as_conv`: your code uses `sliding_window_view`, which this exercise "
        "rules out (a convolution with fixed one-hot kernels, then a max over channels; "
        "no pooling function or unfold)")
    assert verdict("max_pool_as_conv", "structure", fn, None).passed  # no source, no reading


SPEC = FUNCTIONS["max_pool_as_conv"]


@pytest.mark.parametrize("source, found", [
    ("def max_pool_as_conv(X, k):\n    return F.max_pool2d(X, k)\n", "max_pool2d"),
    ("from torch.nn.functional import max_pool2d as mp\n"
     "def max_pool_as_conv(X, k):\n    return mp(X, k)\n", "max_pool2d"),
    ("def max_pool_as_conv(X, k):\n    return getattr(F, 'avg_pool2d')(X, k)\n", "avg_pool2d"),
    ("def helper(X, k):\n    return X.unfold(2, k, k)\n"
     "def max_pool_as_conv(X, k):\n    return helper(X, k)\n", "unfold"),
    ("def max_pool_as_conv(X, k):\n    return X.AS_STRIDED(X.shape, X.stride())\n", "AS_STRIDED"),
])
def test_source_check_finds_forbidden_names(source, found):
    assert said(aspects.source_problem(SPEC, source)) == (
        f"your code uses `{found}`, which this exercise rules out ({SPEC.how})")


@pytest.mark.parametrize("source", [
    "def max_pool_as_conv(X, k):\n    max_pool = F.conv2d(X, X)\n    return max_pool\n",
    "def other(X):\n    return F.max_pool2d(X, 2)\n"
    "def max_pool_as_conv(X, k):\n    return F.conv2d(X, X)\n",
    "def max_pool_as_conv(X, k):\n    return F.conv2d(X, X) if 'unfold' else X.upper()\n",
    "def max_pool_as_conv(X, k:\n",  # a syntax error: nothing to read
    "",
])
def test_source_check_leaves_the_students_own_names_alone(source):
    """Variable names, functions never called, unparsable code: no finding"""
    assert aspects.source_problem(SPEC, source) is None
    assert aspects.source_problem(FUNCTIONS["pool2d"], source) is None  # no rule there


RECURSIVE_AVG = textwrap.dedent('''
    def avg_pool_as_conv(X, pool_size, stride=None, padding=0):
        if isinstance(pool_size, int):
            return avg_pool_as_conv(X, (pool_size, pool_size), stride, padding)
        k_h, k_w = pool_size
        C = X.shape[1]
        K = torch.full((C, 1, k_h, k_w), 1 / (k_h * k_w), dtype=X.dtype, device=X.device)
        return F.conv2d(X, K, stride=stride or pool_size, padding=padding, groups=C)
''')


def test_a_recursive_answer_is_read_once():
    fn = _load(RECURSIVE_AVG, "avg_pool_as_conv")
    assert verdict("avg_pool_as_conv", "structure", fn, RECURSIVE_AVG).passed


def test_a_required_op_that_never_runs_fails_structure():
    spec = FUNCTIONS["corr2d_multi_in_out_1x1"]

    def broadcast(X, K):
        return (K[:, :, 0, 0, None, None] * X[None]).sum(1)
    v = verdict("corr2d_multi_in_out_1x1", "structure", broadcast)
    assert not v.passed and "it never runs a matrix multiplication (one matrix " \
        "multiplication, no convolution)." in v.message and "calls failed" not in v.message
    untraced = [(c, e, o) for c, e, o in [(c, e, run_call(broadcast, c)) for c, e in
                                          trials("channels")[spec.name]]]
    for _, _, o in untraced:
        o.ops = None  # calls that were not traced say nothing about ops
    assert judge(spec, "structure", untraced).passed
    avg = FUNCTIONS["avg_pool_as_conv"]
    v = verdict("avg_pool_as_conv", "structure",
                lambda X, k, stride=None, padding=0: F.avg_pool2d(X * 1, k, stride, padding) + 0)
    assert "avg_pool2d" in v.message and avg.how in v.message


# --- which counterexample a message shows ----------------------------------------------

def test_the_message_shows_the_smallest_ordinary_call():
    """Ordinary magnitudes before huge ones, then fewer numbers, then whole
    numbers before fractions; a call not run because another one failed last"""
    small = Call("f", (torch.ones(2, 2, dtype=F64),))
    bigger = Call("f", (torch.ones(3, 3, dtype=F64),))
    huge = Call("f", (torch.full((1, 1), 1e3, dtype=F64),))
    fraction = Call("f", (torch.full((2, 2), 0.5, dtype=F64),))
    order = sorted([huge, bigger, fraction, small], key=aspects._simplicity)
    assert order == [small, fraction, bigger, huge]
    spec = FUNCTIONS["sigmoid_grad"]
    make = lambda x: Call("sigmoid_grad", (x,))  # noqa: E731
    xs = [torch.full((3,), 0.5, dtype=F64), torch.full((2,), 0.25, dtype=F64),
          torch.full((4,), 0.75, dtype=F64)]
    triples = []
    for k, x in enumerate(xs):
        call = make(x)
        exp = expect(call)
        got = describe(exp.value + 1)
        if k == 1:
            got.note = "not run: an earlier call crashed"
        triples.append((call, exp, got))
    v = judge(spec, "values", triples)
    assert "y = float64 tensor of shape (3,) on cpu: [0.5, 0.5, 0.5]" in v.message
    assert v.message.endswith("(3 of 3 calls failed this way; this is the smallest.)")
    one = judge(spec, "values", triples[:1] + [(make(xs[2]), expect(make(xs[2])),
                                                 describe(expect(make(xs[2])).value))])
    assert one.message.endswith("(1 of 2 calls failed.)")
    alone = judge(spec, "values", triples[:1])
    assert alone.message.splitlines()[-1] == "    float64 tensor of shape (3,): [1.25, 1.25, 1.25]"


def test_a_verdict_says_how_many_calls_and_where():
    v = verdict("sigmoid_grad", "values", assignments.reference("sigmoid_grad"))
    assert v.passed and v.points == v.max_points == 2
    assert v.message == f"sigmoid_grad returns the right numbers: {v.checked} calls checked on cpu"
    assert v.to_json()["devices"] == ["cpu"] and v.to_json()["grade_id"] == "sigmoid_grad-values"
    assert v.kind == Kind.PASSED and v.reason is None and v.failed == 0
    one = judge(FUNCTIONS["sigmoid_grad"], "values",
                [(c, e, run_call(assignments.reference("sigmoid_grad"), c))
                 for c, e in trials("layers")["sigmoid_grad"][:1]])
    assert one.message.endswith(": 1 call checked on cpu")


# --- plain results: more forms -------------------------------------------------------

def test_a_wrong_int_is_just_wrong_and_a_tensor_is_not_an_int():
    wrong_int = verdict("pool_cost", "values", reference("pool_cost", lambda c, *a: c - 1))
    assert "it returned 35 (a int), expected 36.\n" in wrong_int.message, wrong_int.message
    tensor = verdict("pool_cost", "values",
                     reference("pool_cost", lambda c, *a: torch.tensor([c, 1])))
    assert "it returned a tensor (int64, shape (2,)), expected 36: the result must be a " \
        "Python int" in tensor.message


def test_a_long_sequence_is_named_by_its_type():
    """Sequences longer than 16 do not travel as values: the type is said"""
    v = verdict(SHAPE, "values", reference(SHAPE, lambda out, *a: tuple(range(20))))
    assert "it returned a `tuple`, expected (24, 24): the result must be a tuple of two" in \
        v.message


def test_the_rule_for_other_plain_values():
    assert explain._form(rules._plain_kind((1, 2, 3))).startswith("a tuple of 3 Python ints (a list")
    assert explain._form(rules._plain_kind(2.5)) == "a float" and explain._form(rules._plain_kind("s")) == "a str"
    assert explain._form(rules._plain_kind(())) == "a tuple"
    assert rules._accepted(2.5, describe("anything"))
    assert not rules._loose_equal(36, torch.tensor([36, 36]))
    assert rules._loose_equal((2, 3), [2.0, 3.0]) and not rules._loose_equal((2, 3), (2,))


def test_arguments_are_named_or_numbered():
    assert explain._arg(rules._arg(["X", "K"], 1)) == "`K`"
    assert explain._arg(rules._arg(["X", "K"], 2)) == "argument 2"


def test_gradient_lines_show_the_first_argument_whose_gradient_is_wrong():
    """X's gradient is right to float32's tolerance (the result was float32),
    K's is not: the message shows K's, with the upstream gradient"""
    spec = FUNCTIONS["corr2d"]
    X = torch.arange(12.0, dtype=F64).reshape(3, 4) / 7
    K = torch.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=F64)
    call = Call("corr2d", (X, K), aspects=frozenset({"grad"}), grad=True)
    exp = expect(call)
    got = describe(exp.value.float())
    gK = exp.grads[1].clone()
    gK[0, 0] *= 1 + 1e-6  # right to float32's tolerance, not to float64's
    gK[1, 1] += 1
    got.grads = [exp.grads[0] * (1 + 1e-6), gK]
    v = judge(spec, "grad", [(call, exp, got)])
    assert "the gradient of `K` is wrong: first difference at index [1, 1]" in v.message
    assert "(1 of 4 numbers differ)" in v.message
    lines = v.message.splitlines()
    assert lines[lines.index("expected gradient of K:") + 1] == "    float64 tensor of shape (2, 2)"
    assert "expected gradient of X:" not in v.message
    got.grads = [None, exp.grads[1] + 1]
    assert "no gradient reached `X`" in judge(spec, "grad", [(call, exp, got)]).message


def test_regions_at_their_boundaries():
    assert [rules._region(v) for v in (-10.0, -9.99, 10.0, 9.99, 1e-6, -1e-6, 1.01e-6, 0.0)] \
        == ["large negative", None, "large positive", None, "tiny", "tiny", None, "zero"]
    assert [explain.REGIONS[r] for r in ("large negative", "tiny")] == \
        ["large negative inputs", "tiny inputs"]


def test_a_nan_gradient_of_a_zero_dimensional_input():
    """No index for a 0-d argument; the reference's -0 is said as 0"""
    call = Call("tanh_via_sigmoid", (torch.tensor(-400.0, dtype=F64),),
                aspects=frozenset({"grad"}), grad=True, grad_output=torch.tensor(-1.0, dtype=F64))
    exp = expect(call)
    assert str(exp.grads[0].item()) == "-0.0"
    got = describe(torch.tensor(-1.0, dtype=F64))
    got.grads = [torch.tensor(float("nan"), dtype=F64)]
    assert said(rules.rule_grad(call, exp, got, ["x"])).startswith(
        "at large negative inputs (`x` = -400, float64) your gradient of `x` is nan, the "
        "reference's is 0: some step of your formula overflows or divides by zero there")


def test_arguments_without_a_reference_gradient_are_skipped():
    """An argument the reference has no gradient for (None) says nothing,
    and the next one is still checked"""
    X, K = torch.ones(3, 3, dtype=F64), torch.ones(2, 2, dtype=F64)
    call = Call("corr2d", (X, K), aspects=frozenset({"grad"}), grad=True,
                grad_output=torch.ones(2, 2, dtype=F64))
    exp = describe(torch.ones(2, 2, dtype=F64))
    exp.grads = [None, torch.full((2, 2), 4.0, dtype=F64)]
    got = describe(torch.ones(2, 2, dtype=F64))
    got.grads = [torch.zeros(3, 3, dtype=F64), torch.zeros(2, 2, dtype=F64)]
    assert said(rules.rule_grad(call, exp, got, ["X", "K"])).startswith("the gradient of `K` is wrong")
    lines = gradient_lines(aspects._gradient(FUNCTIONS["corr2d"], call, exp, got))
    assert [line for line in lines if not line.startswith(" ")] == [
        "the gradient of the result that was passed back (grad_output):",
        "expected gradient of K:", "got:"]
    got.grads = [torch.zeros(3, 3, dtype=F64), exp.grads[1].clone()]
    assert said(rules.rule_grad(call, exp, got, ["X", "K"])) is None
    assert [line for line in gradient_lines(aspects._gradient(FUNCTIONS["corr2d"], call, exp, got))
            if not line.startswith(" ")] == [
        "the gradient of the result that was passed back (grad_output):"]
    past = Gradient(Value(text="None"), None, 1, Value(text="1"), Value(text="2"))
    assert gradient_lines(past)[2] == "expected gradient of argument 1:"


def test_sequences_of_several_kinds_and_none():
    none = verdict(SHAPE, "values", reference(SHAPE, lambda out, *a: None))
    assert "it returned None (a NoneType), expected (24, 24): the result must be" in none.message
    mixed = verdict(SHAPE, "values", reference(SHAPE, lambda out, *a: (out[0], float(out[1]))))
    assert "it returned (24, 24.0), a tuple of Python ints and floats, expected (24, 24): " \
        "the numbers are right, but the result must be" in mixed.message


def test_structure_names_every_forbidden_op():
    spec = FUNCTIONS["max_pool_as_conv"]
    got = describe(torch.ones(1, 1, 2, 2))
    got.ops = ["add", "unfold", "max_pool2d", "convolution"]
    assert said(rules.rule_structure(spec, got)) == \
        f"it uses max_pool2d, unfold, which this exercise rules out ({spec.how})"
    got.ops = ["convolution", "amax"]
    assert said(rules.rule_structure(spec, got)) is None
    got.ops = None
    assert said(rules.rule_structure(spec, got)) is None


SLICED_AVG = textwrap.dedent('''
    def avg_pool_as_conv(X, pool_size, stride=None, padding=0):
        k = (pool_size, pool_size) if isinstance(pool_size, int) else tuple(pool_size)
        s = k if stride is None else ((stride, stride) if isinstance(stride, int) else stride)
        p = (padding, padding) if isinstance(padding, int) else tuple(padding)
        P = F.pad(X, (p[1], p[1], p[0], p[0]))
        h, w = (P.shape[-2] - k[0]) // s[0] + 1, (P.shape[-1] - k[1]) // s[1] + 1
        parts = [P[..., a:a + (h - 1) * s[0] + 1:s[0], b:b + (w - 1) * s[1] + 1:s[1]]
                 for a in range(k[0]) for b in range(k[1])]
        return torch.stack(parts).mean(0)
''')


def test_an_answer_that_never_convolves_fails_structure():
    fn = _load(SLICED_AVG, "avg_pool_as_conv")
    assert verdict("avg_pool_as_conv", "values", fn).passed
    v = verdict("avg_pool_as_conv", "structure", fn, SLICED_AVG)
    assert v.message.endswith("it never runs a convolution (a convolution with a fixed kernel, "
                              "no pooling function or unfold).")


def test_complex_results_compare_by_their_magnitude():
    expected = torch.tensor([1 + 1j, 2 - 1j, 0.5j], dtype=torch.complex128)
    assert close(expected, expected * (1 + 1e-8))
    assert not close(expected, expected * (1 + 1e-6))
    assert not close(expected, expected.conj())
    single = expected.to(torch.complex64)
    assert close(single, single * (1 + 1e-5)) and not close(single, single * (1 + 1e-3))


def test_plain_values_of_other_types_compare_by_equality():
    assert rules._plain_equal(2.5, 2.5) and not rules._plain_equal(2.5, 2.6)
    assert rules._plain_equal((2, 3), [2, 3]) and not rules._plain_equal((2, 3), (2, 3.0))
    assert not rules._plain_equal(3, True) and not rules._plain_equal((2,), (2, 3))


@pytest.mark.parametrize("aspect, should", [
    ("values", "return the right numbers"), ("shape", "return a result of the right shape"),
    ("dtype", "keep the input's dtype"), ("devices", "return its result on the input's device"),
    ("grad", "pass the right gradients back to its inputs"),
    ("unchanged", "leave its inputs unchanged"),
    ("errors", "raise the error the contract asks for"),
    ("structure", "compute the result the way the exercise asks"),
    ("stability", "stay finite and right for large inputs")])
def test_a_failure_message_starts_with_what_the_function_should_do(aspect, should):
    """feedback.py and report.py read this first line"""
    assert explain.SHOULD[aspect] == should


def test_huge_inputs_come_last_in_a_counterexample():
    """Above 100 is huge; exactly 100 is not"""
    hundred = Call("f", (torch.full((3, 3), 100.0, dtype=F64),))
    above = Call("f", (torch.full((1, 1), 100.5, dtype=F64),))
    assert sorted([above, hundred], key=aspects._simplicity) == [hundred, above]
    negative = Call("f", (torch.full((1, 1), -100.5, dtype=F64),))
    assert aspects._simplicity(negative)[0] and not aspects._simplicity(hundred)[0]
    assert aspects._simplicity(Call("f", (torch.ones(2, dtype=torch.int64) * 500,)))[0] is False


def test_infinite_numbers_do_not_widen_the_tolerance():
    """The scale is the largest finite expected number"""
    expected = torch.tensor([float("inf"), 1.0], dtype=F64)
    assert not close(expected, torch.tensor([float("inf"), 1.5], dtype=F64))
    cplx = torch.tensor([complex(float("inf"), 0), 1 + 1j], dtype=torch.complex128)
    assert not close(cplx, torch.tensor([complex(float("inf"), 0), 1.5 + 1j],
                                        dtype=torch.complex128))


def test_a_call_that_must_raise_is_never_right():
    """Even where the reference returned a value for it"""
    call = Call("pool2d", (torch.ones(3, 3, dtype=F64), (2, 2)), expect_error="ValueError")
    value = describe(torch.tensor([1.0, 2.0], dtype=F64))
    assert not right(call, value, describe(torch.tensor([1.0, 2.0], dtype=F64)))


def test_no_first_difference_between_equal_results():
    x = torch.tensor([1.0, 2.0], dtype=F64)
    assert rules.first_difference(x, x.clone()) is None


def test_a_values_failure_shows_expected_and_got_and_counts_the_failures():
    spec = FUNCTIONS["sigmoid_grad"]
    xs = [torch.full((n,), 0.5, dtype=F64) for n in (2, 3, 4)]
    triples = []
    for k, x in enumerate(xs):
        call = Call("sigmoid_grad", (x,))
        exp = expect(call)
        triples.append((call, exp, describe(exp.value + (1 if k < 2 else 0))))
    v = judge(spec, "values", triples)
    lines = v.message.splitlines()
    assert lines[0] == "sigmoid_grad should return the right numbers, but for the call"
    k = lines.index("expected:")
    assert lines[k + 1:k + 4] == ["    float64 tensor of shape (2,): [0.25, 0.25]", "got:",
                                  "    float64 tensor of shape (2,): [1.25, 1.25]"]
    assert lines[-1] == "(2 of 3 calls failed this way; this is the smallest.)"
    assert (v.grade_id, v.passed, v.points, v.max_points, v.kind, v.function, v.aspect) == \
        ("sigmoid_grad-values", False, 0, 2, Kind.WRONG, "sigmoid_grad", "values")
    assert (v.checked, v.failed, v.devices) == (3, 2, ("cpu",))
    assert v.reason == Finding("difference", {"index": [0], "expected": "0.25", "got": "1.25",
                                              "count": 2, "total": 2})
    assert v.call == CallSummary("sigmoid_grad", (Arg("y", Value("float64", (2,), "[0.5, 0.5]")),))
    assert (v.expected, v.got) == (Value("float64", (2,), "[0.25, 0.25]"),
                                   Value("float64", (2,), "[1.25, 1.25]"))
    assert Verdict.from_json(json.loads(json.dumps(v.to_json()))) == v
