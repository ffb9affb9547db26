"""A function's corpus: right and wrong answers, judged in-process as the grader does

Each graded function has a test file, grader/assignments/<a>/tests/
test_<function>.py, that lists answers written the way students write them:

- `correct(function, label, source)`: a right answer in some style; it must
  earn every point, on the default seed's hidden cases and on another's;
- `wrong(function, label, fails, source)`: a plausible mistake and the
  aspects it must lose (and none other), whatever the seed; each lost aspect
  says what to fix in a short message about one call;
- `tensor_stubs(...)`, `plain_stubs(...)`: effort-free answers (zeros, a
  constant, an input) that must score nothing.

`check(answer)` asserts all of that for one answer. An answer is graded by
running it on every call of the grading plan with `run_call` and judging
with `judge`, exactly what the grader computes outside the sandbox, so a
whole corpus takes seconds.
"""
import copy
import linecache
import os
import textwrap
from dataclasses import dataclass

import torch

from grader import assignments
from grader.checks.aspects import judge
from grader.checks.calls import run_call
from grader.course import DEFAULT_SEED

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
OTHER_SEED = 7


@dataclass(frozen=True)
class Answer:
    function: str
    label: str
    source: str
    fails: frozenset = frozenset()  # the aspects it must lose; empty: full marks
    may: frozenset = frozenset()    # aspects it may also lose, depending on the cases
    stub: bool = False              # an effort-free answer: must score nothing

    @property
    def id(self):
        return f"{self.function}:{self.label}"

    def __str__(self):
        return self.id


def correct(function, label, source):
    return Answer(function, label, textwrap.dedent(source).strip() + "\n")


def wrong(function, label, fails, source, may=""):
    """fails: the aspect, or aspects separated by spaces, it must lose, or
    "everything" for an answer whose values are wrong on every call (nothing
    for nothing: no other aspect counts then); may: aspects it loses on the
    default seed's cases but might not on others. Under nothing for nothing
    these are mostly the aspects judged on the calls whose values are right:
    an answer whose mistake does not show on some calls (a 1 x 1 kernel, a
    window of one, a stride equal to the window) keeps the other aspects
    judged there, and loses them when a seed's cases hold no such call"""
    aspects_of = assignments.function_spec(function).aspects
    if fails == "everything":
        fails = " ".join(aspects_of)
    lost_, maybe = frozenset(fails.split()), frozenset(may.split())
    unknown = (lost_ | maybe) - set(aspects_of)
    assert lost_ and not unknown and not lost_ & maybe, (function, label, unknown)
    return Answer(function, label, textwrap.dedent(source).strip() + "\n", lost_, maybe)


# --- effort-free stubs ------------------------------------------------------------

FILLS = {
    "zeros": "torch.zeros(shape, dtype=like.dtype, device=like.device)",
    "ones": "torch.ones(shape, dtype=like.dtype, device=like.device)",
    "random numbers": "torch.rand(shape, dtype=like.dtype, device=like.device)",
    "a constant": "torch.full(shape, 0.5, dtype=like.dtype, device=like.device)",
    # connected to the input by autograd, so gradients do flow (as zeros)
    "zeros from the input": "like.sum() * torch.zeros(shape, dtype=like.dtype, "
                            "device=like.device)",
}


def stub(function, label, body):
    """An effort-free answer: `def <signature>:` then body (indented)"""
    signature = assignments.function_spec(function).signature
    return Answer(function, f"stub: {label}", f"def {signature}:\n{body}", stub=True)


def tensor_stubs(function, header, cut):
    """Stubs of a function returning a tensor: the header works out the
    result's `shape` (as a lazy answer would) and names the tensor `like`
    whose dtype and device it copies; the stubs fill that shape, return
    `cut` (an input cut to the result's shape), or zero their input"""
    bodies = [(label, f"    return {fill}\n") for label, fill in FILLS.items()]
    bodies.append(("the input, cut to the result's shape", f"    return {cut}\n"))
    bodies.append(("zeroes its input in place and returns it",
                   f"    like.zero_()\n    return {cut}\n"))
    return [stub(function, label, header + body) for label, body in bodies]


def plain_stubs(function, results):
    """Stubs of a function returning plain values: each of `results` (Python
    expressions) as it is, and one that always raises ValueError"""
    stubs = [stub(function, f"returns {r}", f"    return {r}\n") for r in results]
    stubs.append(stub(function, "always raises ValueError",
                       "    raise ValueError('not done')\n"))
    return stubs


# --- grading in-process ----------------------------------------------------------

def load(answer):
    """The function the source defines, run like a notebook cell"""
    text = PRELUDE + answer.source
    namespace = {"__name__": "__student__"}
    filename = f"<answer {answer.id}>"  # shown like a notebook cell's lines
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    exec(compile(text, filename, "exec"), namespace)  # noqa: S102
    return namespace[answer.function], text


