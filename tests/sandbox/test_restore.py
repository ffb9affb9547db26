"""The restore that C runs around every student call, tested on its own:
whatever a student did to the guarded modules and classes is undone, with
the version-tag shortcut and without it (it runs in a child interpreter,
as the harness does, so this test process keeps its modules)"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SCRIPT = r'''
import json, sys
import grader.sandbox.inside.guard as h
import numpy, torch
from grader.checks import calls, wire

h.PRISTINE = h.snapshot()
restore = h.restorer(h.PRISTINE)
if sys.argv[1] == "no-tags":  # as on an interpreter whose tags cannot be read
    restore = h.restorer(h.PRISTINE, tags=False)
real = {"put_tensor": wire._put_tensor, "equal": torch.equal, "allclose": numpy.allclose,
        "len": len, "Tensor.__eq__": torch.Tensor.__eq__}


def attack():
    wire._put_tensor = lambda t, blobs: None         # replaced
    torch.equal = lambda *a: True                    # replaced
    del numpy.allclose                               # deleted
    torch.Tensor.contiguous = lambda self: self      # added: shadows TensorBase's
    torch.Tensor.__eq__ = lambda self, other: True   # replaced on the class
    calls.sorted = lambda ops: ["convolution"]       # added: shadows the builtin
    calls.__getattr__ = lambda name: None            # added dunder
    wire.helper_of_mine = 42                         # added, harmless: kept
    sys.settrace(lambda *a: None)


results = []
for round in range(3):  # the tags remembered after one restore serve the next
    attack()
    restore()
    results.append({
        "put_tensor": wire._put_tensor is real["put_tensor"],
        "equal": torch.equal is real["equal"],
        "allclose": getattr(numpy, "allclose", None) is real["allclose"],
        "contiguous": "contiguous" not in torch.Tensor.__dict__,
        "eq": torch.Tensor.__eq__ is real["Tensor.__eq__"],
        "sorted": "sorted" not in vars(calls),
        "getattr": "__getattr__" not in vars(calls),
        "helper kept": getattr(wire, "helper_of_mine", None) == 42,
        "trace": sys.gettrace() is None,
        "tensors work": bool((torch.ones(2).contiguous() == torch.ones(2)).all()),
    })
    restore()  # nothing changed since: the fast path
print(json.dumps(results))
'''


@pytest.mark.parametrize("mode", ["tags", "no-tags"])
def test_restore_undoes_replaced_deleted_and_added_names(mode):
    out = subprocess.run([sys.executable, "-c", SCRIPT, mode], cwd=REPO, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    rounds = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(rounds) == 3
    for got in rounds:
        assert got == {k: True for k in got}, got


def test_version_tags_are_read_on_this_interpreter():
    """The shortcut is what makes a call cheap: on the CPython this course
    pins it must be in use (else grading is several times slower, silently)"""
    code = ("import grader.sandbox.inside.guard as h; s = h.snapshot(); "
            "print(h._tags_work(), h._tag_views(s) is not None)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    if sys.version_info[:2] not in ((3, 11), (3, 12)):
        pytest.skip(f"dict version tags are read on CPython 3.11 and 3.12 only, "
                    f"not {sys.version.split()[0]}")
    assert out.stdout.split() == ["True", "True"]
