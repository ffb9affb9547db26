"""The test-only assignment `practice` (tests/fixtures: copies of four of the
course's functions under other names), for the tests that need particular
functions: `local_pool(X, pool_size, mode)` with an `errors` aspect,
`strided_pool`, `max_as_conv` with a `structure` rule, and `window_cost`,
which returns a plain int"""
import copy

import nbformat

from grader.course import release_folder
from grader.sample import correct_cells

ASSIGNMENT = "practice"
RELEASED = release_folder(ASSIGNMENT) / f"{ASSIGNMENT}.ipynb"


def correct_notebook():
    """The released notebook with the model solution in its solution cells"""
    nb = nbformat.read(RELEASED, as_version=4)
    correct = correct_cells(ASSIGNMENT)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in correct:
            cell.source = correct[gid].strip("\n")
    return copy.deepcopy(nb)


def submit(course_dir, student, nb=None):
    """Write submitted/<student>/practice/practice.ipynb (the correct one by
    default); return its path"""
    folder = course_dir / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC")
    path = folder / f"{ASSIGNMENT}.ipynb"
    nbformat.write(nb if nb is not None else correct_notebook(), path)
    return path
