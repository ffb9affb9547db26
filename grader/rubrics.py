"""The rubric of each written answer, shown to graders in formgrader

The model answer and the rubric of a manually graded question live in the
solution region of its answer cell in the source notebook (solutions/), which
nbgrader removes at release. `add_rubrics` puts them back into an autograded
notebook as a locked markdown cell ("Rubric, for graders") right after each
answer cell, so that formgrader shows them beside the student's answer. The
feedback pages drop these cells again (`is_rubric`), so students never see
them.
"""
import functools
import re
from pathlib import Path

import nbformat
from nbformat.v4 import new_markdown_cell

from grader.course import source_folder
from grader.notebooks import nbgrader_meta

KEY = "grader"          # our cell metadata namespace
HEADING = "Rubric, for graders"
_REGION = re.compile(r"^\s*### BEGIN SOLUTION\s*$(.*?)^\s*### END SOLUTION\s*$", re.M | re.S)


def _source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def is_manual(cell):
    """A written answer: a markdown cell that is both solution and grade"""
    m = nbgrader_meta(cell)
    return cell.get("cell_type") == "markdown" and bool(m.get("solution")) and bool(m.get("grade"))


def is_rubric(cell):
    """One of our rubric cells: the marker, and nbgrader metadata that only a
    locked, ungraded cell named after its answer has (so no grade or answer
    cell can pass for one, whatever metadata a submission carries)"""
    target = ((cell.get("metadata") or {}).get(KEY) or {}).get("rubric_for")
    m = nbgrader_meta(cell)
    return (bool(target) and cell.get("cell_type") == "markdown"
            and m.get("grade_id") == f"{target}-rubric"
            and not m.get("grade") and not m.get("solution"))


def source_notebook(assignment, notebook=None):
    folder = source_folder(assignment)
    if notebook:
        return folder / f"{Path(notebook).stem}.ipynb"
    found = sorted(folder.glob("*.ipynb"))
    if not found:
        raise FileNotFoundError(f"no source notebook in {folder}")
    named = folder / f"{assignment}.ipynb"
    return named if named in found else found[0]


def rubrics(assignment, notebook=None):
    """{answer grade_id: rubric text (markdown)} from the source notebook"""
    try:
        path = source_notebook(assignment, notebook)
        mtime = path.stat().st_mtime_ns
    except OSError:  # no such source notebook: nothing to add
        return {}
    return dict(_rubrics(str(path), mtime))


@functools.lru_cache(maxsize=16)
def _rubrics(path, mtime):
    nb = nbformat.read(path, as_version=4)
    out = {}
    for cell in nb.cells:
        if not is_manual(cell):
            continue
        match = _REGION.search(_source(cell))
        text = (match.group(1) if match else "").strip()
        if text:
            out[nbgrader_meta(cell)["grade_id"]] = text
    return tuple(out.items())


def rubric_cell(grade_id, text):
    """A locked markdown cell nbgrader accepts (it has its own grade_id)"""
    quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines())
    cell = new_markdown_cell(
        f"#### {HEADING}: `{grade_id}`\n\n{quoted}\n\n"
        f"*Added by the grader from the source notebook; not part of the submission, "
        f"and never shown to students.*")
    cell.metadata["nbgrader"] = {"grade": False, "solution": False, "locked": True,
                                 "task": False, "grade_id": f"{grade_id}-rubric",
                                 "schema_version": 3}
    cell.metadata[KEY] = {"rubric_for": grade_id}
    cell.metadata["editable"] = False
    cell.metadata["deletable"] = False
    return cell


def add_rubrics(nb, assignment, notebook=None):
    """Insert a rubric cell after each written-answer cell of `nb` (an
    nbformat notebook, changed in place and returned). Idempotent: rubric
    cells already there are replaced. `notebook` names the source notebook
    (default: the assignment's only, or <assignment>.ipynb)."""
    texts = rubrics(assignment, notebook)
    cells = [c for c in nb.cells if not is_rubric(c)]
    out = []
    for cell in cells:
        out.append(cell)
        gid = nbgrader_meta(cell).get("grade_id")
        if is_manual(cell) and gid in texts:
            out.append(rubric_cell(gid, texts[gid]))
    nb.cells = out
    return nb


def strip_rubrics(nb):
    """The notebook without rubric cells (for anything students see)"""
    nb.cells = [c for c in nb.cells if not is_rubric(c)]
    return nb
