"""`grader new ASSIGNMENT`: a new assignment, ready to release and grade

Writes the assignment's folder and its source notebook (docs/authoring.md):

    grader/assignments/<assignment>/__init__.py          docstring, POSITION
    grader/assignments/<assignment>/<function>.py        one example function
    grader/assignments/<assignment>/tests/test_<function>.py   its corpus
    solutions/<assignment>/<assignment>.ipynb            text, solution, marker

so that `grader release <assignment>` and a whole autograde run work at once.
The example function is a leaky ReLU with a ValueError in its contract: it
shows every part of a function's module. `add_function` adds one more
function to an existing assignment the same way (module, test, and its
cells at the end of the notebook).
"""
import keyword
import textwrap
from pathlib import Path

import nbformat

from grader.checkcells import marker_cell
from grader.course import REPO

# names a new assignment or function may not take: the shared modules of
# grader/assignments/ and what Python reserves
RESERVED = {"args", "calls", "corpus", "spec", "testing", "tests", "sample_class",
            "chapter"}  # test_chapter.py pins the chapter

INIT = '''"""{title}"""

POSITION = {position}  # where it comes in the course (reports, exports)
'''

MODULE = '''"""{function}(X, slope=0.01): leaky ReLU

X (any shape) -> Y, the same shape: Y = X where X > 0, slope * X elsewhere.
slope must be >= 0, else ValueError. The result keeps X's dtype and device,
is differentiable, and X is left unchanged.
"""
import torch

from grader.assignments.calls import error_call, grad_calls, magnitudes, rand, tensor_calls
from grader.assignments.spec import Spec, tensor_aspects

# the aspects and their points: the only place they are written
SPEC = Spec(tensor_aspects(errors=1))

F64 = torch.float64


def reference(X, slope=0.01):
    """The reference: its signature is the one the student implements"""
    if slope < 0:
        raise ValueError(f"slope must be >= 0, got {{slope}}")
    return torch.where(X > 0, X, slope * X)


def public():
    """The worked examples the student sees in the notebook's checks"""
    X = torch.tensor([[-2.0, -0.5, 1.0], [0.5, 3.0, -1.0]], dtype=F64)
    return tensor_calls((X,)) + tensor_calls((X, 0.5)) + [error_call((X, -1.0))]


def hidden(rng):
    """The hidden cases, drawn from rng (a generator of this function's own)"""
    calls = []
    for i, shape in enumerate([(3,), (2, 5), (4, 3), (2, 3, 4), (1, 6), (5, 2)]):
        slope = [0.01, 0.0, 0.2, 1.0, 0.5, 0.1][i]
        calls += tensor_calls((rand(rng, shape), slope), noncontig=i % 2 == 1)
        calls += tensor_calls((rand(rng, shape, "large"), slope), grad=False)
    calls += [error_call((rand(rng, (2, 3)), s)) for s in (-0.01, -1.0)]
    # gradients where the numbers are huge or tiny, in float32 and float64
    for scale in (1e15, 1e-15):
        calls += grad_calls((magnitudes(rng, (3, 4), scale), 0.1))
    return calls
'''

TEST = '''"""{function}: answers in several styles earn every point, plausible wrong
ones lose the aspects they should, effort-free stubs earn nothing"""
import pytest

from grader.assignments.corpus import check, correct, tensor_stubs, wrong

CORRECT = [
    correct("{function}", "torch.where", """
        def {function}(X, slope=0.01):
            if slope < 0:
                raise ValueError(slope)
            return torch.where(X > 0, X, slope * X)
    """),
    correct("{function}", "F.leaky_relu", """
        def {function}(X, slope=0.01):
            if slope < 0:
                raise ValueError(f"slope must be >= 0, got {{slope}}")
            return F.leaky_relu(X, slope)
    """),
    correct("{function}", "a mask", """
        def {function}(X, slope=0.01):
            if slope < 0:
                raise ValueError("negative slope")
            positive = (X > 0).to(X.dtype)
            return X * positive + slope * X * (1 - positive)
    """),
]

WRONG = [
    wrong("{function}", "slope ignored: a ReLU", "values", """
        def {function}(X, slope=0.01):
            if slope < 0:
                raise ValueError(slope)
            return torch.relu(X)
    """, may="shape dtype devices grad unchanged errors"),
    wrong("{function}", "float32 forced", "dtype", """
        def {function}(X, slope=0.01):
            if slope < 0:
                raise ValueError(slope)
            X = X.float()
            return torch.where(X > 0, X, slope * X)
    """),
    wrong("{function}", "a negative slope accepted", "errors", """
        def {function}(X, slope=0.01):
            return torch.where(X > 0, X, slope * X)
    """),
    wrong("{function}", "in place", "unchanged", """
        def {function}(X, slope=0.01):
            if slope < 0:
                raise ValueError(slope)
            return X.mul_(torch.where(X > 0, 1.0, slope))
    """, may="grad"),
]

HEADER = "    shape, like = X.shape, X\\n"
STUBS = tensor_stubs("{function}", HEADER, "X.clone()")


@pytest.mark.parametrize("answer", CORRECT + WRONG + STUBS, ids=str)
def test_answer(answer):
    """Does the answer earn what it should (corpus.check)?"""
    check(answer)
'''

