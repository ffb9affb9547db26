"""Judging a student implementation in-process, as the grader would

An `Impl` is the source of a notebook answer (one function plus any helpers
it calls), for one of the 20 exercise functions. `grade(impl)` runs it on
every public and hidden call of the grading plan with `run_call`, compares
with the reference's outcomes with `judge`, and returns {aspect: Verdict},
exactly what the grader computes outside the sandbox.
"""
import copy
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
    may: frozenset = frozenset()    # aspects it may also lose, depending on the cases

    @property
    def assignment(self):
        return FUNCTIONS[self.function].assignment

    @property
    def id(self):
        return f"{self.function}:{self.label}"


def correct(function, label, source):
    return Impl(function, label, textwrap.dedent(source).strip() + "\n")


def wrong(function, label, fails, source, may=""):
    """fails: the aspect, or aspects separated by spaces, it must lose, or
    "everything" for an answer whose values are wrong on every call (nothing
    for nothing: no other aspect counts then); may: aspects it loses on the
    default seed's cases but might not on others. Under nothing for nothing
    these are mostly the aspects judged on the calls whose values are right:
    an answer whose mistake does not show on some calls (a 1 x 1 kernel, a
    window of one, a stride equal to the window) keeps the other aspects
    judged there, and loses them when a seed's cases hold no such call"""
    if fails == "everything":
        fails = " ".join(FUNCTIONS[function].aspects)
    aspects, maybe = frozenset(fails.split()), frozenset(may.split())
    unknown = (aspects | maybe) - set(FUNCTIONS[function].aspects)
    assert aspects and not unknown and not aspects & maybe, (function, label, unknown)
    return Impl(function, label, textwrap.dedent(source).strip() + "\n", aspects, maybe)


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
        triples = [(call, expected, run_call(fn, _private(call))) for call, expected in pairs]
    return {aspect: judge(spec, aspect, triples, source) for aspect in spec.aspects}


def _private(call):
    """The call with its own copies of the tensors: `materialize` hands a
    size-1 "non-contiguous" view over without copying, so an answer that
    writes into its input would otherwise change the plan's cases (in the
    sandbox every call is decoded afresh, so this only matters in-process)"""
    twin = copy.copy(call)
    twin.args = tuple(a.clone() if isinstance(a, torch.Tensor) else a for a in call.args)
    return twin


def lost(verdicts):
    return frozenset(a for a, v in verdicts.items() if not v.passed)


def as_expected(impl, lose):
    """Did it lose what it must, and nothing it must not?"""
    return impl.fails <= lose <= impl.fails | impl.may
