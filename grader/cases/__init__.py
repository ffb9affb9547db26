"""The inputs each function is checked on: public examples and hidden cases

Trusted code: never shipped to students nor mounted in the sandbox. Each
assignment module has `public()` (small worked examples, whose expected
outcomes are published in grader/checks/public/) and `hidden(rng)` (the
generated cases the grader adds), both returning {function: [Call, ...]}.
"""
import importlib

import torch

from grader.checks.specs import ASSIGNMENTS


def module(assignment):
    if assignment not in ASSIGNMENTS:
        raise ValueError(f"unknown assignment {assignment!r}")
    return importlib.import_module(f"grader.cases.{assignment}")


def public(assignment):
    return module(assignment).public()


def hidden(assignment, seed):
    """Hidden calls, reproducible from the seed"""
    rng = torch.Generator().manual_seed(seed)
    return module(assignment).hidden(rng)
