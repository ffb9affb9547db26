"""What every exercise function must do, and what each part of it is worth

One `FunctionSpec` per graded function: its assignment, signature and the
aspects it is graded on with their points, and its structure rule. The
grade cell of an aspect is named `<function>-<aspect>`. The specs are read
from the published files (grader/checks/public/<assignment>.json, written by
`grader release` from the function's module in grader/assignments/), so the
visible checks and the grader agree on them, and the assignments are the
published ones.
"""
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from grader.checks import public

# What each aspect asks, in the student's words
ASPECTS = {
    "values": "returns the right numbers",
    "shape": "returns a result of the right shape",
    "dtype": "keeps the input's dtype (float32 and float64)",
    "devices": "returns its result on the input's device",
    "grad": "lets gradients flow back to its inputs, matching the reference",
    "unchanged": "leaves its inputs unchanged",
    "errors": "raises the error the contract asks for on bad input",
    "structure": "computes the result the way the exercise asks",
    "stability": "stays finite for large inputs",
}


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    assignment: str
    signature: str
    aspects: dict = field(default_factory=dict)  # aspect -> points
    # Rules for `structure`: aten ops the function must not use, and ops of
    # which it must use at least one
    forbidden_ops: frozenset = frozenset()
    required_ops: frozenset = frozenset()
    forbidden_names: tuple = ()  # library names the source must not use
    how: str = ""  # the structural rule in words
    column: str = ""  # a short name for the grade table ("" : the name)

    @property
    def points(self):
        return sum(self.aspects.values())

    @property
    def arg_names(self):
        inside = self.signature[self.signature.index("(") + 1:-1]
        return [part.split("=")[0].strip() for part in inside.split(",")]

    def grade_id(self, aspect):
        return f"{self.name}-{aspect}"


def _from_fields(assignment, d):
    return FunctionSpec(d["name"], assignment, d["signature"],
                        {a: p for a, p in d["aspects"]},
                        forbidden_ops=frozenset(d["forbidden_ops"]),
                        required_ops=frozenset(d["required_ops"]),
                        forbidden_names=tuple(d["forbidden_names"]), how=d["how"],
                        column=d.get("column", ""))


@lru_cache(maxsize=None)
def _specs(assignment):
    found = public.published(assignment)
    return tuple(_from_fields(assignment, d) for d in found.specs)


@lru_cache(maxsize=None)
def _assignments():
    names = public.names()
    return tuple(sorted(names, key=lambda a: (public.published(a).position, a)))


@lru_cache(maxsize=None)
def _functions():
    return {s.name: s for a in _assignments() for s in _specs(a)}


def assignments():
    """The published assignments, in course order"""
    return _assignments()


def functions_of(assignment):
    """The specs of one assignment, in the order of its notebook"""
    if assignment not in _assignments():
        raise ValueError(f"unknown assignment {assignment!r}; expected one of "
                         f"{', '.join(_assignments())} (or run `grader release {assignment}`)")
    return list(_specs(assignment))


def parse_grade_id(grade_id):
    """'pool2d-values' -> (FunctionSpec, 'values'); KeyError if unknown"""
    name, _, aspect = grade_id.rpartition("-")
    spec = _functions()[name]
    if aspect not in spec.aspects:
        raise KeyError(grade_id)
    return spec, aspect


def forget():
    """Read the published files again (after `grader release` wrote them)"""
    public.forget()
    for cached in (_specs, _assignments, _functions):
        cached.cache_clear()


class _Functions(Mapping):
    """Every published function's spec by name, read when first used"""

    def __getitem__(self, name):
        return _functions()[name]

    def __iter__(self):
        return iter(_functions())

    def __len__(self):
        return len(_functions())


class _Assignments(Sequence):
    """The published assignments in course order, read when first used"""

    def __getitem__(self, index):
        return _assignments()[index]

    def __len__(self):
        return len(_assignments())


FUNCTIONS = _Functions()
ASSIGNMENTS = _Assignments()
