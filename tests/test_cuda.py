"""The CUDA variants: references and the sandbox on a GPU

These run where torch sees a CUDA device (bench/gpu.sh runs them on a GPU
machine) and are skipped elsewhere, with the reason. What can be exercised
without a GPU is tested on the CPU: the fresh-process path the sandbox takes
on CUDA machines (tests/sandbox/test_fresh_processes.py) and the devices
rule with a device that is not the input's (tests/checks).
"""
import pytest
import torch

from grader.checks import check
from grader.checks.aspects import judge
from grader.checks.calls import run_call
from grader import assignments
from grader.checks.specs import ASSIGNMENTS, functions_of
from grader.plan import DEFAULT_SEED, trials

from .practice import ASSIGNMENT

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(
    not torch.cuda.is_available(),
    reason="no CUDA device here (torch.cuda.is_available() is False); the CUDA variants "
           "run on a machine with a GPU (bench/gpu.sh)")]

WITH_DEVICES = [(a, s.name) for a in ASSIGNMENTS for s in functions_of(a)
                if "devices" in s.aspects]


@pytest.mark.parametrize("assignment,name", WITH_DEVICES, ids=[n for _, n in WITH_DEVICES])
def test_reference_passes_its_visible_device_check(assignment, name):
    """Does each reference keep its results on CUDA in the visible check?"""
    check(f"{name}-devices", assignments.reference(name))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_references_pass_every_hidden_check_on_cuda(assignment):
    """Judged against itself on every hidden call on CPU and CUDA, does each
    reference pass every aspect (so a right answer can get full marks)?"""
    plan = trials(assignment, DEFAULT_SEED, ("cpu", "cuda"))
    for spec in functions_of(assignment):
        pairs = plan[spec.name]
        assert any(c.device == "cuda" for c, _ in pairs) or "devices" not in spec.aspects
        triples = [(c, e, run_call(assignments.reference(spec.name), c)) for c, e in pairs]
        for aspect in spec.aspects:
            verdict = judge(spec, aspect, triples)
            assert verdict.passed, verdict.message


def test_a_result_moved_to_the_cpu_loses_devices_on_cuda():
    """A function right on the CPU that returns its result on the CPU for a
    CUDA input: the devices check names the device"""
    def local_pool(X, pool_size, mode="max"):
        return assignments.reference("local_pool")(X, pool_size, mode).cpu()
    with pytest.raises(AssertionError, match="cuda"):
        check("local_pool-devices", local_pool)


def test_the_sandbox_grades_on_cuda():
    """A correct notebook and one whose top-level cell calls `.cuda()` get
    full marks in a sandbox with CUDA; d2l's loop code (no `device=`) loses
    local_pool-devices and nothing else"""
    from grader.sandbox.bwrap import bwrap_works
    if not bwrap_works():
        pytest.skip("needs root and bubblewrap")
    from grader.sandbox.launcher import Sandbox
    from tests.sandbox.corpus import LIMITS, full_marks, notebook
    from grader.grade import grade_notebook
    from bench.gpu_grading import CUDA_AT_TOP, FORGETS_DEVICE
    with Sandbox(LIMITS) as sb:
        assert sb.fresh_per_function
        grade = lambda nb: grade_notebook(nb, ASSIGNMENT, sb, devices=("cpu", "cuda"))
        assert full_marks(grade(notebook()))
        assert full_marks(grade(notebook(before=[CUDA_AT_TOP])))
        result = grade(notebook({"local_pool": FORGETS_DEVICE}))
        lost = {k for k, v in result.verdicts.items() if not v.passed}
        assert lost == {"local_pool-devices"}, lost
