"""The released exercises: in sync with solutions/, and nothing hidden in them"""
import json

import nbformat
import pytest

from grader.checks import public
from grader.checks.specs import ASSIGNMENTS, functions_of
from grader.course import EXERCISES, SOLUTIONS
from grader.release import generate

RELEASED = [a for a in ASSIGNMENTS if (SOLUTIONS / a).is_dir()]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    out = tmp_path_factory.mktemp("release")
    for a in RELEASED:
        generate(a, out)
    return out


def test_pooling_is_released():
    """Is there a released pooling exercise at all?"""
    assert "pooling" in RELEASED and (EXERCISES / "pooling" / "pooling.ipynb").exists()


@pytest.mark.parametrize("assignment", RELEASED)
def test_released_copy_is_in_sync(assignment, fresh):
    """Is exercises/<a> exactly what releasing solutions/<a> produces now?"""
    for path in sorted((SOLUTIONS / assignment).glob("*.ipynb")):
        committed = json.loads((EXERCISES / assignment / path.name).read_text())
        made = json.loads((fresh / assignment / path.name).read_text())
        assert committed == made, f"exercises/{assignment}/{path.name} is stale: run `grader release`"


@pytest.mark.parametrize("assignment", RELEASED)
def test_released_copy_has_no_solution_and_no_hidden_test(assignment):
    """Are solution regions, model answers and hidden tests all gone?"""
    for path in (EXERCISES / assignment).glob("*.ipynb"):
        text = path.read_text()
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "hidden=True",
                       "Model answer", "Rubric"):
            assert marker not in text, f"{marker!r} leaked into {path}"


@pytest.mark.parametrize("assignment", RELEASED)
def test_every_aspect_has_its_grade_cell(assignment):
    """Does each function have one test cell per aspect, named <function>-<aspect>,
    with the points of the spec, and a solution cell to fill in?"""
    nb = nbformat.read(EXERCISES / assignment / f"{assignment}.ipynb", as_version=4)
    cells = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if "nbgrader" in c.metadata}
    for spec in functions_of(assignment):
        assert f"{spec.name}-solution" in cells
        stub = cells[f"{spec.name}-solution"].source
        assert "raise NotImplementedError()" in stub and f"def {spec.name}(" in stub
        for aspect, points in spec.aspects.items():
            cell = cells[spec.grade_id(aspect)]
            assert cell.metadata["nbgrader"]["points"] == points
            assert cell.metadata["nbgrader"]["grade"] and not cell.metadata["nbgrader"]["solution"]
            assert f"check({spec.grade_id(aspect)!r}, {spec.name})" in cell.source


@pytest.mark.parametrize("assignment", RELEASED)
def test_published_examples_are_in_sync(assignment):
    """Do grader/checks/public/*.json hold what the reference says today?"""
    from grader.plan import public_trials
    committed = (public.FOLDER / f"{assignment}.json").read_text()
    assert committed == public.dumps(public_trials(assignment)), \
        f"grader/checks/public/{assignment}.json is stale: run `grader release`"
