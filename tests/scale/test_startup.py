"""Start-up that every grading process pays: kept to what grading needs"""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_tracing_and_gradients_import_neither_dynamo_nor_sympy():
    """Recording the aten ops of a call (the `structure` aspect) goes
    through a TorchDispatchMode, which torch wraps in torch._dynamo.disable
    unless told not to (1.2 s to import); autograd.grad with an upstream
    gradient checks its shape with torch's symbolic shapes, which import
    sympy (0.4 s). Both would be paid by the forkserver and by every
    sandbox. Building the plans of every assignment (which traces and
    takes gradients) must import neither."""
    code = ("import sys, torch; from grader.plan import trials; "
            "from grader.checks.specs import assignments; [trials(a) for a in assignments()]; "
            "print('torch._dynamo' in sys.modules, 'sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split()[-2:] == ["False", "False"]
