"""Building the bundled sample class into a course directory"""
import re
import shutil
from pathlib import Path

import nbformat

from grader.course import EXERCISES, SOLUTIONS
from grader.notebooks import nbgrader_meta

MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$\n?", re.M)


def correct_cells(assignment):
    """{solution grade_id: the source's solution code without its markers}"""
    nb = nbformat.read(SOLUTIONS / assignment / f"{assignment}.ipynb", as_version=4)
    out = {}
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution") and cell.cell_type == "code":
            out[meta["grade_id"]] = MARKERS.sub("", cell.source)
    return out


def students(assignment):
    if assignment != "pooling":
        raise ValueError(f"the sample class has submissions for 'pooling' only, not {assignment!r}")
    from sample_class.pooling import STUDENTS
    return STUDENTS


def build(course_dir, assignment="pooling"):
    """Write submitted/<student>/<assignment>/<assignment>.ipynb for every
    sample student; return the student names"""
    course_dir = Path(course_dir)
    correct = correct_cells(assignment)
    released = EXERCISES / assignment / f"{assignment}.ipynb"
    names = []
    for name, student in students(assignment).items():
        folder = course_dir / "submitted" / name / assignment
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        path = folder / f"{assignment}.ipynb"
        (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC")
        names.append(name)
        if student.get("special") == "corrupt":
            path.write_text('{"cells": [{"cell_type": "code", "source": "def pool2d(')
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
