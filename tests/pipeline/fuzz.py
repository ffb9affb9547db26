"""A seeded generator of odd submissions, for the pipeline fuzzer

The submissions are to the assignment with the sample class
(grader.sample.default_assignment); the other assignments are this
repository's (grader.assignments, not the test-only one of tests/fixtures).

`submissions(seed, n)` returns n (name, bytes, kinds) triples. Each starts
from a base notebook (the released one; mostly with cheap code: its
functions undefined, or one of them right; some all right) and gets one to
three mutations of the kinds the grader must survive:

- structure: cells deleted, duplicated, reordered or changed in type;
  solution cells or test (grade) cells deleted; test cells turned into
  markdown; every cell deleted (`"cells": []`)
- identity: cell ids missing, duplicated or foreign; grade ids missing,
  duplicated or foreign (another assignment's, or made up)
- nbgrader metadata: points, grade / solution / locked flags, checksums,
  schema version changed; the metadata replaced by a list, a string, null
- format: nbformat 3, nbformat 4.0 (no cell ids); a JSON list, number,
  string or null instead of a notebook; truncated JSON; non-UTF-8 bytes;
  the cell list or a cell of the wrong type
- size: a huge code cell (more than the 2 MB the sandbox takes) or a big
  markdown cell
- another assignment's notebook, as released or with its solutions

The same seed always gives the same bytes.
"""
import copy
import functools
import json
import random
import re
import warnings

import nbformat

from grader import assignments
from grader.course import release_folder, root_of, source_folder
from grader.sample import MARKERS, correct_cells, default_assignment

ASSIGNMENT = default_assignment()


def _released(assignment=ASSIGNMENT):
    return copy.deepcopy(_read(release_folder(assignment) / f"{assignment}.ipynb"))


def _others():
    """The course's other assignments, in course order"""
    return [a for a in assignments.names() if a != ASSIGNMENT and root_of(a) is None]


@functools.lru_cache(maxsize=None)
def _read(path):
    return json.loads(path.read_text())


@functools.lru_cache(maxsize=None)
def _right():
    return correct_cells(ASSIGNMENT)


def _meta(cell):
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    meta = meta.get("nbgrader") if isinstance(meta, dict) else None
    return meta if isinstance(meta, dict) else {}


def _pick(rng, cells, test, k=None):
    """Indices of up to k cells passing test, chosen at random"""
    found = [i for i, c in enumerate(cells) if test(c)]
    k = rng.randint(1, max(1, len(found))) if k is None else min(k, len(found))
    return sorted(rng.sample(found, k)) if found else []


def is_solution(cell):
    return bool(_meta(cell).get("solution")) and cell.get("cell_type") == "code"


def is_test(cell):
    meta = _meta(cell)
    return bool(meta.get("grade")) and not meta.get("solution")


@functools.lru_cache(maxsize=None)
def _first_ids():
    """The released notebook's first test cell's, first solution cell's and
    first nbgrader cell's grade ids"""
    cells = _released()["cells"]
    return (next(_meta(c)["grade_id"] for c in cells if is_test(c)),
            next(_meta(c)["grade_id"] for c in cells if is_solution(c)),
            next(_meta(c)["grade_id"] for c in cells if _meta(c)))


# --- base notebooks ----------------------------------------------------------------

def base(rng, tag):
    """(notebook dict, kind of code): cheap code mostly, so that a fuzzed
    class grades quickly, and some right answers"""
    nb = _released()
    right = _right()
    roll = rng.random()
    if roll < 0.65:
        kind, keep = "cheap", set()
    elif roll < 0.85:
        kind, keep = "one right", {rng.choice(sorted(right))}
    elif roll < 0.95:
        kind, keep = "all right", set(right)
    else:
        kind, keep = "as released", None
    for cell in nb["cells"]:
        gid = _meta(cell).get("grade_id")
        if is_solution(cell) and keep is not None:
            cell["source"] = right[gid] if gid in keep else f"x_{gid.split('-')[0]} = 1"
    nb["cells"].append({"cell_type": "code", "execution_count": None, "id": f"tag{tag}",
                        "metadata": {}, "outputs": [], "source": f"# submission {tag}"})
    return nb, kind


# --- mutations of the notebook dict ------------------------------------------------

def delete_cells(rng, nb):
    cells = nb["cells"]
    for i in reversed(_pick(rng, cells, lambda c: True, rng.randint(1, 12))):
        del cells[i]


def duplicate_cells(rng, nb):
    cells = nb["cells"]
    for i in reversed(_pick(rng, cells, lambda c: True, rng.randint(1, 8))):
        cells.insert(rng.randint(0, len(cells)), copy.deepcopy(cells[i]))


def reorder_cells(rng, nb):
    if rng.random() < 0.5:
        rng.shuffle(nb["cells"])
    else:
        cells = nb["cells"]
        for _ in range(rng.randint(1, 5)):
            i, j = rng.randrange(len(cells)), rng.randrange(len(cells))
            cells[i], cells[j] = cells[j], cells[i]


