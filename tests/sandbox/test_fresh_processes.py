"""A fresh process per function: the path CUDA machines take

A process that has initialised CUDA cannot use it in a forked child, and a
student's top-level cell may initialise it (`.cuda()`, `torch.cuda.init()`)
before the per-function forks. So where the grading machine has CUDA, each
function runs in its own student process, forked from the clean template
and replaying the cells, and nothing forks after the cells have run
(grader/ARCHITECTURE.md, "CPU and GPU"). The path itself needs no GPU: it
is tested here on the CPU, with a top-level cell that poisons forks the way
CUDA does (a fork handler that kills every child).
"""
import pytest

from grader.sandbox.launcher import Sandbox, has_cuda

from .corpus import LIMITS, full_marks, grade, markers, needs_isolation, notebook, points

pytestmark = needs_isolation

# every process forked after this cell dies at once, as a CUDA context
# would make a forked child fail its first CUDA call
POISON_FORKS = '''
import os
os.register_at_fork(after_in_child=lambda: os._exit(3))
print("POISONED", os.getpid(), flush=True)
'''
WHERE = '''
import os
_where = os.getpid()
'''
REPORTING_POOL_COST = '''def window_cost(c, h, w, pool_size, stride, padding):
    import os
    print("POOL_COST in", os.getpid(), "cells ran in", _where, flush=True)
'''


@pytest.fixture(scope="module")
def fresh():
    sb = Sandbox(LIMITS, fresh_per_function=True)
    yield sb
    sb.close()


def test_a_student_who_poisons_forks_keeps_full_marks(fresh):
    """A top-level cell that makes every later fork fail (as `.cuda()` at
    the top level does on a GPU machine): every function is still graded"""
    result = grade(fresh, notebook(before=[POISON_FORKS]))
    assert markers(result, "POISONED")
    assert full_marks(result), {k: v.message[:200] for k, v in result.verdicts.items()
                                if not v.passed}


def test_the_same_student_loses_everything_where_functions_are_forked(sandbox):
    """The control: in the fork-per-function path that CPU machines take,
    the poisoned forks kill every function process"""
    result = grade(sandbox, notebook(before=[POISON_FORKS]))
    assert points(result) == 0


def test_each_function_runs_in_a_process_that_ran_the_cells_itself(fresh):
    """The function's process is the one whose cells defined it (the cells
    are replayed there), not a fork of another"""
    from .corpus import SOLUTION_CODE
    code = REPORTING_POOL_COST + "\n".join(SOLUTION_CODE["window_cost"].splitlines()[1:])
    result = grade(fresh, notebook({"window_cost": code}, before=[WHERE]))
    lines = markers(result, "POOL_COST")
    assert lines
    for line in lines:
        words = line.split()
        assert words[2] == words[-1], line  # the same pid ran the cells and the calls
    assert full_marks(result)


def test_a_hang_or_crash_still_costs_only_its_function(fresh):
    """The fresh path keeps the per-function isolation of deadlines and deaths"""
    code = {"local_pool": "def local_pool(X, pool_size, mode='max'):\n    while True:\n        pass\n",
            "window_cost": "def window_cost(c, h, w, pool_size, stride, padding):\n"
                         "    import os\n    os._exit(1)\n"}
    result = grade(fresh, notebook(code))
    assert points(result, "local_pool") == 0 and points(result, "window_cost") == 0
    lost = {k for k, v in result.verdicts.items() if not v.passed}
    assert {k.rsplit("-", 1)[0] for k in lost} == {"local_pool", "window_cost"}


def test_the_fresh_path_is_the_default_exactly_where_there_is_cuda():
    sb = Sandbox(LIMITS)
    try:
        assert sb.fresh_per_function == has_cuda()
    finally:
        sb.close()
