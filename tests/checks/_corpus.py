"""Judging a student implementation in-process, as the grader would

An `Impl` is the source of a notebook answer (one function plus any helpers
it calls), for one of the 20 exercise functions. `grade(impl)` runs it on
every public and hidden call of the grading plan with `run_call`, compares
with the reference's outcomes with `judge`, and returns {aspect: Verdict},
exactly what the grader computes outside the sandbox.
"""
import linecache
import textwrap
from dataclasses import dataclass

import torch

from grader.checks.aspects import judge
from grader.checks.calls import run_call
from grader.checks.specs import FUNCTIONS
from grader.plan import DEFAULT_SEED, trials

# what the exercise notebooks' setup cell gives every answer
PRELUDE = """\
import math
import sys
import warnings

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
"""


@dataclass(frozen=True)
class Impl:
    function: str
    label: str
    source: str
    fails: frozenset = frozenset()  # the aspects it must lose; empty: full marks

    @property
    def assignment(self):
        return FUNCTIONS[self.function].assignment

    @property
    def id(self):
        return f"{self.function}:{self.label}"


def correct(function, label, source):
    return Impl(function, label, textwrap.dedent(source).strip() + "\n")


def wrong(function, label, fails, source):
    """fails: the aspect, or aspects separated by spaces, it must lose"""
    aspects = frozenset(fails.split())
    unknown = aspects - set(FUNCTIONS[function].aspects)
    assert aspects and not unknown, (function, label, unknown)
    return Impl(function, label, textwrap.dedent(source).strip() + "\n", aspects)


def load(impl):
    """The function the source defines, run like a notebook cell"""
    text = PRELUDE + impl.source
    namespace = {"__name__": "__student__"}
    filename = f"<answer {impl.id}>"  # shown like a notebook cell's lines
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    exec(compile(text, filename, "exec"), namespace)  # noqa: S102
    return namespace[impl.function], text


def grade(impl, seed=DEFAULT_SEED):
    """{aspect: Verdict} for impl on every call of the grading plan (CPU)"""
    fn, source = load(impl)
    spec = FUNCTIONS[impl.function]
    pairs = trials(impl.assignment, seed, ("cpu",))[impl.function]
    with torch.random.fork_rng():
        triples = [(call, expected, run_call(fn, call)) for call, expected in pairs]
    return {aspect: judge(spec, aspect, triples, source) for aspect in spec.aspects}


def lost(verdicts):
    return frozenset(a for a, v in verdicts.items() if not v.passed)