def change_cell_types(rng, nb):
    for i in _pick(rng, nb["cells"], lambda c: True, rng.randint(1, 10)):
        cell = nb["cells"][i]
        cell["cell_type"] = rng.choice(["code", "markdown", "raw"])
        if rng.random() < 0.5:   # keep the fields right for the new type, or not
            if cell["cell_type"] == "code":
                cell.setdefault("outputs", [])
                cell.setdefault("execution_count", None)
            else:
                cell.pop("outputs", None)
                cell.pop("execution_count", None)


def delete_solution_cells(rng, nb):
    for i in reversed(_pick(rng, nb["cells"], is_solution)):
        del nb["cells"][i]


def delete_test_cells(rng, nb):
    for i in reversed(_pick(rng, nb["cells"], is_test)):
        del nb["cells"][i]


def tests_to_markdown(rng, nb):
    for i in _pick(rng, nb["cells"], is_test):
        cell = nb["cells"][i]
        cell["cell_type"] = "markdown"
        cell.pop("outputs", None)
        cell.pop("execution_count", None)


def delete_every_cell(rng, nb):
    nb["cells"] = []


def cell_ids(rng, nb):
    cells = nb["cells"]
    how = rng.choice(["missing", "duplicate", "foreign"])
    for i in _pick(rng, cells, lambda c: True, rng.randint(1, 10)):
        if how == "missing":
            cells[i].pop("id", None)
        elif how == "duplicate":
            cells[i]["id"] = cells[0].get("id", "same")
        else:
            cells[i]["id"] = rng.choice(["", "x" * 80, "with space", "ünï", "a/b", 7])


def grade_ids(rng, nb):
    cells = nb["cells"]
    graded = lambda c: bool(_meta(c))
    how = rng.choice(["missing", "duplicate", "foreign", "other assignment"])
    other = [_meta(c).get("grade_id") for c in _released(_others()[0])["cells"] if _meta(c)]
    test, solution, first = _first_ids()
    for i in _pick(rng, cells, graded, rng.randint(1, 6)):
        meta = cells[i]["metadata"]["nbgrader"]
        if how == "missing":
            meta.pop("grade_id", None)
        elif how == "duplicate":
            meta["grade_id"] = rng.choice([test, solution, first])
        elif how == "foreign":
            meta["grade_id"] = rng.choice([f"{test}2", "mine", "", "x" * 200, "a b"])
        else:
            meta["grade_id"] = rng.choice(other)


def nbgrader_metadata(rng, nb):
    cells = nb["cells"]
    for i in _pick(rng, cells, lambda c: True, rng.randint(1, 6)):
        cell = cells[i]
        meta = cell.setdefault("metadata", {}).setdefault("nbgrader", {})
        if not isinstance(meta, dict):
            continue
        what = rng.choice(["points", "grade", "solution", "locked", "checksum", "schema",
                           "not a dict", "cell_type"])
        if what == "points":
            meta["points"] = rng.choice([100, -3, 0, 1e9, "7", None, 2.5])
        elif what in ("grade", "solution", "locked"):
            meta[what] = rng.choice([True, False, not meta.get(what), "yes", None])
            meta.setdefault("grade_id", f"made-up-{i}")
        elif what == "checksum":
            meta["checksum"] = rng.choice(["0" * 32, "", "not a checksum", None])
        elif what == "schema":
            meta["schema_version"] = rng.choice([0, 1, 2, 4, 99, "3", None])
        elif what == "cell_type":
            meta["cell_type"] = rng.choice(["markdown", "raw", "code", 3])
        else:
            cell["metadata"]["nbgrader"] = rng.choice([[1, 2], "grade", None, 5])


def wrong_types(rng, nb):
    cells = nb["cells"]
    what = rng.choice(["source number", "cell not a dict", "metadata list", "source list",
                       "cells a dict"])
    i = rng.randrange(len(cells)) if cells else 0
    if what == "cells a dict":
        nb["cells"] = {"0": cells[0] if cells else {}}
    elif not cells:
        return
    elif what == "source number":
        cells[i]["source"] = 42
    elif what == "cell not a dict":
        cells[i] = rng.choice(["a cell", 3, None, [1]])
    elif what == "metadata list":
        cells[i]["metadata"] = [1, 2]
    else:
        cells[i]["source"] = [line + "\n" for line in str(cells[i].get("source", "")).split("\n")]


def huge_source(rng, nb):
    if rng.random() < 0.5:  # more code than the sandbox takes: refused, graded 0
        source = ("# " + "padding " * 125 + "\n") * 2200 + "x = 1\n"
        kind = "code"
    else:
        source = ("A long answer. " * 40 + "\n\n") * 1500
        kind = "markdown"
    cell = {"cell_type": kind, "id": f"huge{rng.randrange(10**6)}", "metadata": {},
            "source": source}
    if kind == "code":
        cell.update(outputs=[], execution_count=None)
    nb["cells"].insert(rng.randint(0, len(nb["cells"])), cell)


