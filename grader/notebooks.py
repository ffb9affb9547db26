"""Submitted notebooks: their bytes read as a notebook, and nbgrader's
metadata of a cell, written once for every reader

A student can put anything in a notebook's JSON: every accessor here takes
a cell of any shape and never raises.
"""
import warnings
from pathlib import Path

import nbformat

# nbformat validation pulls in slow optional imports; we check what we use
READ_OPTS = {"as_version": 4}


def nbgrader_meta(cell):
    """A cell's nbgrader metadata, {} where there is none (or no dict)"""
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    meta = meta.get("nbgrader") if isinstance(meta, dict) else None
    return meta if isinstance(meta, dict) else {}


def grade_id(cell):
    """The cell's nbgrader grade id, or None"""
    gid = nbgrader_meta(cell).get("grade_id")
    return gid if isinstance(gid, str) else None


def is_test_cell(cell):
    """A grade cell that is not an answer: an automatically graded test"""
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and not meta.get("solution")


def source_text(source):
    """A cell's source as one string (nbformat allows a list of lines)"""
    if isinstance(source, list):
        return "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def unreadable(exc):
    return f"the file is not a readable notebook ({type(exc).__name__}: {str(exc)[:200]})"


def parse_notebook(data):
    """Parse a submission given as its bytes; raise ValueError with a
    reason when it is not a notebook"""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nbformat's complaints are not the grader's
            nb = nbformat.reads(data.decode("utf-8"), **READ_OPTS)
    except Exception as exc:  # noqa: BLE001
        raise ValueError(unreadable(exc)) from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError("the notebook has no list of cells")
    for i, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise ValueError(f"cell {i} is not a notebook cell")
        source = cell.get("source", "")
        if not (isinstance(source, str) or (isinstance(source, list) and
                                            all(isinstance(s, str) for s in source))):
            raise ValueError(f"cell {i} has no text as its source")
    return nb


def read_notebook(path):
    """Parse a submission file; raise ValueError with a reason when it is not one"""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ValueError(unreadable(exc)) from None
    return parse_notebook(data)
