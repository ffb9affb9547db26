"""Recording through nbgrader: what a student did to the test cells never
reaches the gradebook or the autograded notebook (nbgrader's OverwriteCells,
fed by the recorder from the gradebook's copy of the source)"""
import nbformat
import pytest
from nbgrader.api import Gradebook

from grader.autograde import autograde
from grader.course import EXERCISES, SOLUTIONS, default_db_url
from grader.sample import correct_cells

ASSIGNMENT = "pooling"


def _submission(edit=None):
    nb = nbformat.read(EXERCISES / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    correct = correct_cells(ASSIGNMENT)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in correct:
            cell.source = correct[gid]
    if edit:
        edit(nb)
    return nb


def _tamper(nb):
    kept = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        gid = meta.get("grade_id")
        if gid == "pool2d-values":
            cell.source = "print('all good')"      # a test cell rewritten
            meta["points"] = 100                   # and its points inflated
        if gid == "pool2d-shape":
            continue                               # a test cell deleted
        if gid == "pool2d_strided-values":
            cell.cell_type = "markdown"            # a test cell turned into text
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
        kept.append(cell)
    nb.cells = kept


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("recording")
    for student, edit in (("honest", None), ("tamperer", _tamper)):
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(_submission(edit), folder / f"{ASSIGNMENT}.ipynb")
    summary = autograde(ASSIGNMENT, root, workers=2, quiet=True)
    assert sorted(summary.graded) == ["honest", "tamperer"], summary.failed
    return root


def _grades(course, student):
    with Gradebook(default_db_url(course)) as gb:
        sub = gb.find_submission(ASSIGNMENT, student)
        return {g.name: (g.score, g.max_score) for nb in sub.notebooks for g in nb.grades}


def _test_cells(nb):
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade")
            and not c.metadata["nbgrader"].get("solution")}


def test_tampering_with_test_cells_changes_no_grade(course):
    honest, tamperer = _grades(course, "honest"), _grades(course, "tamperer")
    assert tamperer == honest
    assert tamperer["pool2d-values"][1] == honest["pool2d-values"][1] < 100
    assert sum(m for _, m in tamperer.values()) == 61   # 68, less the 7 unchecked `devices`


def test_the_autograded_notebook_has_the_source_test_cells_back(course):
    source = _test_cells(nbformat.read(SOLUTIONS / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                                       as_version=4))
    got = _test_cells(nbformat.read(course / "autograded" / "tamperer" / ASSIGNMENT /
                                    f"{ASSIGNMENT}.ipynb", as_version=4))
    assert set(got) == set(source)                     # the deleted one is back
    for gid in ("pool2d-values", "pool2d-shape", "pool2d_strided-values"):
        assert got[gid].cell_type == "code"
        assert got[gid].metadata["nbgrader"]["points"] == \
            source[gid].metadata["nbgrader"]["points"]
    assert "all good" not in got["pool2d-values"].source
    assert "check(" in got["pool2d-values"].source     # the released test code again