INTRO = """# Assignment: {assignment}

Implement the functions below. Every function you write is checked twice:
by the visible check under it (run it as often as you like) and, when you
submit, by hidden checks that compare it with a reference on many generated
inputs: other shapes, float32 and float64, non-contiguous inputs, every
device the grader has, and gradients. The rules every function follows
(dtype, device, gradients, arguments, errors) are in
[docs/contract.md](../../docs/contract.md).

Run the cell below first."""

SETUP = """import torch
from torch import nn
from torch.nn import functional as F

from grader.checks import check"""

TEXT = """## {number}. `{function}`: leaky ReLU

`{function}(X, slope=0.01)` returns `X` where `X > 0` and `slope * X`
elsewhere, with the shape, dtype and device of `X`. A negative `slope`
raises `ValueError`.

For `X = [[-2, -0.5, 1], [0.5, 3, -1]]`, `{function}(X, 0.5)` is
`[[-1, -0.25, 1], [0.5, 3, -0.5]]`."""

SOLUTION = """def {function}(X, slope=0.01):
    \"\"\"X (any shape) -> the same shape: X where X > 0, slope * X elsewhere\"\"\"
    ### BEGIN SOLUTION
    if slope < 0:
        raise ValueError(f"slope must be >= 0, got {{slope}}")
    return torch.where(X > 0, X, slope * X)
    ### END SOLUTION"""


class ScaffoldError(ValueError):
    """The name is taken or not usable; nothing was written"""


def check_name(name, what):
    if not name.isidentifier() or keyword.iskeyword(name) or not name.islower() \
            or name.startswith("_") or name in RESERVED:
        raise ScaffoldError(f"{what} {name!r} must be a lowercase Python identifier (letters, "
                            f"digits, underscores) and none of {', '.join(sorted(RESERVED))}")


def _paths(root, assignment):
    root = Path(root)
    hidden = (root / "grader" / "assignments" if root == REPO else root / "assignments")
    return hidden / assignment, root / "solutions" / assignment


def new(assignment, function=None, *, root=REPO):
    """Write a new assignment with one example function; return the files"""
    function = function or f"{assignment}_example"
    check_name(assignment, "an assignment's name")
    check_name(function, "a function's name")
    folder, sources = _paths(root, assignment)
    for path in (folder, sources):
        if path.exists():
            raise ScaffoldError(f"{path} exists already: pick another name")
    _taken(function)
    (folder / "tests").mkdir(parents=True)
    written = [folder / "__init__.py", folder / "tests" / "__init__.py"]
    written[0].write_text(INIT.format(title=f"{assignment}: (say what it covers)",
                                      position=_next_position()))
    written[1].write_text("")
    written += _function_files(folder, function)
    sources.mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [_locked_md("intro", INTRO.format(assignment=assignment)),
                _locked_md("setup-text", "The imports every cell below uses, and the checks."),
                _code("setup", SETUP)] + _function_cells(function, 1)
    path = sources / f"{assignment}.ipynb"
    nbformat.write(nb, path)
    return written + [path]


def add_function(assignment, function, *, root=REPO):
    """Add the example function under another name to an existing
    assignment: its module, its test, and its cells at the end of the
    notebook; return the files written or changed"""
    check_name(function, "a function's name")
    folder, sources = _paths(root, assignment)
    path = sources / f"{assignment}.ipynb"
    if not folder.is_dir() or not path.exists():
        raise ScaffoldError(f"no assignment {assignment!r} in {folder.parent} with a source "
                            f"notebook {path}")
    _taken(function)
    (folder / "tests").mkdir(exist_ok=True)
    written = _function_files(folder, function)
    nb = nbformat.read(path, as_version=4)
    number = sum(1 for c in nb.cells if c.metadata.get("grader", {}).get("checks")) + 1
    nb.cells += _function_cells(function, number)
    nbformat.write(nb, path)
    return written + [path]


def _taken(function):
    from grader import assignments
    try:
        where = assignments.assignment_of(function)
    except ValueError:
        return
    raise ScaffoldError(f"a function {function!r} is graded in {where} already: grade ids "
                        f"and the checks name functions, so names are unique")


def _next_position():
    from grader import assignments
    return max([assignments.position(a) for a in assignments.names()
                if assignments.position(a) < 1 << 20] + [0]) + 1


def _function_files(folder, function):
    module, test = folder / f"{function}.py", folder / "tests" / f"test_{function}.py"
    for path in (module, test):
        if path.exists():
            raise ScaffoldError(f"{path} exists already")
    module.write_text(MODULE.format(function=function))
    test.write_text(TEST.format(function=function))
    return [module, test]


def _function_cells(function, number):
    return [_locked_md(f"{function}-text", TEXT.format(function=function, number=number)),
            _solution(f"{function}-solution", SOLUTION.format(function=function)),
            marker_cell(function)]


def _meta(cell, **nbgrader):
    cell.metadata["nbgrader"] = dict(nbgrader, schema_version=3)
    return cell


def _locked_md(grade_id, text):
    cell = nbformat.v4.new_markdown_cell(textwrap.dedent(text))
    cell.id = grade_id
    return _meta(cell, grade=False, solution=False, locked=True, grade_id=grade_id)


def _solution(grade_id, text):
    cell = nbformat.v4.new_code_cell(text)
    cell.id = grade_id
    return _meta(cell, grade=False, solution=True, locked=False, grade_id=grade_id)


def _code(cell_id, text):
    cell = nbformat.v4.new_code_cell(text)
    cell.id = cell_id
    return cell
