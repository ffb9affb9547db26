"""Marker cells: a graded function's checks, written once in the source notebook

In solutions/<assignment>/<assignment>.ipynb each graded function has one
code cell whose metadata says `{"grader": {"checks": "<function>"}}` (not
nbgrader's: nbgrader sees a plain code cell). Its source runs the function's
public and hidden checks on the model solution, for the instructor in
JupyterLab (grader.instructor.check_all). The marker cells say which
functions the notebook grades, and in what order.

At release, `ExpandChecks`, placed first in nbgrader's generate_assignment
pipeline (grader.course.GENERATE_ASSIGNMENT: `grader release`, the
gradebook's set-up and nbgrader's own tools alike), replaces each marker
cell with one locked grade cell per aspect, `<function>-<aspect>`, whose
points come from the function's SPEC and whose id is derived from its grade
id; every other cell keeps its id. The student sees

    # f returns the right numbers
    check('f-values', f)
"""
import hashlib
import re

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

from grader.checks.specs import ASPECTS

KEY = "grader"  # our cell metadata namespace (grader/rubrics.py uses it too)
_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def marker(cell):
    """The function a marker cell names, or None for any other cell"""
    meta = cell.get("metadata") or {}
    mine = meta.get(KEY) if isinstance(meta, dict) else None
    name = mine.get("checks") if isinstance(mine, dict) else None
    return name if cell.get("cell_type") == "code" and isinstance(name, str) else None


def markers(nb):
    """The functions a notebook grades, in its order"""
    return [name for name in map(marker, nb.get("cells", [])) if name]


def marker_cell(function):
    """The marker cell of a function, as `grader new` writes it"""
    cell = nbformat.v4.new_code_cell(
        f"# The checks of {function}: `grader release` makes this cell into one graded\n"
        f"# cell per aspect. Here it runs every check, hidden cases included.\n"
        f"from grader.instructor import check_all\n"
        f"check_all({function!r}, {function})")
    cell.metadata[KEY] = {"checks": function}
    cell.id = cell_id(f"{function}-checks")
    return cell


def cell_id(grade_id):
    """A cell id that follows from a grade id: the id itself where nbformat
    allows it, else a hash of it"""
    if _ID.match(grade_id):
        return grade_id
    return "g" + hashlib.sha256(grade_id.encode()).hexdigest()[:16]


def grade_cells(spec):
    """One locked grade cell per aspect of a FunctionSpec"""
    cells = []
    for aspect, points in spec.aspects.items():
        gid = spec.grade_id(aspect)
        cell = nbformat.v4.new_code_cell(f"# {spec.name} {ASPECTS[aspect]}\n"
                                         f"check({gid!r}, {spec.name})")
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                     "grade_id": gid, "points": points, "schema_version": 3}
        cell.id = cell_id(gid)
        cells.append(cell)
    return cells


def expand(nb, assignment):
    """The notebook with each marker cell replaced by its grade cells"""
    from grader import assignments
    cells, seen = [], set()
    for cell in nb.cells:
        name = marker(cell)
        if name is None:
            cells.append(cell)
            continue
        if name in seen:
            raise ValueError(f"two marker cells name {name!r}")
        seen.add(name)
        if name not in assignments.modules(assignment):
            raise ValueError(f"a marker cell names {name!r}, but "
                             f"grader/assignments/{assignment}/ has no {name}.py with a SPEC")
        cells += grade_cells(assignments.function_spec(name, assignment))
    ids = [c.get("id") for c in cells if c.get("id")]
    clash = sorted({i for i in ids if ids.count(i) > 1})
    if clash:
        raise ValueError(f"cells share the ids {', '.join(clash)}: a grade cell's id is its "
                         f"grade id, so no other cell may have it")
    nb.cells = cells
    return nb


class ExpandChecks(NbGraderPreprocessor):
    """nbgrader preprocessor: every marker cell becomes its grade cells"""

    def preprocess(self, nb, resources):
        return expand(nb, resources["nbgrader"]["assignment"]), resources
