"""Written answers in formgrader: each followed by its rubric, for graders"""
import os

import nbformat
import nbgrader
from nbconvert.exporters import HTMLExporter
from nbgrader.preprocessors import CheckCellMetadata
from traitlets.config import Config

from grader.rubrics import HEADING, add_rubrics, is_rubric, rubrics
from grader.sample import default_assignment

A = default_assignment()  # the assignment with the sample class

ANSWERS = ["max_vs_avg-answer", "min_pool-answer", "softmax_pool-answer"]


def gid(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def test_rubrics_come_from_the_source_solution_region():
    found = rubrics(A)
    assert sorted(found) == sorted(ANSWERS)
    for text in found.values():
        assert "**Rubric (2 points).**" in text and "### " not in text


def test_a_locked_rubric_cell_follows_each_answer(course):
    path = course / "autograded" / "ada" / A / f"{A}.ipynb"
    nb = nbformat.read(path, as_version=4)
    add_rubrics(nb, A)  # again: idempotent
    ids = [gid(c) for c in nb.cells]
    assert sum(is_rubric(c) for c in nb.cells) == 3
    for answer in ANSWERS:
        cell = nb.cells[ids.index(answer) + 1]
        assert is_rubric(cell) and cell.cell_type == "markdown"
        assert cell.source.startswith(f"#### {HEADING}: `{answer}`")
        meta = cell.metadata["nbgrader"]
        assert meta["locked"] and not meta["grade"] and not meta["solution"]
        assert meta["grade_id"] == f"{answer}-rubric"
    nbformat.validate(nb)
    CheckCellMetadata().preprocess(nb, {})  # nbgrader accepts the cells


def test_formgrader_shows_the_rubric_after_the_answer(course):
    """Rendered with formgrader's own template, the rubric sits between the
    answer's grading box and the next question"""
    templates = os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions",
                             "formgrader", "templates")
    c = Config()
    c.HTMLExporter.template_name = "formgrade"
    c.HTMLExporter.extra_template_basedirs = [templates]
    resources = {"assignment_id": A, "notebook_id": A, "submission_id": "x",
                 "index": 0, "total": 1, "base_url": "", "student": "ada",
                 "last_name": None, "first_name": None, "notebook_path": "x"}
    page, _ = HTMLExporter(config=c).from_filename(
        str(course / "autograded" / "ada" / A / f"{A}.ipynb"), resources=resources)
    box = page.index('id="max_vs_avg-answer-comment"')
    rubric = page.index("Rubric, for graders")
    assert box < rubric < page.index("Question 2.")
    assert "1 point: a correct contrast" in page
