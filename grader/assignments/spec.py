"""`SPEC`: what a function's module says it is graded on

A function's module writes its points here and nowhere else; its name, its
assignment and its signature come from the module itself
(grader.assignments.function_spec), and `grader release` publishes the whole
FunctionSpec for the visible checks.
"""
from dataclasses import dataclass, field

# A function that returns a tensor: these aspects, with these points, unless
# its SPEC says otherwise
TENSOR_ASPECTS = {"values": 3, "shape": 1, "dtype": 1, "devices": 1, "grad": 1,
                  "unchanged": 1}


@dataclass(frozen=True)
class Spec:
    """aspects: {aspect: points}, in the order of the grade cells
    forbidden_ops, required_ops: the structure rule's aten ops (from
        grader.checks.ops): none of the first may run, the result must come
        through one of the second
    forbidden_names: library names the function's source must not use
    how: the structure rule in words, for messages
    column: a short name for the grade table, when the function's is long
    """
    aspects: dict = field(default_factory=dict)
    forbidden_ops: frozenset = frozenset()
    required_ops: frozenset = frozenset()
    forbidden_names: tuple = ()
    how: str = ""
    column: str = ""


def tensor_aspects(**changes):
    """TENSOR_ASPECTS with some points changed or aspects added (at the end),
    e.g. tensor_aspects(values=2, structure=2)"""
    aspects = dict(TENSOR_ASPECTS)
    aspects.update(changes)
    return aspects
