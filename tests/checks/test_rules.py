"""The rules that decide points, pinned one by one: tolerances just inside
and just outside for each dtype, tiny and empty results, plain results and
their types, answers missing or left as the template, nothing for nothing,
the source check of `structure`, devices (without a GPU), errors, stability,
gradients, and the counterexample a message picks

Most tests build (call, expected, got) triples from the outcomes of real
functions (`run_call`, `describe`), as the grader does, and ask `judge`.
The functions are the test-only assignment's (tests/practice.py:
`local_pool` with an `errors` aspect, `max_as_conv` with a `structure`
rule, `window_cost` returning a plain int), or the course's found by what
their specs and published examples say (a function returning a pair of
ints, one whose gradient flows to two tensor arguments).
"""
import json
from functools import lru_cache

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grader.assignments.corpus import answers_of
from grader.assignments.testing import changed_reference as reference
from grader.assignments.testing import load_answer as _load
from grader.assignments.testing import verdict
from grader.checks import aspects, explain, public, rules
from grader.checks.aspects import judge, right
from grader.checks.rules import close, tolerances
from grader.checks.calls import Call, Outcome, describe, run_call
from grader.checks.devices import on_devices
from grader.checks.specs import FUNCTIONS
from grader.checks.verdict import Arg, CallSummary, Finding, Gradient, Kind, Value, Verdict
from grader.plan import expect, trials

F16, F32, F64 = torch.float16, torch.float32, torch.float64
POOL = "local_pool"       # X (h, w), pool_size, mode; raises ValueError for a bad mode
CONV = "max_as_conv"      # a structure rule: a convolution, no pooling function or unfold
COST = "window_cost"      # returns a Python int


def said(finding):
    """What a rule found, in words (None where it holds)"""
    return None if finding is None else explain.reason(finding)


def gradient_lines(gradient):
    """The lines a `grad` failure's message shows for its Gradient"""
    v = Verdict(f"{POOL}-grad", False, 0, 1, Kind.WRONG, Finding("no gradients"),
                gradient=gradient, call=CallSummary(POOL))
    return v.message.splitlines()[3:]


def _int_pair(value):
    return isinstance(value, tuple) and len(value) == 2 and all(type(v) is int for v in value)


@lru_cache(maxsize=None)
def pair_function():
    """The first function whose every published example returns a pair of
    Python ints (an output size, say)"""
    for spec in FUNCTIONS.values():
        values = [o.value for c, o in public.examples(spec.assignment)[spec.name]
                  if not c.expect_error]
        if values and all(_int_pair(v) for v in values):
            return spec.name
    raise AssertionError("no function returns a pair of ints")


def smallest_expected(function):
    """The reference's result on the function's smallest call: what a
    `values` message shows as expected when every call fails"""
    pairs = [(c, e) for c, e in trials(FUNCTIONS[function].assignment)[function]
             if "values" in c.aspects and not c.expect_error]
    return min(pairs, key=lambda p: aspects._simplicity(p[0]))[1].value


@lru_cache(maxsize=None)
def two_tensor_gradient():
    """The first function with a published `grad` example that passes two
    float64 tensors of two or more dimensions, each with a gradient:
    (spec, that call, its published outcome)"""
    for spec in FUNCTIONS.values():
        for call, outcome in public.examples(spec.assignment)[spec.name]:
            tensors = call.tensor_positions()
            if call.grad and "grad" in call.aspects and len(tensors) >= 2 and all(
                    call.args[i].dtype == F64 and call.args[i].dim() >= 2 for i in tensors[:2]) \
                    and all(g is not None for g in outcome.grads[:2]):
                return spec, call, outcome
    raise AssertionError("no function passes gradients to two tensor arguments")


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
    """The loophole: a pooling returning float16 results 0.5 % off loses
    `values` (and `dtype`), not just `dtype`"""
    off = reference(POOL, lambda Y, *a: (Y * 1.005).to(F16))
    assert not verdict(POOL, "values", off).passed
    rounded = reference(POOL, lambda Y, *a: Y.to(F16))  # float16 rounding only
    assert not verdict(POOL, "values", rounded).passed