NOTEBOOK_MUTATIONS = {
    "cells deleted": delete_cells, "cells duplicated": duplicate_cells,
    "cells reordered": reorder_cells, "cell types changed": change_cell_types,
    "solution cells deleted": delete_solution_cells, "test cells deleted": delete_test_cells,
    "test cells to markdown": tests_to_markdown, "every cell deleted": delete_every_cell,
    "cell ids": cell_ids, "grade ids": grade_ids, "nbgrader metadata": nbgrader_metadata,
    "wrong types": wrong_types, "huge source": huge_source,
}
# how often each is drawn (the huge ones are slow to render: few of them)
WEIGHTS = {"huge source": 0.25, "every cell deleted": 0.5, "wrong types": 0.7}


# --- whole files -------------------------------------------------------------------

def as_nbformat3(nb):
    with warnings.catch_warnings():  # nbformat's complaints about an old format
        warnings.simplefilter("ignore")
        node = nbformat.reads(json.dumps(nb), as_version=4)
        return nbformat.writes(nbformat.convert(node, 3), version=3).encode()


def as_nbformat40(nb):
    nb = dict(nb, nbformat=4, nbformat_minor=0)
    for cell in nb["cells"]:
        if isinstance(cell, dict):
            cell.pop("id", None)
    return json.dumps(nb).encode()


def not_a_notebook(rng):
    return json.dumps(rng.choice([[1, 2, 3], 42, 3.5, "a notebook", None, {},
                                  {"cells": None}, {"nbformat": 4}])).encode()


def not_utf8(rng, nb):
    nb = dict(nb, metadata={"author": "Jos\u00e9 \u00c1lvarez"})  # latin-1 is no UTF-8 here
    text = json.dumps(nb, ensure_ascii=False)
    return rng.choice([text.encode("latin-1", "replace"), text.encode("utf-16"),
                       b"\xff\xfe\x00" + text.encode()[:5000], bytes(rng.randrange(256)
                                                                     for _ in range(3000))])


def truncated(rng, nb):
    data = json.dumps(nb).encode()
    return data[:rng.randrange(1, len(data))]


def other_assignment(rng, tag):
    name = rng.choice(_others())
    nb = _released(name)
    if rng.random() < 0.5:   # with its solutions filled in
        source = _read(source_folder(name) / f"{name}.ipynb")
        right = {_meta(c).get("grade_id"): c["source"] for c in source["cells"]
                 if is_solution(c)}
        for cell in nb["cells"]:
            gid = _meta(cell).get("grade_id")
            if gid in right:
                text = "".join(right[gid]) if isinstance(right[gid], list) else right[gid]
                cell["source"] = MARKERS.sub("", text)
    nb["cells"].append({"cell_type": "markdown", "id": f"tag{tag}", "metadata": {},
                        "source": f"submission {tag}"})
    return json.dumps(nb).encode(), f"{name} notebook"


def one(rng, tag):
    """(bytes, [kinds]) of one fuzzed submission"""
    roll = rng.random()
    if roll < 0.05:
        data, kind = other_assignment(rng, tag)
        return data, ["another assignment", kind]
    nb, code = base(rng, tag)
    if roll < 0.11:  # an old notebook format, of a notebook nbformat can still convert
        return as_nbformat3(nb), [code, "nbformat 3"]
    kinds = [code]
    names = list(NOTEBOOK_MUTATIONS)
    weights = [WEIGHTS.get(n, 1.0) for n in names]
    for name in rng.choices(names, weights, k=rng.choice([1, 1, 2, 3])):
        try:
            NOTEBOOK_MUTATIONS[name](rng, nb)
            kinds.append(name)
        except (TypeError, KeyError, AttributeError, IndexError, ValueError):
            pass  # an earlier mutation left nothing this one applies to
    roll = rng.random()
    if roll < 0.05:
        return not_a_notebook(rng), ["JSON not a notebook"]
    if roll < 0.09:
        return not_utf8(rng, nb), kinds + ["not UTF-8"]
    if roll < 0.12:
        return truncated(rng, nb), kinds + ["truncated JSON"]
    if roll < 0.18:
        return as_nbformat40(nb), kinds + ["nbformat 4.0"]
    return json.dumps(nb).encode(), kinds


def submissions(seed, n):
    """[(student id, notebook bytes, [kinds])], the same for the same seed"""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        data, kinds = one(rng, f"{seed}-{i}")
        out.append((f"fuzz{i:04d}", data, kinds))
    return out


def tally(generated):
    """{kind: how many submissions have it}"""
    counts = {}
    for _, _, kinds in generated:
        for kind in set(kinds):
            counts[kind] = counts.get(kind, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def hidden_test_lines(assignment=ASSIGNMENT):
    """Lines only the hidden tests and the solutions hold (never in feedback)"""
    nb = json.loads((source_folder(assignment) / f"{assignment}.ipynb").read_text())
    lines = set()
    for cell in nb["cells"]:
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for region in re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", text, re.S):
            lines |= {line.strip() for line in region.splitlines() if line.strip()}
        if _meta(cell).get("solution") and cell["cell_type"] == "markdown":
            for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", text, re.S):
                lines |= {line.strip() for line in region.splitlines() if len(line.strip()) > 20}
    return lines
