"""Building an assignment's sample class into a course directory

The sample class lives in the assignment's folder
(grader/assignments/<assignment>/sample_class.py, `STUDENTS`); `make demo`
grades the first assignment that has one.
"""
import re
import shutil
from pathlib import Path

import nbformat

from grader import assignments
from grader.course import release_folder, source_folder
from grader.notebooks import nbgrader_meta

MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$\n?", re.M)


def correct_cells(assignment):
    """{solution grade_id: the source's solution code without its markers}"""
    nb = nbformat.read(source_folder(assignment) / f"{assignment}.ipynb", as_version=4)
    out = {}
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution") and cell.cell_type == "code":
            out[meta["grade_id"]] = MARKERS.sub("", cell.source)
    return out


def students(assignment):
    found = assignments.sample_class(assignment)
    if found is None:
        having = ", ".join(assignments.with_sample_class()) or "none"
        raise ValueError(f"{assignment!r} has no sample class "
                         f"(grader/assignments/{assignment}/sample_class.py); "
                         f"assignments with one: {having}")
    return found


def default_assignment():
    """The first assignment with a sample class (what the demo grades)"""
    having = assignments.with_sample_class()
    if not having:
        raise ValueError("no assignment has a sample class "
                         "(grader/assignments/<assignment>/sample_class.py)")
    return having[0]


def build(course_dir, assignment=None):
    """Write submitted/<student>/<assignment>/<assignment>.ipynb for every
    sample student; return the student names"""
    assignment = assignment or default_assignment()
    course_dir = Path(course_dir)
    correct = correct_cells(assignment)
    released = release_folder(assignment) / f"{assignment}.ipynb"
    names = []
    for name, student in students(assignment).items():
        folder = course_dir / "submitted" / name / assignment
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        path = folder / f"{assignment}.ipynb"
        (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC")
        names.append(name)
        if "corrupt" in student:
            path.write_text(student["corrupt"])
            continue
        nb = nbformat.read(released, as_version=4)
        answers = student.get("answers", {})
        for cell in nb.cells:
            gid = nbgrader_meta(cell).get("grade_id")
            if gid in student.get("cells", {}):
                cell.source = student["cells"][gid].strip("\n")
            elif gid in correct:
                cell.source = correct[gid].strip("\n")
            elif gid in answers:
                cell.source = answers[gid]
        for extra in student.get("extra_cells", []):
            nb.cells.append(nbformat.v4.new_code_cell(extra))
        nbformat.write(nb, path)
    return names
