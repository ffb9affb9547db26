"""The grading plan: every call a function is checked with, and what the
reference returns for it (trusted side only)

The calls come from the function's module in grader/assignments/: its
published examples (`public()`) and its hidden cases (`hidden(rng)`, with a
generator of the function's own); the functions come in the published
order (grader.checks.specs.functions_of).
"""
from functools import lru_cache

import torch

from grader import assignments
from grader.checks.calls import run_call
from grader.checks.devices import on_devices
from grader.checks.specs import functions_of
from grader.course import DEFAULT_SEED


def expect(call):
    """The reference's outcome; grad calls get a random upstream gradient
    shaped like the reference's result"""
    fn = assignments.reference(call.function)
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


def public_trials(assignment, functions=None):
    """{function: [(call, expected)]} for the published examples (CPU), for
    the functions named (default: the published ones, in their order)"""
    names = functions or [s.name for s in functions_of(assignment)]
    return {name: [(c, expect(c)) for c in assignments.public_calls(name)] for name in names}


@lru_cache(maxsize=8)
def trials(assignment, seed=DEFAULT_SEED, devices=("cpu",)):
    """{function: [(call, expected)]}: public examples plus hidden cases on
    every device"""
    out = {}
    for spec in functions_of(assignment):
        calls = assignments.public_calls(spec.name) + assignments.hidden_calls(spec.name, seed)
        out[spec.name] = [(c, expect(c)) for c in on_devices(calls, devices)]
    return out


@lru_cache(maxsize=8)
def public_mask(assignment, seed=DEFAULT_SEED, devices=("cpu",)):
    """{function: [bool per call of trials()]}: which calls are published
    examples (or their copies on another device), whose inputs a student
    may see in full. Follows trials(): the published examples first, then
    the hidden cases, then `on_devices`' copies in the order of their calls"""
    out = {}
    for spec in functions_of(assignment):
        shown = assignments.public_calls(spec.name)
        rest = assignments.hidden_calls(spec.name, seed)
        flags = [True] * len(shown) + [False] * len(rest)
        for call, flag in zip(shown + rest, list(flags)):
            if "devices" in call.aspects:
                flags += [flag for d in devices if d != call.device]
        out[spec.name] = flags
    return out
