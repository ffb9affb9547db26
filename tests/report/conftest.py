"""One small graded class for every report test, built once per session

Four of the bundled sample students, graded for real (sandbox, nbgrader):
ada (all correct, written answers given), alan (the d2l book's loop code:
loses dtype and errors on its first function), guido (a function that never
returns: a timeout) and niklaus (a corrupt file). The rubric cells are added
to the autograded notebooks as record.py does, then the feedback pages, the
exports and the class report are written once.
"""
import shutil
from pathlib import Path

import nbformat
import pytest

from grader.checks.specs import functions_of
from grader.course import release_folder
from grader.notebooks import nbgrader_meta
from grader.rubrics import is_manual
from grader.sample import default_assignment, students

A = default_assignment()  # the assignment with the sample class

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "build" / "artifacts"
STUDENTS = ("ada", "alan", "guido", "niklaus")

SPECS = {s.name: s for s in functions_of(A)}   # in notebook order
FUNCTIONS = list(SPECS)


def loses(student):
    """What the sample class says the student loses: {function: [aspects]},
    or "all" (read as exact for these four: the listed aspects, no other)"""
    return students(A)[student]["loses"]


def fails(student, function, aspect):
    """Does the student lose this check? (not for the function that hangs:
    a call that never returns loses every aspect of its function)"""
    found = loses(student)
    return found == "all" or aspect in found.get(function, ())


def counted(spec):
    """{aspect: points} that count on this cpu-only course (`devices` is
    worth 0 there)"""
    return {a: p for a, p in spec.aspects.items() if a != "devices"}


# alan (the d2l book's loop code) loses these aspects of one function
FUNCTION, LOST = next(iter(loses("alan").items()))
# guido's function never returns
HANGS = next(iter(loses("guido")))


def _written_answers():
    """{grade_id: points} of the written answers, in notebook order"""
    nb = nbformat.read(release_folder(A) / f"{A}.ipynb", as_version=4)
    return {nbgrader_meta(c)["grade_id"]: nbgrader_meta(c)["points"]
            for c in nb.cells if is_manual(c)}


ANSWERS = _written_answers()
MAX_SCORE = sum(sum(counted(s).values()) for s in SPECS.values()) + sum(ANSWERS.values())


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    """A graded course directory (submitted/, autograded/, gradebook.db)"""
    from grader.autograde import autograde
    from grader.rubrics import add_rubrics
    from grader.sample import build
    everyone = tmp_path_factory.mktemp("sample-class")
    build(everyone, A)
    course = tmp_path_factory.mktemp("course")
    for name in STUDENTS:
        shutil.copytree(everyone / "submitted" / name, course / "submitted" / name)
    summary = autograde(A, course, workers=1, quiet=True)
    assert sorted(summary.graded) == sorted(STUDENTS), summary
    for name in STUDENTS:  # what record.py does once add_rubrics is wired in
        path = course / "autograded" / name / A / f"{A}.ipynb"
        nb = nbformat.read(path, as_version=4)
        nbformat.write(add_rubrics(nb, A), path)
    return course


@pytest.fixture(scope="session")
def pages(course):
    """{student: feedback HTML text}"""
    from grader.feedback import feedback
    paths = feedback(A, course)
    return {p.parts[-3]: p.read_text(encoding="utf-8") for p in paths}


@pytest.fixture(scope="session")
def report_page(course):
    from grader.report import report
    return report(course, to=course / "report.html")