def test_float32_result_of_a_float64_input_keeps_values_and_loses_dtype():
    forced = reference(POOL, lambda Y, *a: Y.to(F32))
    assert verdict(POOL, "values", forced).passed
    assert not verdict(POOL, "dtype", forced).passed
    assert "the result is float32, expected float64 (the input's dtype)" in \
        verdict(POOL, "dtype", forced).message


def test_results_just_inside_and_outside_float64s_tolerance():
    """Through judge: a float64 result off by 1e-8 relative keeps `values`,
    one off by 1e-6 loses it"""
    inside = reference(POOL, lambda Y, *a: Y * (1 + 1e-8))
    outside = reference(POOL, lambda Y, *a: Y * (1 + 1e-6))
    assert verdict(POOL, "values", inside).passed
    assert not verdict(POOL, "values", outside).passed


# --- tiny, empty and plain results ------------------------------------------------

def _trial(expected_value, got_value, function=POOL):
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


@pytest.mark.parametrize("form", [tuple, list, torch.Size])
def test_shape_results_in_an_accepted_form_pass(form):
    """A tuple, a list or a torch.Size of Python ints"""
    pair = pair_function()
    assert verdict(pair, "values", reference(pair, lambda out, *a: form(out))).passed


@pytest.mark.parametrize("make, said", [
    (lambda out: tuple(np.int64(v) for v in out),
     lambda e: f"it returned a tuple of other objects (NumPy integers or tensors, say), "
               f"expected {e!r}"),
    (lambda out: tuple(float(v) for v in out),
     lambda e: f"it returned {tuple(float(v) for v in e)!r}, a tuple of floats, expected {e!r}: "
               f"the numbers are right, but"),
    (lambda out: tuple(bool(v) for v in out),
     lambda e: f"it returned {tuple(bool(v) for v in e)!r}, a tuple of bools"),
    (lambda out: np.array(out), lambda e: f"it returned a `ndarray`, expected {e!r}"),
    (lambda out: torch.tensor(out),
     lambda e: f"it returned a tensor (int64, shape (2,)), expected {e!r}"),
    (lambda out: (*out, 1),
     lambda e: f"it returned {(*e, 1)!r}, a tuple of Python ints, expected {e!r}"),
    (lambda out: out[0], lambda e: f"it returned {e[0]} (a int), expected {e!r}"),
    (lambda out: str(out), lambda e: f"it returned {str(e)!r} (a str), expected {e!r}"),
    (lambda out: (), lambda e: f"it returned (), a tuple, empty, expected {e!r}"),
])
def test_shape_results_in_another_form_fail_naming_the_type_and_the_rule(make, said):
    pair = pair_function()
    expected = smallest_expected(pair)
    v = verdict(pair, "values", reference(pair, lambda out, *a: make(out)))
    assert not v.passed
    assert said(expected) in v.message, v.message
    assert "the result must be a tuple of two Python ints (a list or a torch.Size of Python " \
        "ints is accepted too; NumPy integers, floats and bools are not)" in v.message


def test_a_tuple_right_in_one_place_only_is_wrong():
    pair = pair_function()
    half = reference(pair, lambda out, *a: (out[0], out[1] + 1))
    v = verdict(pair, "values", half)
    assert not v.passed and f"a tuple of Python ints, expected {smallest_expected(pair)}." in \
        v.message
    assert "must be" not in v.message  # the form is right; the numbers are not


def test_an_int_result_follows_the_int_rule():
    """window_cost returns a Python int: a float or a NumPy integer is not one"""
    assert verdict(COST, "values", reference(COST)).passed
    as_float = verdict(COST, "values", reference(COST, lambda c, *a: float(c)))
    assert "the numbers are right, but the result must be a Python int (not a float, a bool " \
        "or a NumPy integer)" in as_float.message
    as_numpy = verdict(COST, "values", reference(COST, lambda c, *a: np.int64(c)))
    assert "it returned a `int64`, expected 36: the result must be a Python int" in \
        as_numpy.message


# --- missing functions, the template, and nothing for nothing -------------------

# the test-only functions, and a function of the course returning a pair of ints
KINDS = [POOL, CONV, COST, "a pair of ints"]


