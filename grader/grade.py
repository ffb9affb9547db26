"""Grading one submitted notebook: run it in the sandbox, judge outside it

`grade_notebook(nb, assignment, sandbox)` returns plain data: a verdict per
grade cell (`<function>-<aspect>`), what happened to each cell, what the
notebook printed (first 64 KB) and how long it took. Outcomes come back from
the sandbox as plain data and are compared with the reference here, where
student code cannot reach.
"""
import time

import nbformat

from grader.checks import wire
from grader.checks.aspects import Verdict, judge
from grader.checks.calls import Outcome
from grader.checks.specs import functions_of
from grader.plan import DEFAULT_SEED, trials
from grader.sandbox.launcher import SandboxError

# nbformat validation pulls in slow optional imports; we check what we use
READ_OPTS = {"as_version": 4}


def test_grade_ids(assignment):
    return {spec.grade_id(a) for spec in functions_of(assignment) for a in spec.aspects}


def student_cells(nb, assignment):
    """The code cells to run: everything but the test cells"""
    tests = test_grade_ids(assignment)
    cells = []
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if meta.get("grade_id") in tests or (meta.get("grade") and not meta.get("solution")):
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        cells.append({"index": index, "source": str(source)})
    return cells


def read_notebook(path):
    """Parse a submission; raise ValueError with a reason when it is not one"""
    try:
        with open(path, encoding="utf-8") as f:
            nb = nbformat.read(f, **READ_OPTS)
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"the file is not a readable notebook ({type(exc).__name__}: "
                         f"{str(exc)[:200]})") from None
    if not isinstance(nb.get("cells"), list):
        raise ValueError("the notebook has no cells")
    return nb


def grade_notebook(nb, assignment, sandbox, *, seed=DEFAULT_SEED, devices=("cpu",)):
    """Grade one notebook (an nbformat node); return plain data"""
    start = time.monotonic()
    plan = trials(assignment, seed, tuple(devices))
    specs = functions_of(assignment)
    cells = student_cells(nb, assignment)
    blobs = []
    jobs = [{"function": s.name, "calls": [wire.put_call(c, blobs) for c, _ in plan[s.name]]}
            for s in specs]
    request = {"op": "submission", "cells": cells, "jobs": jobs,
               "limits": sandbox.limits.for_harness(memory=not sandbox.cuda)}
    got = {s.name: [None] * len(plan[s.name]) for s in specs}
    cell_status, problems, output = {}, [], {"text": "", "total_bytes": 0}
    try:
        events = sandbox.run(request, blobs)
    except SandboxError as exc:
        events = []
        problems.append(f"grading stopped: {exc}")
    for head, eblobs in events:
        kind = head.get("ev")
        if kind == "cell":
            cell_status[head.get("index")] = {"status": head.get("status"),
                                              "error": head.get("error")}
        elif kind == "outcome":
            _store(got, specs, head, eblobs, problems)
        elif kind == "job" and head.get("status") == "missing":
            _missing(got, specs, head)
        elif kind == "stopped":
            _stopped(got, specs, head)
        elif kind == "abandoned":
            problems.append(str(head.get("reason")))
        elif kind == "output":
            output = {"text": str(head.get("text", ""))[:65536],
                      "total_bytes": int(head.get("total_bytes") or 0)}
    source = "\n\n".join(c["source"] for c in cells)
    verdicts = {}
    for spec in specs:
        pairs = plan[spec.name]
        outcomes = [o if o is not None else _never_ran(problems) for o in got[spec.name]]
        if any(o.kind == "missing" for o in outcomes) or not outcomes:
            outcomes = [Outcome("missing")] * len(pairs)
        trial = [(c, e, o) for (c, e), o in zip(pairs, outcomes)]
        for aspect in spec.aspects:
            verdicts[spec.grade_id(aspect)] = judge(spec, aspect, trial, source).as_dict()
    return {"verdicts": verdicts, "cells": {str(k): v for k, v in cell_status.items()},
            "problems": problems, "output": output, "devices": list(devices),
            "seconds": round(time.monotonic() - start, 3)}


def _store(got, specs, head, blobs, problems):
    try:
        name = specs[int(head["job"])].name
        k = int(head["call"])
        outcome = wire.get_outcome(head["outcome"], blobs)
        if outcome.kind not in ("value", "error", "missing", "crash", "timeout"):
            raise wire.WireError("bad kind")
        if not 0 <= k < len(got[name]):
            raise wire.WireError("call out of range")
        got[name][k] = outcome
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        problems.append(f"a result could not be read ({exc})")


def _stopped(got, specs, head):
    try:
        name = specs[int(head["job"])].name
    except (KeyError, IndexError, TypeError, ValueError):
        return
    note = str(head.get("note", ""))[:300]
    kind = "timeout" if head.get("kind") == "timeout" else "crash"
    call = head.get("call")
    for k, o in enumerate(got[name]):
        if o is None:
            o = Outcome(kind, note=note if (k == call or call is None) else
                        f"not run: an earlier call {'hung' if kind == 'timeout' else 'crashed'}")
            got[name][k] = o


def _missing(got, specs, head):
    try:
        name = specs[int(head["job"])].name
    except (KeyError, IndexError, TypeError, ValueError):
        return
    got[name] = [Outcome("missing")] * len(got[name])


def _never_ran(problems):
    return Outcome("crash", note=problems[-1] if problems else "the call never ran")


def failed_verdicts(assignment, reason):
    """Zero for every grade cell, with one reason (unreadable notebooks)"""
    out = {}
    for spec in functions_of(assignment):
        for aspect, points in spec.aspects.items():
            out[spec.grade_id(aspect)] = Verdict(spec.grade_id(aspect), False, 0, points,
                                                 reason).as_dict()
    return out
