"""A right answer passes every visible check

Reproduction (1 Dec 2026, bench/grading.py compare): every published example
of softmax_pool2d pooled a 3×3 input to a single number, which the nothing-
for-nothing rule does not count as evidence (an answer that does nothing
useful can return one number), so a correct softmax_pool2d failed its
visible `shape`, `dtype`, `devices`, `grad` and `unchanged` checks in the
student's notebook, while the grader, which also has hidden cases, gave the
points. Every aspect of every published function needs at least one
published call that a right answer gets right in a way that counts. The
right answer is the source notebook's solution, as a student would write
it (a reference may use what the structure rule forbids).
"""
import functools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from grader.checks import check
from grader.checks.specs import assignments as published, functions_of
from grader.sample import correct_cells

ASPECTS = [(a, spec.name, aspect) for a in published() for spec in functions_of(a)
           for aspect in spec.aspects]


@functools.lru_cache(maxsize=None)
def solutions(assignment):
    """The source notebook's solution cells, run in order"""
    namespace = {"torch": torch, "F": F, "nn": nn, "math": math, "np": np}
    for code in correct_cells(assignment).values():
        exec(compile(code, f"<{assignment} solution>", "exec"), namespace)  # noqa: S102
    return namespace


@pytest.mark.parametrize("assignment,name,aspect", ASPECTS,
                         ids=[f"{n}-{a}" for _, n, a in ASPECTS])
def test_the_solution_passes_its_visible_check(assignment, name, aspect):
    check(f"{name}-{aspect}", solutions(assignment)[name])
