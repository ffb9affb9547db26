"""The assignments: one folder each, found by discovery (trusted side)

`grader/assignments/<assignment>/` holds everything hidden about an
assignment (docs/authoring.md walks through it):

- `<function>.py`, one module per graded function: its docstring is the
  function's contract; `SPEC` (the aspects with their points, the structure
  rule), `reference(...)` (the reference implementation: its signature is
  the student's), `public()` (the worked examples, a list of Calls) and
  `hidden(rng)` (generated cases);
- helper modules of its own (any module without a `SPEC`);
- `tests/test_<function>.py`: each function's corpus of right and wrong
  answers (collected by `make test`);
- `sample_class.py` when it has a sample class (`STUDENTS`);
- `__init__.py`: a docstring and `POSITION`, where it comes in the course.

Its source notebook is solutions/<assignment>/<assignment>.ipynb, whose
marker cells say which functions are graded and in what order
(grader/checkcells.py). The modules directly in this folder are helpers
shared by every assignment. Nothing here is shipped to students or mounted
in the sandbox.

Tests add folders laid out the same way through GRADER_EXTRA_ROOTS
(grader.course.extra_roots): their assignments join this package.
"""
import hashlib
import importlib
import inspect
import pkgutil
from functools import lru_cache
from pathlib import Path

import torch

from grader.checks.specs import FunctionSpec
from grader.course import extra_roots

# the assignments of the extra roots are subpackages of this package too
__path__ = list(__path__) + [str(r / "assignments") for r in extra_roots()
                             if (r / "assignments").is_dir()]


def names():
    """Every assignment's name (a subfolder with an __init__.py), in course order"""
    found = {}
    for folder in __path__:
        for info in pkgutil.iter_modules([folder]):
            if info.ispkg and not info.name.startswith("_"):
                if info.name in found:
                    raise ValueError(f"two assignments are named {info.name!r}: "
                                     f"{found[info.name]} and {folder}")
                found[info.name] = folder
    return sorted(found, key=lambda a: (position(a), a))


def folder(assignment):
    return Path(package(assignment).__file__).parent


def package(assignment):
    if not isinstance(assignment, str) or not assignment.isidentifier():
        raise ValueError(f"unknown assignment {assignment!r}")
    try:
        return importlib.import_module(f"{__name__}.{assignment}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{assignment}":
            raise
        raise ValueError(f"unknown assignment {assignment!r}; known: "
                         f"{', '.join(names())}") from None


def position(assignment):
    """Where the assignment comes in the course (its POSITION), for reports
    and exports; assignments without one come last"""
    return getattr(package(assignment), "POSITION", 1 << 20)


@lru_cache(maxsize=None)
def modules(assignment):
    """{function name: its module} for every module of the folder with a SPEC"""
    out = {}
    for info in pkgutil.iter_modules([str(folder(assignment))]):
        if info.ispkg or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{assignment}.{info.name}")
        if hasattr(module, "SPEC"):
            _check_module(module, info.name)
            out[info.name] = module
    return out


def _check_module(module, name):
    missing = [part for part in ("reference", "public", "hidden") if not callable(
        getattr(module, part, None))]
    if missing:
        raise ValueError(f"{module.__file__} has a SPEC but no {', '.join(missing)}: a "
                         f"function's module defines SPEC, reference(...), public() and "
                         f"hidden(rng)")


@lru_cache(maxsize=None)
def _index():
    """{function name: assignment} over every assignment"""
    where = {}
    for assignment in names():
        for name in modules(assignment):
            if name in where:
                raise ValueError(f"the function {name!r} is graded in two assignments, "
                                 f"{where[name]} and {assignment}: names must be unique")
            where[name] = assignment
    return where


def assignment_of(function):
    try:
        return _index()[function]
    except KeyError:
        raise ValueError(f"no assignment grades a function {function!r}") from None


def module(function):
    """The module of a graded function, whichever assignment it is in"""
    return modules(assignment_of(function))[function]


def reference(function):
    return module(function).reference


def function_spec(function, assignment=None):
    """The function's FunctionSpec, made from its module"""
    m = module(function) if assignment is None else modules(assignment)[function]
    rule = m.SPEC
    return FunctionSpec(function, assignment or assignment_of(function),
                        signature(function, m.reference), dict(rule.aspects),
                        forbidden_ops=frozenset(rule.forbidden_ops),
                        required_ops=frozenset(rule.required_ops),
                        forbidden_names=tuple(rule.forbidden_names), how=rule.how,
                        column=rule.column)


def signature(function, reference):
    """'pool2d(X, pool_size, mode='max')': the student's function as the
    reference declares it"""
    return f"{function}{inspect.signature(reference)}"


def public_calls(function):
    """The worked examples: Calls of the function, in the module's order"""
    return _named(module(function).public(), function)


def hidden_calls(function, seed):
    """The generated cases, from a generator of the function's own (seed and
    name): one function's cases never depend on another's"""
    return _named(module(function).hidden(generator(seed, function)), function)


def generator(seed, function):
    digest = hashlib.sha256(f"{seed}:{function}".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "big") >> 1)


def _named(calls, function):
    calls = list(calls)
    for call in calls:
        call.function = function
    return calls


def sample_class(assignment):
    """The assignment's sample students (its sample_class.STUDENTS), or None"""
    try:
        found = importlib.import_module(f"{__name__}.{assignment}.sample_class")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{assignment}.sample_class":
            raise
        return None
    return found.STUDENTS


def with_sample_class():
    """The assignments that have a sample class, in course order"""
    return [a for a in names() if sample_class(a) is not None]


def files(assignment):
    """Every file the checks of an assignment are made from: its folder (but
    its tests) and the helpers shared by all assignments"""
    shared = sorted(Path(__file__).parent.glob("*.py"))
    own = sorted(p for p in folder(assignment).rglob("*.py")
                 if "tests" not in p.relative_to(folder(assignment)).parts)
    return shared + own
