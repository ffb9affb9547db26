"""The set-up: pinned packages, conda and pip agreeing, d2l importable"""
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _pyproject():
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def _conda_pip_list():
    lines = (REPO / "environment.yml").read_text().splitlines()
    start = next(i for i, l in enumerate(lines) if l.strip() == "- pip:")
    return [l.strip()[2:].strip() for l in lines[start + 1:] if l.strip().startswith("- ")]


def test_conda_and_pip_list_the_same_packages():
    """Does environment.yml list exactly pyproject.toml's dependencies?"""
    assert sorted(_conda_pip_list()) == sorted(_pyproject()["project"]["dependencies"])


def test_every_dependency_is_pinned_and_locked():
    """Is every dependency pinned with ==, and at that version in requirements.lock?"""
    lock = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            lock[name.lower().replace("_", "-")] = version.strip()
    for dep in _pyproject()["project"]["dependencies"]:
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[a-z,]+\])?==([0-9][^ ]*)", dep)
        assert m, f"{dep} is not pinned with =="
        name = m.group(1).lower().replace("_", "-")
        assert lock.get(name) == m.group(3), f"{dep} differs from requirements.lock"


def test_torch_is_held_by_the_constraints_file():
    """Does every install in the Makefile go through constraints.txt pinning torch?"""
    assert (REPO / "constraints.txt").read_text().split() == ["torch==2.13.0"]
    make = (REPO / "Makefile").read_text()
    assert "-c constraints.txt" in make
    assert "torch==2.13.0" in [l.strip() for l in (REPO / "requirements.lock").read_text().splitlines()]


def test_d2l_is_installed_without_its_pins():
    """Is d2l listed as a no-deps install, and installed that way by the Makefile?"""
    assert _pyproject()["tool"]["course"]["no-deps"] == ["d2l==1.0.3"]
    assert re.search(r"--no-deps d2l==1\.0\.3", (REPO / "Makefile").read_text())


def test_d2l_imports_without_downgrading_the_stack():
    """Does `from d2l import torch as d2l` work, next to numpy 2 and matplotlib 3.11?"""
    code = ("from d2l import torch as d2l; import numpy, matplotlib, torch; "
            "X = torch.arange(9.).reshape(3, 3); K = torch.ones(2, 2); "
            "print(numpy.__version__, matplotlib.__version__, d2l.corr2d(X, K).tolist())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    numpy_v, mpl_v, values = out.stdout.split(" ", 2)
    assert int(numpy_v.split(".")[0]) >= 2 and mpl_v.startswith("3.11")
    assert values.strip() == "[[8.0, 12.0], [20.0, 24.0]]"


def test_the_torchvision_stand_in_explains_itself():
    """Does reaching for a torchvision data set raise an error that says why?"""
    import torchvision
    if not getattr(torchvision, "IS_SHIM", False):
        pytest.skip("a real torchvision is installed")
    with pytest.raises(ImportError, match="no CPU|CUDA build"):
        torchvision.datasets.FashionMNIST
