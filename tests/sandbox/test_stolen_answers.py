"""Stolen answers: can a submission read the hidden tests, the references,
the solutions, another student's work or the gradebook?

The sandbox mounts the system and the Python environment read-only and, of
the grader, only a staged copy of the public `grader.checks` package; the
repository, the course directory and the host's /tmp are not there at all.
"""
import hashlib

from grader import assignments

from .corpus import (ASSIGNMENT, RELEASE, REPO, SOLUTION, WRONG_POOL2D, gains_nothing, grade, markers, needs_isolation,
                     notebook)

pytestmark = needs_isolation


def _paths(attack):
    """The attack's code with the repository's paths filled in"""
    return (attack.replace("{repo}", str(REPO)).replace("{solution}", str(SOLUTION))
            .replace("{release}", str(RELEASE))
            .replace("{hidden}", str(assignments.folder(ASSIGNMENT)))
            .replace("{module}", f"grader.assignments.{ASSIGNMENT}.local_pool"))

STEAL_MODULES = '''
import glob, importlib, importlib.util, os, sys
stolen = None
for name in ("grader.assignments", "grader.plan", "grader.instructor", "{module}",
             "grader.grade", "grader.sandbox.launcher"):
    try:
        module = importlib.import_module(name)
        print("STOLEN import", name, flush=True)
        stolen = stolen or getattr(module, "reference", None)
    except Exception as exc:
        print("BLOCKED import", name, type(exc).__name__, flush=True)
# the instructor's editable install: put its finder back and try again
for site in [p for p in sys.path if p.endswith("site-packages")]:
    for path in glob.glob(os.path.join(site, "__editable__*finder.py")):
        spec = importlib.util.spec_from_file_location("_finder", path)
        finder = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(finder)
        finder.install()
        for key in [k for k in sys.modules if k == "grader" or k.startswith("grader.")]:
            del sys.modules[key]
        try:
            module = importlib.import_module("{module}")
            print("STOLEN finder", path, flush=True)
            stolen = stolen or module.reference
        except Exception as exc:
            print("BLOCKED finder", type(exc).__name__, flush=True)
# by file name, wherever the repository is
for path in ["{hidden}/local_pool.py", "{repo}/grader/assignments/__init__.py"]:
    try:
        spec = importlib.util.spec_from_file_location("_stolen", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print("STOLEN file", path, flush=True)
    except Exception as exc:
        print("BLOCKED file", path, type(exc).__name__, flush=True)
if stolen:
    local_pool = stolen
'''


def test_hidden_grader_modules_cannot_be_imported(sandbox, baseline, harms_nobody):
    """Importing grader.assignments (references and hidden cases), a
    function's module, grader.plan or grader.instructor, directly, by
    reinstalling the editable install's finder, or by file name"""
    attack = _paths(STEAL_MODULES)
    result = grade(sandbox, notebook({"local_pool": WRONG_POOL2D}, after=[attack]))
    assert not markers(result, "STOLEN"), markers(result, "STOLEN")
    assert len(markers(result, "BLOCKED import")) == 6
    assert len(markers(result, "BLOCKED file")) == 2
    gains_nothing(result, baseline({"local_pool": WRONG_POOL2D}), "local_pool")
    harms_nobody()


READ_REPO = '''
import os
for path in ["{solution}", "{hidden}/local_pool.py",
             "{repo}/grader/assignments/calls.py", "{release}",
             "/opt/grader/grader/assignments/__init__.py", "/opt/grader/grader/plan.py"]:
    try:
        with open(path) as f:
            print("STOLEN read", path, len(f.read()), flush=True)
    except OSError as exc:
        print("BLOCKED read", path, type(exc).__name__, flush=True)
for root in ["{repo}", "/opt/grader/grader"]:
    try:
        print("LISTED", root, sorted(os.listdir(root)), flush=True)
    except OSError as exc:
        print("BLOCKED list", root, type(exc).__name__, flush=True)
'''


def test_repository_and_solutions_are_not_visible(sandbox, harms_nobody):
    """Reading the solutions, references and hidden cases from the
    repository (or next to the staged public package)"""
    result = grade(sandbox, notebook(after=[_paths(READ_REPO)]))
    assert not markers(result, "STOLEN"), markers(result, "STOLEN")
    assert len(markers(result, "BLOCKED read")) == 6
    listed = "\n".join(markers(result, "LISTED"))
    for secret in ("solutions", "assignments", "instructor.py", "plan.py", "grade.py"):
        assert f"'{secret}" not in listed, listed
    harms_nobody()


READ_COURSE = '''
import os
for path in ["{alice}", "{gradebook}"]:
    try:
        with open(path, "rb") as f:
            print("STOLEN read", path, f.read()[:200], flush=True)
    except OSError as exc:
        print("BLOCKED read", path, type(exc).__name__, flush=True)
    try:
        with open(path, "ab") as f:
            f.write(b"TAMPERED")
        print("STOLEN write", path, flush=True)
    except OSError as exc:
        print("BLOCKED write", path, type(exc).__name__, flush=True)
for top in ["/tmp", "/home", "/root", "/srv", "/var", "/mnt", "/work"]:
    for root, dirs, files in os.walk(top):
        for name in files:
            try:
                with open(os.path.join(root, name), "rb") as f:
                    if b"SECRET-" in f.read(1 << 20):
                        print("STOLEN found", os.path.join(root, name), flush=True)
            except OSError:
                pass
'''


def test_other_students_and_gradebook_cannot_be_read(sandbox, tmp_path, harms_nobody):
    """A course directory on the grading host holds another student's
    submission and the gradebook: can the notebook open, find or change
    them?"""
    course = tmp_path / "course"
    alice = course / "submitted" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    alice.parent.mkdir(parents=True)
    alice.write_text('{"cells": [], "note": "SECRET-ALICE"}')
    gradebook = course / "gradebook.db"
    gradebook.write_bytes(b"SQLite format 3\0 SECRET-GRADES")
    for path in (course, *course.rglob("*")):
        path.chmod(0o777 if path.is_dir() else 0o666)  # even world-writable
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (alice, gradebook)}
    attack = READ_COURSE.replace("{alice}", str(alice)).replace("{gradebook}", str(gradebook))
    result = grade(sandbox, notebook(after=[attack]))
    assert not markers(result, "STOLEN"), markers(result, "STOLEN")
    assert len(markers(result, "BLOCKED read")) == 2
    assert "SECRET-" not in result.output.text
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (alice, gradebook)}
    assert after == before
    harms_nobody()