def grade(answer, seed=DEFAULT_SEED):
    """{aspect: Verdict} for the answer on every call of the grading plan (CPU)"""
    fn, source = load(answer)
    return judged(answer.function, fn, source, seed)


def judged(function, fn, source=None, seed=DEFAULT_SEED, aspects=None):
    """{aspect: Verdict} for `fn` answering `function` on every call of the
    grading plan (CPU), for its aspects or the ones given; `source` is the
    answer's code, for the source check of `structure`"""
    from grader.plan import trials
    spec = assignments.function_spec(function)
    pairs = trials(spec.assignment, seed, ("cpu",))[function]
    with torch.random.fork_rng():
        triples = [(call, expected, run_call(fn, _private(call))) for call, expected in pairs]
    return {aspect: judge(spec, aspect, triples, source) for aspect in aspects or spec.aspects}


def _private(call):
    """The call with its own copies of the tensors: `materialize` hands a
    size-1 "non-contiguous" view over without copying, so an answer that
    writes into its input would otherwise change the plan's cases (in the
    sandbox every call is decoded afresh, so this only matters in-process)"""
    twin = copy.copy(call)
    twin.args = tuple(a.clone() if isinstance(a, torch.Tensor) else a for a in call.args)
    return twin


_GRADED = {}


def graded(answer, seed=DEFAULT_SEED):
    """Each answer is graded once per seed and its verdicts shared; except in
    mutmut's stats run, which maps each test to the code it runs (a shared
    verdict would hide the rules from every test but the first)"""
    key = (answer, seed)
    if key not in _GRADED or os.environ.get("MUTANT_UNDER_TEST") == "stats":
        _GRADED[key] = grade(answer, seed)
    return _GRADED[key]


def lost(verdicts):
    return frozenset(a for a, v in verdicts.items() if not v.passed)


def as_expected(answer, lose):
    """Did it lose what it must, and nothing it must not?"""
    if answer.stub:
        return lose == set(assignments.function_spec(answer.function).aspects)
    return answer.fails <= lose <= answer.fails | answer.may


def report(verdicts, aspects):
    return "\n".join(f"--- {a}:\n{verdicts[a].message}" for a in sorted(aspects))


def check(answer):
    """Assert what the answer must earn: see the module doc"""
    __tracebackhide__ = True
    verdicts = graded(answer)
    got = lost(verdicts)
    if answer.stub:
        for seed in (DEFAULT_SEED, OTHER_SEED):
            earned = {a: v.points for a, v in graded(answer, seed).items() if v.points}
            assert not earned, report(graded(answer, seed), earned)
        return
    if not answer.fails:
        assert not got, report(verdicts, got)
        assert sum(v.points for v in verdicts.values()) == \
            assignments.function_spec(answer.function).points
        again = lost(graded(answer, OTHER_SEED))
        assert not again, report(graded(answer, OTHER_SEED), again)
        return
    assert as_expected(answer, got), (
        f"lost {sorted(got)}, expected {sorted(answer.fails)} (maybe {sorted(answer.may)})\n"
        + report(verdicts, got ^ answer.fails))
    for aspect in got:
        assert verdicts[aspect].points == 0
    elsewhere = lost(graded(answer, OTHER_SEED))
    assert answer.fails <= elsewhere, f"not caught on seed {OTHER_SEED}: " \
        f"{sorted(answer.fails - elsewhere)}"
    # each lost aspect says what to fix: the function, one call at most
    # (never the hidden cases wholesale), short enough to read
    for aspect in got:
        text = verdicts[aspect].message
        assert answer.function in text and len(text) < 4000, text
        assert text.count("for the call") <= 1, text
        if aspect in ("values", "stability") and "for the call" in text \
                and "expected:" not in text:  # no value to compare: an error or a shape
            assert "raised" in text or "shape" in text or "returned" in text, text


def message(answers, label, aspect):
    """The message of the aspect an answer (by its label) loses"""
    answer = next(a for a in answers if a.label == label)
    return graded(answer)[aspect].message


def answers_of(function):
    """Every answer of a function's corpus (its test file's CORRECT, WRONG and
    STUBS), or None when it has no test file"""
    import importlib
    assignment = assignments.assignment_of(function)
    try:
        module = importlib.import_module(
            f"{assignments.__name__}.{assignment}.tests.test_{function}")
    except ModuleNotFoundError as exc:
        if not exc.name.startswith(f"{assignments.__name__}.{assignment}.tests"):
            raise
        return None
    return getattr(module, "CORRECT", []) + getattr(module, "WRONG", []) + \
        getattr(module, "STUBS", [])


def assert_noisy_keeps_full_marks(answer):
    """A correct answer that warns and prints (stdout, stderr) keeps every
    point: warnings and output never cost points"""
    import warnings
    __tracebackhide__ = True
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        verdicts = grade(answer)
    assert caught  # the answer did warn
    assert not lost(verdicts), report(verdicts, lost(verdicts))
