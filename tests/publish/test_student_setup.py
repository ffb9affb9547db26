"""The students' environment: pinned requirements, `make lab`'s install steps, `make check`

A fresh .venv takes minutes and 1.5 GB, so `make check` runs here with
ENV_DIR=<this repository's .venv>: the clone's Makefile then installs nothing and
puts the clone first on the Python path (the lab test in tests/lab does the same).
"""
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from grader.publish import STUDENT_PACKAGES
from tests.publish._students import published_assignments

ROOT = Path(__file__).resolve().parents[2]
ENV_DIR = Path(sys.executable).parent.parent
# The instructors' tools: students need none of them
INSTRUCTORS_ONLY = ["pytest", "pytest-xdist", "hypothesis", "sphinx", "myst-nb",
                    "sphinx-book-theme", "dask", "distributed", "psycopg", "playwright",
                    "jupyter-cache"]


def _pins(text):
    return {line.split("==")[0].lower().replace("_", "-"): line
            for line in text.splitlines() if "==" in line and not line.startswith("#")}


def test_requirements_are_the_lock_s_pins_of_what_students_need(published):
    """Is every requirement pinned as in requirements.lock, every student package there,
    no instructors' tool, and what an extra pulls in (jsonschema[format-nongpl]) too?"""
    lock = _pins((ROOT / "requirements.lock").read_text())
    pins = _pins((published / "requirements.txt").read_text())
    assert pins and all(lock.get(name) == line for name, line in pins.items())
    assert {p.lower() for p in STUDENT_PACKAGES} <= set(pins)
    assert pins["torch"] == "torch==2.13.0"
    assert not set(INSTRUCTORS_ONLY) & set(pins)
    assert {"rfc3987-syntax", "uri-template", "webcolors"} <= set(pins)
    assert (published / "constraints.txt").read_text().split() == ["torch==2.13.0"]
    no_deps = [l for l in (published / "requirements-no-deps.txt").read_text().splitlines()
               if l and not l.startswith("#")]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert no_deps == project["tool"]["course"]["no-deps"]


def _make(*args, cwd):
    return subprocess.run(["make", "--no-print-directory", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_make_lab_installs_through_the_constraints_then_starts_the_lab(students_clone):
    """From a fresh clone, does `make lab` make .venv, install the pinned requirements,
    d2l without its pins, the shim and the checks (all through constraints.txt), check
    the result, and only then start JupyterLab? (`make -n`: printed, not run)"""
    result = _make("-n", "lab", cwd=students_clone)
    assert result.returncode == 0, result.stderr
    lines = [l for l in result.stdout.splitlines() if not l.lstrip().startswith("#")]
    steps = ["python3 -m venv .venv", "-c constraints.txt -r requirements.txt",
             "-c constraints.txt --no-deps -r requirements-no-deps.txt ./vendor/torchvision-shim",
             "-c constraints.txt --no-deps -e .", "bin/python check_setup.py",
             "bin/jupyter lab --config="]
    at = [next((i for i, l in enumerate(lines) if step in l), None) for step in steps]
    assert None not in at and at == sorted(at), (steps, lines)
    assert all("-c constraints.txt" in l for l in lines if "pip install" in l), lines


def test_make_lab_with_an_environment_of_one_s_own_installs_nothing(students_clone):
    """`make lab ENV_DIR=DIR` runs DIR's jupyter, with no install step"""
    result = _make("-n", "lab", "ENV_DIR=/opt/env", cwd=students_clone)
    assert result.returncode == 0, result.stderr
    lines = [l for l in result.stdout.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("/opt/env/bin/jupyter lab --config="), lines


@pytest.mark.slow
def test_make_check_in_a_fresh_clone(students_clone):
    """Does `make check` import everything the course uses, load every published
    example, and import the checks from the clone?"""
    result = _make("check", f"ENV_DIR={ENV_DIR}", cwd=students_clone)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert published_assignments()
    for assignment in published_assignments():
        assert f"\n{assignment}: " in out and " published examples" in out
    assert f"checks from {students_clone / 'grader' / 'checks'}" in out
    assert "PROBLEM" not in out


@pytest.mark.slow
def test_make_check_says_what_is_broken(students_clone, tmp_path):
    """A damaged published example, and checks imported from elsewhere: both named, exit 1"""
    copy = shutil.copytree(students_clone, tmp_path / "course",
                           ignore=shutil.ignore_patterns(".git"))
    damaged = f"{published_assignments()[0]}.json"
    (copy / "grader" / "checks" / "public" / damaged).write_text('{"format": 1}\n')
    result = _make("check", f"ENV_DIR={ENV_DIR}", cwd=copy)
    assert result.returncode != 0
    assert f"PROBLEM: the published examples {damaged} do not load: ValueError" in result.stdout
    # the instructors' environment, without the clone on the path: another grader.checks
    result = subprocess.run([sys.executable, str(copy / "check_setup.py")], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert f"grader.checks is imported from {ROOT / 'grader' / 'checks'}, which differs" \
        in result.stdout
