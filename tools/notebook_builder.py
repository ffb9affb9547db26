"""Helpers to write nbgrader source notebooks from Python (used once per
assignment by its maker script; the .ipynb in solutions/ is the source of
truth after that and is edited in JupyterLab)"""
import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.checks.specs import ASPECTS, FUNCTIONS


def md(text):
    return new_markdown_cell(text.strip("\n"))


def code(text):
    return new_code_cell(text.strip("\n"))


def _meta(cell, **nbgrader):
    nbgrader.setdefault("schema_version", 3)
    cell.metadata["nbgrader"] = nbgrader
    return cell


def solution(grade_id, text):
    """A code cell the student fills in"""
    return _meta(code(text), grade=False, solution=True, locked=False, grade_id=grade_id)


def tests(function):
    """One locked test cell per aspect: the visible check, then the hidden one"""
    spec = FUNCTIONS[function]
    cells = []
    for aspect, points in spec.aspects.items():
        gid = spec.grade_id(aspect)
        text = (f"# {function} {ASPECTS[aspect]}\n"
                f"check({gid!r}, {function})\n"
                f"### BEGIN HIDDEN TESTS\n"
                f"check({gid!r}, {function}, hidden=True)\n"
                f"### END HIDDEN TESTS")
        cells.append(_meta(code(text), grade=True, solution=False, locked=True,
                           grade_id=gid, points=points))
    return cells


def written(grade_id, question, answer, points=2):
    """A question (locked) and a markdown answer cell graded by hand; the
    model answer and rubric sit in the solution region, removed at release"""
    q = _meta(md(question), grade=False, solution=False, locked=True,
              grade_id=f"{grade_id}-question")
    a = _meta(md(f"### BEGIN SOLUTION\n{answer.strip()}\n### END SOLUTION"),
              grade=True, solution=True, locked=False, grade_id=grade_id, points=points)
    return [q, a]


def locked_md(grade_id, text):
    return _meta(md(text), grade=False, solution=False, locked=True, grade_id=grade_id)


def notebook(cells):
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def write(nb, path):
    nbformat.validate(nb)
    with open(path, "w", encoding="utf-8") as f:
        nbformat.write(nb, f)
