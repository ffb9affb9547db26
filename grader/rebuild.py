"""The notebook recorded for a submission: as submitted, or rebuilt

nbgrader records the notebook a student submitted. Where there is none to
read (the file is no notebook), the released notebook is recorded with a
note at its top (`base_notebook`); where nbgrader cannot record the
submission as it is (its preprocessors raise on some odd notebooks), the
released notebook with the student's answers put back into their cells
(`rebuilt_notebook`). Either way the grades are the verdicts, made from
the submission itself.
"""
import warnings

import nbformat

from grader.checks.explain import problem
from grader.course import release_folder
from grader.notebooks import grade_id, is_test_cell, nbgrader_meta, source_text


def _parse(data):
    """The submission's cells' notebook, or None where its bytes are none"""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception:  # noqa: BLE001
        return None


def base_notebook(sub, result):
    """The submission (parsed from its bytes), or for a file that is no
    notebook the released notebook, so that the autograded copy and the
    feedback still say what happened"""
    nb = _parse(sub.data)
    if nb is not None and isinstance(nb.get("cells"), list):
        return nb
    nb = released(sub.assignment, sub.notebook)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(
        f"**The submitted file could not be read**: "
        f"{'; '.join(problem(p) for p in result.problems)}. Every check scored 0."))
    return nb


def released(assignment, notebook_id):
    with open(release_folder(assignment) / f"{notebook_id}.ipynb", encoding="utf-8") as f:
        return nbformat.read(f, as_version=4)


def rebuilt_notebook(sub, note):
    """The released notebook with the student's answers in its solution cells
    (matched by grade id and cell type), the student's other code cells at
    the end and `note` (words) at the top: what is recorded when nbgrader
    cannot record the submission as it is. The student's nbgrader metadata
    is dropped."""
    nb = released(sub.assignment, sub.notebook)
    theirs = _parse(sub.data)
    theirs = theirs.get("cells") if theirs is not None else None
    solutions, tests = {}, set()
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution"):
            solutions[meta["grade_id"]] = cell.cell_type
        elif meta.get("grade"):
            tests.add(meta["grade_id"])
    released_code = {c.source for c in nb.cells if c.cell_type == "code"}
    answers, others = {}, []
    for cell in theirs if isinstance(theirs, list) else []:
        if not isinstance(cell, dict):
            continue
        gid = grade_id(cell)
        kind, source = cell.get("cell_type"), source_text(cell.get("source"))
        if gid in solutions and solutions[gid] == kind and gid not in answers:
            answers[gid] = source
        elif kind == "code" and gid not in tests and not is_test_cell(cell) \
                and source.strip() and source not in released_code:
            others.append(source)
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid in answers:
            cell.source = answers[gid]
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(
        f"**Your notebook was {note}.** Your code was graded as you submitted it; "
        f"below, the released notebook shows the answers found in it in their cells"
        + (", and your other code cells at the end." if others else ".")))
    if others:
        nb.cells.append(nbformat.v4.new_markdown_cell(
            "**Your other code cells** (graded with the rest):"))
        nb.cells += [nbformat.v4.new_code_cell(source) for source in others]
    return nb