def _function(kind):
    return pair_function() if kind == "a pair of ints" else kind


@pytest.mark.parametrize("kind", KINDS)
def test_a_missing_function_earns_nothing_and_says_so(kind):
    function = _function(kind)
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


@pytest.mark.parametrize("kind", KINDS)
def test_the_untouched_template_earns_nothing_and_says_so(kind):
    function = _function(kind)

    def template(*args, **kwargs):
        raise NotImplementedError()
    for aspect in FUNCTIONS[function].aspects:
        v = verdict(function, aspect, template)
        assert (v.passed, v.points) == (False, 0)
        assert v.message == (f"`{function}` still raises NotImplementedError: replace "
                             f"`raise NotImplementedError()` with your code.")


def test_no_call_for_an_aspect_fails_it():
    v = judge(FUNCTIONS[POOL], "errors", [])
    assert v.to_json() == {"grade_id": "local_pool-errors", "passed": False, "points": 0,
                           "max_points": 1, "kind": "not judged",
                           "reason": {"code": "no check", "params": {}},
                           "function": "local_pool", "aspect": "errors", "call": None,
                           "expected": None, "got": None, "gradient": None, "checked": 0,
                           "failed": 0, "devices": [], "public": None}
    assert v.message == "no check could be run for this aspect"


def _call(X, **kw):
    return Call(POOL, (X, (2, 2)), **kw)


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
    call = Call(POOL, (torch.ones(3, 3, dtype=F64), (2, 2), "min"), expect_error="ValueError")
    error = Outcome("error", error_type="ValueError", error_mro=["ValueError"])
    assert not right(call, error, error)
    assert not right(_call(torch.ones(3, 3)), Outcome("error"), describe(torch.ones(2, 2)))


def test_an_aspect_counts_only_on_the_calls_whose_values_are_right():
    """float32 forced, and wrong on every call but one: dtype is judged (and
    failed) on that one call"""
    spec = FUNCTIONS[POOL]
    calls = [c for c, _ in trials(spec.assignment)[POOL] if "dtype" in c.aspects][:6]
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
    spec = FUNCTIONS[POOL]
    pairs = [(c, e) for c, e in trials(spec.assignment)[POOL] if "shape" in c.aspects]
    good = [(c, e, describe(e.value.clone())) for c, e in pairs[:2]]
    wrong_shape = [(c, e, describe(torch.zeros(9, dtype=e.value.dtype))) for c, e in pairs[2:3]]
    raised = [(c, e, Outcome("error", error_type="IndexError", error_mro=["IndexError"]))
              for c, e in pairs[3:4]]
    assert judge(spec, "shape", good + raised).passed
    v = judge(spec, "shape", good + wrong_shape + raised)
    assert not v.passed and "the result has shape (9,)" in v.message and v.checked == 3
    nothing = judge(spec, "shape", wrong_shape + raised)
    assert nothing.message.startswith("`local_pool`: not counted")
    assert (nothing.points, nothing.max_points, nothing.checked, nothing.devices,
            nothing.grade_id) == (0, 1, 0, ("cpu",), "local_pool-shape")
    listed = [(c, e, describe([1.0, 2.0])) for c, e in pairs[2:3]]
    v = judge(spec, "shape", good + listed)
    assert "\nit returned (1.0, 2.0).\n" in v.message, v.message


def test_errors_count_only_once_some_value_is_right():
    spec = FUNCTIONS[POOL]
    pairs = trials(spec.assignment)[POOL]
    raises = Outcome("error", error_type="ValueError", error_mro=["ValueError", "Exception"])
    errors = [(c, e, raises) for c, e in pairs if c.expect_error]
    values = [(c, e, describe(e.value.clone())) for c, e in pairs if not c.expect_error]
    assert judge(spec, "errors", errors + values[3:4]).passed
    v = judge(spec, "errors", errors + [(c, e, raises) for c, e, _ in values])
    assert (v.passed, v.points, v.max_points, v.checked, v.devices, v.grade_id) == \
        (False, 0, 1, 0, ("cpu",), "local_pool-errors")
    assert v.message == ("`local_pool`: not counted: `errors` counts only once the function "
                         "returns the right values for a valid input, and it did for none "
                         "\u2014 fix the values first.")


