"""A hostile corpus: the released exercise of the test-only assignment
(tests/practice.py: copies of four of the course's functions under other
names) with the solution's code plus one attack each, graded by
`grade_notebook` in one warm sandbox.

Every test asks three questions of its attack:
- does it GAIN nothing?  the attacked (or wrong) function loses exactly what
  it loses without the attack (`same_points_as`);
- does it HARM nobody?   a correct submission graded next, in the same
  sandbox, gets full marks (`harms_nobody`);
- did its side effect not happen?  (checked per test, on the host)
"""
import copy
import os
import re
import time
from pathlib import Path

import nbformat
import pytest

from grader.course import source_folder
from grader.grade import grade_notebook
from grader.plan import DEFAULT_SEED
from grader.sandbox.bwrap import UID_BASE, bwrap_works
from grader.sandbox.limits import Limits

from ..practice import ASSIGNMENT, RELEASED as RELEASE

REPO = Path(__file__).resolve().parents[2]
SOLUTION = source_folder(ASSIGNMENT) / f"{ASSIGNMENT}.ipynb"

# Small limits keep the suite quick; every hostile test stays well inside them
LIMITS = Limits(memory_mb=2048, sandbox_memory_mb=4096, cell_seconds=3, call_seconds=2,
                function_seconds=10, notebook_seconds=60, processes=32, file_mb=16,
                scratch_mb=64, result_mb=16, restarts=4)

# A wrong local_pool: right shape and dtype, wrong numbers, no gradient, no ValueError
WRONG_POOL2D = '''def local_pool(X, pool_size, mode='max'):
    p_h, p_w = pool_size
    return torch.zeros(X.shape[0] - p_h + 1, X.shape[1] - p_w + 1, dtype=X.dtype,
                       device=X.device)
'''

needs_isolation = pytest.mark.skipif(not bwrap_works(),
                                     reason="needs root and bubblewrap: the isolation "
                                            "is what this test checks")


def _strip(source):
    return "\n".join(line for line in source.splitlines()
                     if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)


def solution_code():
    """{function: the solution cell's code, markers stripped}"""
    nb = nbformat.read(str(SOLUTION), as_version=4)
    code = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution"):
            code[meta["grade_id"].rsplit("-", 1)[0]] = _strip(cell.source)
    return code


SOLUTION_CODE = solution_code()
RIGHT_POOL2D = SOLUTION_CODE["local_pool"].replace("def local_pool(", "def _local_pool_right(", 1)

# A local_pool that computes the right numbers but scribbles on its input after
IN_PLACE_POOL2D = RIGHT_POOL2D + '''


def local_pool(X, pool_size, mode='max'):
    kept = X.detach().clone()  # what an attack may want to show instead
    Y = _local_pool_right(X, pool_size, mode)
    with torch.no_grad():
        X.mul_(-1).add_(7)
    return Y
'''


_RELEASE = []


def _release():
    """The released notebook, read once (`grader release` may be rewriting it)"""
    for _ in range(100):
        if _RELEASE:
            break
        try:
            _RELEASE.append(nbformat.read(str(RELEASE), as_version=4))
        except (OSError, ValueError):
            time.sleep(0.1)
    return copy.deepcopy(_RELEASE[0])


def notebook(code=None, before=(), after=(), edit=None):
    """The released exercise holding the solution code, with `code`
    ({function: source}) replacing some solutions, `before` cells run right
    after the imports, `after` cells at the end, and `edit(nb)` for anything
    else"""
    nb = _release()
    chosen = dict(SOLUTION_CODE, **(code or {}))
    setup = None
    for i, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code":
            continue
        if meta.get("solution"):
            cell.source = chosen[meta["grade_id"].rsplit("-", 1)[0]]
        elif setup is None and not meta:
            setup = i
    for k, source in enumerate(before):
        nb.cells.insert(setup + 1 + k, nbformat.v4.new_code_cell(source))
    for source in after:
        nb.cells.append(nbformat.v4.new_code_cell(source))
    if edit:
        edit(nb)
    return nb


def grade(sandbox, nb):
    return grade_notebook(nb, ASSIGNMENT, sandbox, seed=DEFAULT_SEED, devices=("cpu",))


def points(result, function=None):
    return sum(v.points for k, v in result.verdicts.items()
               if function is None or k.rsplit("-", 1)[0] == function)


def passed(result):
    return {k for k, v in result.verdicts.items() if v.passed}


def full_marks(result):
    return {k for k, v in result.verdicts.items() if not v.passed} == set()


def gains_nothing(result, reference, function=None):
    """The attack gained nothing: no grade cell passes that fails without it,
    and the attacked function has no more points than without the attack"""
    gained = passed(result) - passed(reference)
    assert not gained, f"the attack earned {sorted(gained)}"
    if function is not None:
        assert points(result, function) <= points(reference, function)
    return True


def others_full(result, *functions):
    """Every function but these kept all its points"""
    lost = {k for k, v in result.verdicts.items()
            if not v.passed and k.rsplit("-", 1)[0] not in functions}
    assert not lost, f"functions the attack did not touch lost {sorted(lost)}"


def host_processes(min_uid=UID_BASE):
    """[(pid, uid, cmdline)] of the host's processes with uid >= min_uid"""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            uid = os.stat(f"/proc/{name}").st_uid
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
            with open(f"/proc/{name}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0].decode()
        except (OSError, IndexError):
            continue
        if uid >= min_uid and state not in ("Z", "X"):
            out.append((int(name), uid, cmd))
    return out


def markers(result, prefix):
    """Lines the attack printed that start with prefix"""
    return re.findall(rf"^{prefix}\S*.*$", result.output.text, re.M)


