"""An assignment is one folder and one notebook: `grader new` makes one that
releases, grades, gives feedback, exports and reports at once

The new assignment lives in a root of its own in tmp_path (an extra root,
laid out as this repository is: assignments/<a>/, solutions/<a>/), so the
repository is not touched; every step runs as the instructor runs it, with
the `grader` command.
"""
import csv
import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from grader.course import REPO
from grader.sample import MARKERS

NAME = "sprout"
FUNCTION = f"{NAME}_example"


def _env(root):
    env = dict(os.environ)
    env["GRADER_EXTRA_ROOTS"] = os.pathsep.join([str(root), env.get("GRADER_EXTRA_ROOTS", "")])
    env["PATH"] = f"{os.path.dirname(sys.executable)}{os.pathsep}{env.get('PATH', '')}"
    return env


def grader(root, *args, timeout=600):
    done = subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=REPO,
                          env=_env(root), capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"grader {' '.join(map(str, args))}:\n{done.stderr[-3000:]}"
    return done.stdout


def _submit(course, root, student, body):
    """The released notebook with `body` as the function's solution"""
    nb = nbformat.read(root / "exercises" / NAME / f"{NAME}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == f"{FUNCTION}-solution":
            cell.source = body
    folder = course / "submitted" / student / NAME
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC")
    nbformat.write(nb, folder / f"{NAME}.ipynb")


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory):
    root = tmp_path_factory.mktemp("root")
    said = grader(root, "new", NAME, "--root", root)
    written = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert written == [f"assignments/{NAME}/__init__.py", f"assignments/{NAME}/{FUNCTION}.py",
                       f"assignments/{NAME}/tests/__init__.py",
                       f"assignments/{NAME}/tests/test_{FUNCTION}.py",
                       f"solutions/{NAME}/{NAME}.ipynb"], written
    assert f"grader release {NAME}" in said
    grader(root, "release", NAME)
    return root


@pytest.mark.slow
def test_a_new_assignment_goes_from_release_to_report(scaffolded, tmp_path):
    """Does the scaffolded assignment release, and does a correct submission
    get every point and a wrong one lose `values`, through autograde,
    feedback, export and the class report?"""
    root = scaffolded
    public = json.loads((root / "public" / f"{NAME}.json").read_text())
    assert [s["name"] for s in public["specs"]] == [FUNCTION]
    released = (root / "exercises" / NAME / f"{NAME}.ipynb").read_text()
    assert "BEGIN SOLUTION" not in released and "check_all" not in released
    source = nbformat.read(root / "solutions" / NAME / f"{NAME}.ipynb", as_version=4)
    model = next(c.source for c in source.cells
                 if c.metadata.get("nbgrader", {}).get("grade_id") == f"{FUNCTION}-solution")
    course = tmp_path / "course"
    _submit(course, root, "right", MARKERS.sub("", model))
    _submit(course, root, "relu", f"def {FUNCTION}(X, slope=0.01):\n"
                                  f"    if slope < 0:\n        raise ValueError(slope)\n"
                                  f"    return torch.relu(X)\n")
    grader(root, "autograde", NAME, "--course", course, "--workers", 1, "--quiet")
    grader(root, "feedback", NAME, "--course", course)
    grader(root, "export", "--course", course, "--to", course / "grades.csv",
           "--assignment", NAME)
    grader(root, "report", "--course", course, "--to", course / "report.html",
           "--assignment", NAME)
    with open(course / "grades.csv") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f) if r["assignment"] == NAME}
    points = sum(p for _, p in public["specs"][0]["aspects"])
    devices = dict(public["specs"][0]["aspects"]).get("devices", 0)   # cpu-only course
    assert float(rows["right"][FUNCTION]) == points - devices
    assert float(rows["relu"][FUNCTION]) < points - devices
    relu = (course / "feedback" / "relu" / NAME / f"{NAME}.html").read_text()
    assert f"{FUNCTION}-values" in relu and "expected" in relu
    assert (course / "report.html").read_text().count(FUNCTION) >= 1


def test_the_new_assignment_corpus_passes(scaffolded):
    """Does the scaffolded corpus test pass as `make test` runs it?"""
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(scaffolded / "assignments" / NAME / "tests")], cwd=REPO,
                          env=_env(scaffolded), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:]


def test_adding_a_function_touches_three_files(scaffolded, tmp_path):
    """Does `grader new A --function F` write F's module and test and change
    only the notebook, and does the release then grade F?"""
    root = tmp_path / "root"
    shutil.copytree(scaffolded, root)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    grader(root, "new", NAME, "--function", "bud", "--root", root)
    after = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    touched = sorted(p.relative_to(root).as_posix() for p in after
                     if before.get(p) != after[p])
    assert touched == [f"assignments/{NAME}/bud.py", f"assignments/{NAME}/tests/test_bud.py",
                       f"solutions/{NAME}/{NAME}.ipynb"], touched
    grader(root, "release", NAME)
    public = json.loads((root / "public" / f"{NAME}.json").read_text())
    assert [s["name"] for s in public["specs"]] == [FUNCTION, "bud"]



@pytest.mark.parametrize("assignment, function", [
    ("Bloom", None), ("bloom-2", None), ("class", None), ("_bloom", None), ("tests", None),
    ("bloom", "chapter"), ("bloom", "sample_class"), ("bloom", "calls"), ("bloom", "2d"),
])
def test_a_name_that_would_clash_is_refused(assignment, function, tmp_path):
    """Does `grader new` refuse a name that is not a module name, or that
    would take the place of a shared module or of the chapter's test
    (test_chapter.py), and write nothing?"""
    from grader.scaffold import ScaffoldError, new
    with pytest.raises(ScaffoldError, match="must be a lowercase Python identifier"):
        new(assignment, function, root=tmp_path)
    assert not any(tmp_path.rglob("*"))


def test_the_command_says_why_a_name_is_refused(tmp_path):
    done = subprocess.run([sys.executable, "-m", "grader", "new", "bloom", "--function",
                           "chapter", "--root", str(tmp_path)], cwd=REPO, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "'chapter' must be a lowercase Python identifier" in \
        done.stderr and "Traceback" not in done.stderr, (done.returncode, done.stderr)