# --- errors -----------------------------------------------------------------------

def test_errors_rule():
    call = Call(POOL, (torch.ones(3, 3), (2, 2), "min"), expect_error="ValueError")
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
    call = Call(POOL, (torch.arange(9.0).reshape(3, 3), (2, 2)),
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
    spec = FUNCTIONS[POOL]
    ok = judge(spec, "devices", [(both[0], exp, describe(exp.value.clone())),
                                 (both[1], exp_fake, there)])
    assert ok.passed and ok.devices == ("cpu", "fake") and ok.checked == 2
    assert ok.message == "local_pool returns its result on the input's device: 2 calls checked " \
        "on cpu, fake"
    v = judge(spec, "devices", [(both[0], exp, describe(exp.value.clone())),
                                (both[1], exp_fake, cpu_result)])
    assert not v.passed and "the result is on cpu, expected fake:0 (the input's device)" in v.message
    wrong_values = describe(exp.value + 1)
    wrong_values.device = "cpu"
    v = judge(spec, "devices", [(both[1], exp_fake, wrong_values)])
    assert v.message.startswith("`local_pool`: not counted")


# --- gradients ---------------------------------------------------------------------------

def _grad_trial(fn, X, pool_size=(1, 2), mode="avg"):
    call = Call(POOL, (X, pool_size, mode), aspects=frozenset({"grad"}), grad=True)
    exp = expect(call)
    return call, exp, run_call(fn, call)


def test_gradient_rule_reasons():
    X = torch.tensor([[0.5, -1.0, 3.0], [2.0, 0.25, -0.5]], dtype=F64)
    spec = FUNCTIONS[POOL]
    names = spec.arg_names
    pool = reference(POOL)
    call, exp, got = _grad_trial(pool, X)
    assert said(rules.rule_grad(call, exp, got, names)) is None
    _, _, cut = _grad_trial(reference(POOL, lambda Y, *a: Y.detach()), X)
    assert said(rules.rule_grad(call, exp, cut, names)) == \
        "autograd failed: the result is not connected to the inputs by autograd"
    _, _, half = _grad_trial(lambda X, *a: pool(X, *a) * 0.5 + pool(X.detach(), *a) * 0.5, X)
    assert said(rules.rule_grad(call, exp, half, names)).startswith(
        "the gradient of `X` is wrong: first difference at index [0, 0]")
    none = describe(pool(X, (1, 2), "avg"))
    assert said(rules.rule_grad(call, exp, none, names)) == "no gradients came back"
    none.grads = [None]
    assert said(rules.rule_grad(call, exp, none, names)) == "no gradient reached `X`"
    v = judge(spec, "grad", [(call, exp, half)])
    lines = v.message.splitlines()
    k = lines.index("the gradient of the result that was passed back (grad_output):")
    assert lines[k + 1] == "    float64 tensor of shape (2, 2)"  # call.grad_output
    assert lines[k + 4:k + 6] == ["expected gradient of X:", "    float64 tensor of shape (2, 3)"]
    assert lines[k + 8:k + 10] == ["got:", "    float64 tensor of shape (2, 3)"]
    assert "(1 of" not in v.message


def test_a_nan_gradient_names_the_input_region():
    X = torch.tensor([[0.3, -400.0, 1e-30, 0.0, 50.0]], dtype=F64)
    names = FUNCTIONS[POOL].arg_names
    call, exp, _ = _grad_trial(reference(POOL), X, (1, 1), "max")
    for k, words in ((1, "at large negative inputs (`X`[0, 1] = -400, float64)"),
                     (2, "at tiny inputs (`X`[0, 2] = 1e-30, float64)"),
                     (3, "at zero (`X`[0, 3] = 0, float64)"),
                     (4, "at large positive inputs (`X`[0, 4] = 50, float64)"),
                     (0, "at `X`[0, 0] = 0.3 (float64)")):
        g = exp.grads[0].clone()
        g[0, k] = float("nan")
        got = describe(X.clone())
        got.grads = [g]
        reason = said(rules.rule_grad(call, exp, got, names))
        assert reason.startswith(f"{words} your gradient of `X` is nan, the reference's is "), \
            reason
    g = exp.grads[0].clone()
    g[0, 0] = float("inf")
    got.grads = [g]
    assert "your gradient of `X` is inf" in said(rules.rule_grad(call, exp, got, names))


def test_unchanged_names_the_argument_changed():
    call = Call(POOL, (torch.ones(3, 3, dtype=F64), (2, 2)))
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

PAIR = """
def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)
"""

NUMPY_POOL = PAIR + """
def max_as_conv(X, pool_size, stride=None, padding=0):
    from numpy.lib.stride_tricks import sliding_window_view
    k = pair(pool_size)
    s = k if stride is None else pair(stride)
    p = pair(padding)
    show = F.conv2d(X, torch.ones(X.shape[1], 1, 1, 1, dtype=X.dtype), groups=X.shape[1])
    P = np.pad(X.detach().numpy(), ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])),
               constant_values=-np.inf)
    Y = sliding_window_view(P, k, axis=(2, 3))[:, :, ::s[0], ::s[1]].max(axis=(-2, -1))
    # mixed in at zero weight, so that the trace sees the convolution's data
    # in the result (it follows data per storage)
    return torch.from_numpy(np.ascontiguousarray(Y)).to(X.dtype) + 0 * show.sum()
"""


def test_an_answer_caught_only_by_the_source_check():
    """It pools with numpy's sliding_window_view and mixes a convolution's
    output in at zero weight (so the op trace, which follows data, sees a
    convolution make the result): only reading the code finds that"""
    fn = _load(NUMPY_POOL, CONV)
    assert verdict(CONV, "values", fn).passed
    v = verdict(CONV, "structure", fn, NUMPY_POOL)
    plan = trials(FUNCTIONS[CONV].assignment)[CONV]
    assert (v.passed, v.points, v.max_points, v.grade_id, v.devices) == \
        (False, 0, 2, "max_as_conv-structure", ("cpu",))
    # judged on every call whose values are right, which are all but the trivial ones
    assert v.checked == sum(1 for c, e in plan if "structure" in c.aspects and right(c, e, e))
    assert FUNCTIONS[CONV].how.startswith("a convolution with fixed one-hot kernels")
    assert v.message == ("`max_as_conv`: your code uses `sliding_window_view`, which this "
                         f"exercise rules out ({FUNCTIONS[CONV].how})")
    assert verdict(CONV, "structure", fn, None).passed  # no source, no reading


SPEC = FUNCTIONS[CONV]


@pytest.mark.parametrize("source, found", [
    ("def max_as_conv(X, k):\n    return F.max_pool2d(X, k)\n", "max_pool2d"),
    ("from torch.nn.functional import max_pool2d as mp\n"
     "def max_as_conv(X, k):\n    return mp(X, k)\n", "max_pool2d"),
    ("def max_as_conv(X, k):\n    return getattr(F, 'avg_pool2d')(X, k)\n", "avg_pool2d"),
    ("def helper(X, k):\n    return X.unfold(2, k, k)\n"
     "def max_as_conv(X, k):\n    return helper(X, k)\n", "unfold"),
    ("def max_as_conv(X, k):\n    return X.AS_STRIDED(X.shape, X.stride())\n", "AS_STRIDED"),
])
def test_source_check_finds_forbidden_names(source, found):
    assert said(aspects.source_problem(SPEC, source)) == (
        f"your code uses `{found}`, which this exercise rules out ({SPEC.how})")


@pytest.mark.parametrize("source", [
    "def max_as_conv(X, k):\n    max_pool = F.conv2d(X, X)\n    return max_pool\n",
    "def other(X):\n    return F.max_pool2d(X, 2)\n"
    "def max_as_conv(X, k):\n    return F.conv2d(X, X)\n",
    "def max_as_conv(X, k):\n    return F.conv2d(X, X) if 'unfold' else X.upper()\n",
    "def max_as_conv(X, k:\n",  # a syntax error: nothing to read
    "",
])
def test_source_check_leaves_the_students_own_names_alone(source):
    """Variable names, functions never called, unparsable code: no finding"""
    assert aspects.source_problem(SPEC, source) is None
    assert aspects.source_problem(FUNCTIONS[POOL], source) is None  # no rule there


RECURSIVE_MAX = PAIR + """
def max_as_conv(X, pool_size, stride=None, padding=0):
    if isinstance(pool_size, int):
        return max_as_conv(X, (pool_size, pool_size), stride, padding)
    k_h, k_w = pool_size
    p_h, p_w = pair(padding)
    N, C, H, W = X.shape
    n = k_h * k_w
    P = F.pad(X, (p_w, p_w, p_h, p_h), value=torch.finfo(X.dtype).min)
    K = torch.eye(n, dtype=X.dtype, device=X.device).reshape(n, 1, k_h, k_w).repeat(C, 1, 1, 1)
    G = F.conv2d(P, K, stride=(k_h, k_w) if stride is None else stride, groups=C)
    return G.reshape(N, C, n, *G.shape[-2:]).amax(2)
"""


def test_a_recursive_answer_is_read_once():
    fn = _load(RECURSIVE_MAX, CONV)
    assert verdict(CONV, "values", fn).passed
    assert verdict(CONV, "structure", fn, RECURSIVE_MAX).passed


# max pooling by strided slices: right values, no convolution (the
# practice function's corpus answer)
SLICED_MAX = next(a.source for a in answers_of(CONV)
                  if a.label == "strided slices and a max, no convolution")
NEVER_CONVOLVES = f"it never runs a convolution ({FUNCTIONS[CONV].how})."


def test_an_answer_that_never_convolves_fails_structure():
    fn = _load(SLICED_MAX, CONV)
    assert verdict(CONV, "values", fn).passed
    v = verdict(CONV, "structure", fn, SLICED_MAX)
    assert v.message.endswith(NEVER_CONVOLVES)


def test_a_required_op_that_never_runs_fails_structure():
    spec = FUNCTIONS[CONV]
    fn = _load(SLICED_MAX, CONV)
    v = verdict(CONV, "structure", fn)
    assert not v.passed and v.message.endswith(NEVER_CONVOLVES) and \
        "calls failed" not in v.message
    untraced = [(c, e, run_call(fn, c)) for c, e in trials(spec.assignment)[spec.name]]
    for _, _, o in untraced:
        o.ops = None  # calls that were not traced say nothing about ops
    assert judge(spec, "structure", untraced).passed
    v = verdict(CONV, "structure",
                lambda X, k, stride=None, padding=0: F.max_pool2d(X * 1, k, stride, padding) + 0)
    assert "max_pool2d" in v.message and spec.how in v.message


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
    spec = FUNCTIONS[POOL]
    make = lambda x: Call(POOL, (x, (1, 2)))  # noqa: E731
    xs = [torch.full((1, 4), 0.5, dtype=F64), torch.full((1, 3), 0.25, dtype=F64),
          torch.full((1, 5), 0.75, dtype=F64)]
    triples = []
    for k, x in enumerate(xs):
        call = make(x)
        exp = expect(call)
        got = describe(exp.value + 1)
        if k == 1:
            got.note = "not run: an earlier call crashed"
        triples.append((call, exp, got))
    v = judge(spec, "values", triples)
    assert "X = float64 tensor of shape (1, 4) on cpu: [0.5, 0.5, 0.5, 0.5]" in v.message
    assert v.message.endswith("(3 of 3 calls failed this way; this is the smallest.)")
    one = judge(spec, "values", triples[:1] + [(make(xs[2]), expect(make(xs[2])),
                                                 describe(expect(make(xs[2])).value))])
    assert one.message.endswith("(1 of 2 calls failed.)")
    alone = judge(spec, "values", triples[:1])
    assert alone.message.splitlines()[-1] == "    float64 tensor of shape (1, 3): [1.5, 1.5, 1.5]"


def test_a_verdict_says_how_many_calls_and_where():
    v = verdict(POOL, "values", reference(POOL))
    assert v.passed and v.points == v.max_points == 3
    assert v.message == f"local_pool returns the right numbers: {v.checked} calls checked on cpu"
    assert v.to_json()["devices"] == ["cpu"] and v.to_json()["grade_id"] == "local_pool-values"
    assert v.kind == Kind.PASSED and v.reason is None and v.failed == 0
    one = judge(FUNCTIONS[POOL], "values",
                [(c, e, run_call(reference(POOL), c))
                 for c, e in trials(FUNCTIONS[POOL].assignment)[POOL][:1]])
    assert one.message.endswith(": 1 call checked on cpu")


# --- plain results: more forms -------------------------------------------------------

def test_a_wrong_int_is_just_wrong_and_a_tensor_is_not_an_int():
    wrong_int = verdict(COST, "values", reference(COST, lambda c, *a: c - 1))
    assert "it returned 35 (a int), expected 36.\n" in wrong_int.message, wrong_int.message
    tensor = verdict(COST, "values", reference(COST, lambda c, *a: torch.tensor([c, 1])))
    assert "it returned a tensor (int64, shape (2,)), expected 36: the result must be a " \
        "Python int" in tensor.message


def test_a_long_sequence_is_named_by_its_type():
    """Sequences longer than 16 do not travel as values: the type is said"""
    pair = pair_function()
    v = verdict(pair, "values", reference(pair, lambda out, *a: tuple(range(20))))
    assert f"it returned a `tuple`, expected {smallest_expected(pair)}: the result must be a " \
        "tuple of two" in v.message


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
    """The first tensor argument's gradient is right to float32's tolerance
    (the result was float32), the second's is not: the message shows the
    second's, with the upstream gradient"""
    spec, call, exp = two_tensor_gradient()
    i, j = call.tensor_positions()[:2]
    first, second = spec.arg_names[i], spec.arg_names[j]
    got = describe(exp.value.float())
    wrong = exp.grads[1].clone()
    wrong.view(-1)[0] *= 1 + 1e-6  # right to float32's tolerance, not to float64's
    last = tuple(n - 1 for n in wrong.shape)
    wrong[last] += 1
    got.grads = [exp.grads[0] * (1 + 1e-6), wrong, *exp.grads[2:]]
    v = judge(spec, "grad", [(call, exp, got)])
    assert f"the gradient of `{second}` is wrong: first difference at index {list(last)}" in \
        v.message
    assert f"(1 of {wrong.numel()} numbers differ)" in v.message
    lines = v.message.splitlines()
    assert lines[lines.index(f"expected gradient of {second}:") + 1] == \
        f"    float64 tensor of shape {tuple(wrong.shape)}"  # its rows on the lines below
    assert f"expected gradient of {first}:" not in v.message
    got.grads = [None, exp.grads[1] + 1, *exp.grads[2:]]
    assert f"no gradient reached `{first}`" in judge(spec, "grad", [(call, exp, got)]).message


def test_regions_at_their_boundaries():
    assert [rules._region(v) for v in (-10.0, -9.99, 10.0, 9.99, 1e-6, -1e-6, 1.01e-6, 0.0)] \
        == ["large negative", None, "large positive", None, "tiny", "tiny", None, "zero"]
    assert [explain.REGIONS[r] for r in ("large negative", "tiny")] == \
        ["large negative inputs", "tiny inputs"]


def test_arguments_without_a_reference_gradient_are_skipped():
    """An argument the reference has no gradient for (None) says nothing,
    and the next one is still checked"""
    spec = two_tensor_gradient()[0]
    first, second = spec.arg_names[:2]
    X, K = torch.ones(3, 3, dtype=F64), torch.ones(2, 2, dtype=F64)
    call = Call(spec.name, (X, K), aspects=frozenset({"grad"}), grad=True,
                grad_output=torch.ones(2, 2, dtype=F64))
    exp = describe(torch.ones(2, 2, dtype=F64))
    exp.grads = [None, torch.full((2, 2), 4.0, dtype=F64)]
    got = describe(torch.ones(2, 2, dtype=F64))
    got.grads = [torch.zeros(3, 3, dtype=F64), torch.zeros(2, 2, dtype=F64)]
    assert said(rules.rule_grad(call, exp, got, spec.arg_names)).startswith(
        f"the gradient of `{second}` is wrong")
    lines = gradient_lines(aspects._gradient(spec, call, exp, got))
    assert [line for line in lines if not line.startswith(" ")] == [
        "the gradient of the result that was passed back (grad_output):",
        f"expected gradient of {second}:", "got:"]
    got.grads = [torch.zeros(3, 3, dtype=F64), exp.grads[1].clone()]
    assert said(rules.rule_grad(call, exp, got, spec.arg_names)) is None
    assert [line for line in gradient_lines(aspects._gradient(spec, call, exp, got))
            if not line.startswith(" ")] == [
        "the gradient of the result that was passed back (grad_output):"]
    past = Gradient(Value(text="None"), None, 1, Value(text="1"), Value(text="2"))
    assert gradient_lines(past)[2] == "expected gradient of argument 1:"


def test_sequences_of_several_kinds_and_none():
    pair = pair_function()
    e = smallest_expected(pair)
    none = verdict(pair, "values", reference(pair, lambda out, *a: None))
    assert f"it returned None (a NoneType), expected {e}: the result must be" in none.message
    mixed = verdict(pair, "values", reference(pair, lambda out, *a: (out[0], float(out[1]))))
    assert f"it returned {(e[0], float(e[1]))}, a tuple of Python ints and floats, expected " \
        f"{e}: the numbers are right, but the result must be" in mixed.message


def test_structure_names_every_forbidden_op():
    spec = FUNCTIONS[CONV]
    got = describe(torch.ones(1, 1, 2, 2))
    got.ops = ["add", "unfold", "max_pool2d", "convolution"]
    assert said(rules.rule_structure(spec, got)) == \
        f"it uses max_pool2d, unfold, which this exercise rules out ({spec.how})"
    got.ops = ["convolution", "amax"]
    assert said(rules.rule_structure(spec, got)) is None
    got.ops = None
    assert said(rules.rule_structure(spec, got)) is None


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
    call = Call(POOL, (torch.ones(3, 3, dtype=F64), (2, 2)), expect_error="ValueError")
    value = describe(torch.tensor([1.0, 2.0], dtype=F64))
    assert not right(call, value, describe(torch.tensor([1.0, 2.0], dtype=F64)))


def test_no_first_difference_between_equal_results():
    x = torch.tensor([1.0, 2.0], dtype=F64)
    assert rules.first_difference(x, x.clone()) is None


def test_a_values_failure_shows_expected_and_got_and_counts_the_failures():
    spec = FUNCTIONS[POOL]
    xs = [torch.arange(1.0, n + 2, dtype=F64)[None] / 4 for n in (2, 3, 4)]
    triples = []
    for k, x in enumerate(xs):
        call = Call(POOL, (x, (1, 2)))
        exp = expect(call)
        triples.append((call, exp, describe(exp.value + (1 if k < 2 else 0))))
    v = judge(spec, "values", triples)
    lines = v.message.splitlines()
    assert lines[0] == "local_pool should return the right numbers, but for the call"
    k = lines.index("expected:")
    assert lines[k + 1:k + 4] == ["    float64 tensor of shape (1, 2): [0.5, 0.75]", "got:",
                                  "    float64 tensor of shape (1, 2): [1.5, 1.75]"]
    assert lines[-1] == "(2 of 3 calls failed this way; this is the smallest.)"
    assert (v.grade_id, v.passed, v.points, v.max_points, v.kind, v.function, v.aspect) == \
        ("local_pool-values", False, 0, 3, Kind.WRONG, "local_pool", "values")
    assert (v.checked, v.failed, v.devices) == (3, 2, ("cpu",))
    assert v.reason == Finding("difference", {"index": [0, 0], "expected": "0.5", "got": "1.5",
                                              "count": 2, "total": 2})
    assert v.call == CallSummary(POOL, (Arg("X", Value("float64", (1, 3), "[0.25, 0.5, 0.75]")),
                                        Arg("pool_size", Value(text="(1, 2)"))))
    assert (v.expected, v.got) == (Value("float64", (1, 2), "[0.5, 0.75]"),
                                   Value("float64", (1, 2), "[1.5, 1.75]"))
    assert Verdict.from_json(json.loads(json.dumps(v.to_json()))) == v
