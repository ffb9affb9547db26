"""The grading plan: every call a function is checked with, and what the
reference returns for it (trusted side only)"""
from functools import lru_cache

import torch

from grader import cases
from grader.checks.calls import run_call
from grader.checks.devices import on_devices
from grader.checks.specs import functions_of
from grader.course import DEFAULT_SEED
from grader.reference import REFERENCES


def expect(call):
    """The reference's outcome; grad calls get a random upstream gradient
    shaped like the reference's result"""
    fn = REFERENCES[call.function]
    if call.grad and call.grad_output is None:
        first = run_call(fn, call)
        if first.exact_tensor:
            g = torch.Generator().manual_seed(len(first.shape) * 7919 + first.value.numel())
            call.grad_output = torch.randn(first.shape, generator=g, dtype=torch.float64)
    outcome = run_call(fn, call)
    if outcome.kind != "value" and not call.expect_error:
        raise AssertionError(f"the reference fails on a generated case of "
                             f"{call.function}: {outcome.error_type}: {outcome.error_message}")
    outcome.error_where = ""  # where the reference raised is nobody's business
    return outcome


def public_trials(assignment):
    """{function: [(call, expected)]} for the published examples (CPU)"""
    return {name: [(c, expect(c)) for c in calls]
            for name, calls in cases.public(assignment).items()}


@lru_cache(maxsize=8)
def trials(assignment, seed=DEFAULT_SEED, devices=("cpu",)):
    """{function: [(call, expected)]}: public examples plus hidden cases on
    every device"""
    public = cases.public(assignment)
    hidden = cases.hidden(assignment, seed)
    out = {}
    for spec in functions_of(assignment):
        calls = on_devices(public.get(spec.name, []) + hidden.get(spec.name, []), devices)
        out[spec.name] = [(c, expect(c)) for c in calls]
    return out


@lru_cache(maxsize=8)
def public_mask(assignment, seed=DEFAULT_SEED, devices=("cpu",)):
    """{function: [bool per call of trials()]}: which calls are published
    examples (or their copies on another device), whose inputs a student
    may see in full. Follows trials(): the published examples first, then
    the hidden cases, then `on_devices`' copies in the order of their calls"""
    public = cases.public(assignment)
    hidden = cases.hidden(assignment, seed)
    out = {}
    for spec in functions_of(assignment):
        shown, rest = public.get(spec.name, []), hidden.get(spec.name, [])
        flags = [True] * len(shown) + [False] * len(rest)
        for call, flag in zip(shown + rest, list(flags)):
            if "devices" in call.aspects:
                flags += [flag for d in devices if d != call.device]
        out[spec.name] = flags
    return out
