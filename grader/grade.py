"""Grading one submitted notebook: run it in the sandbox, judge outside it

`grade_notebook(nb, assignment, sandbox)` returns a GradeResult (result.py):
a verdict per grade cell (`<function>-<aspect>`), what happened to each
cell, what the notebook printed (first 64 KB) and how long it took.
Outcomes come back from the sandbox as plain data and are compared with
the reference here, where student code cannot reach.
"""
import re
import time
from functools import lru_cache

import torch

from grader.checks import explain, wire
from grader.checks.aspects import judge
from grader.checks.calls import Outcome, same_tensor
from grader.checks.specs import functions_of
from grader.checks.verdict import Finding, Kind, Verdict
from grader.notebooks import is_test_cell, nbgrader_meta, source_text
from grader.plan import DEFAULT_SEED, public_mask, trials
from grader.result import GRADED, UNREADABLE, CellStatus, GradeResult, Output, zero_verdicts
from grader.sandbox.launcher import SandboxError


def test_grade_ids(assignment):
    return {spec.grade_id(a) for spec in functions_of(assignment) for a in spec.aspects}


# What the sandbox is sent of a notebook: the code of its cells, never their
# saved outputs, and no more than this much of it
MAX_SOURCE_BYTES = 2 << 20


def student_cells(nb, assignment):
    """The code cells to run: everything but the test cells (by their
    metadata: a test cell's code never runs, whatever the student put in it)"""
    tests = test_grade_ids(assignment)
    cells = []
    raw = nb.get("cells") if isinstance(nb, dict) else None
    for index, cell in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        gid = nbgrader_meta(cell).get("grade_id")
        if (isinstance(gid, str) and gid in tests) or is_test_cell(cell):
            continue
        cells.append({"index": index, "source": source_text(cell.get("source", ""))})
    return cells


@lru_cache(maxsize=8)
def encoded_jobs(assignment, seed, devices):
    """The plan's calls as the sandbox is sent them, one job per function,
    encoded once per worker (the same for every submission; only read)"""
    plan = trials(assignment, seed, devices)
    blobs = []
    jobs = [{"function": s.name, "calls": [wire.put_call(c, blobs) for c, _ in plan[s.name]]}
            for s in functions_of(assignment)]
    return jobs, blobs


def grade_notebook(nb, assignment, sandbox, *, seed=DEFAULT_SEED, devices=("cpu",)):
    """Grade one notebook (an nbformat node); a GradeResult"""
    start = time.monotonic()
    plan = trials(assignment, seed, tuple(devices))
    specs = functions_of(assignment)
    cells = student_cells(nb, assignment)
    size = sum(len(c["source"].encode("utf-8", "replace")) for c in cells)
    if size > MAX_SOURCE_BYTES:
        sizes = {"kb": size >> 10, "limit_kb": MAX_SOURCE_BYTES >> 10}
        return not_run(assignment, Finding("too big", sizes), list(devices),
                       seconds=round(time.monotonic() - start, 3), state=GRADED)
    jobs, blobs = encoded_jobs(assignment, seed, tuple(devices))
    request = {"op": "submission", "cells": cells, "jobs": jobs,
               "limits": sandbox.limits.for_harness(memory=not sandbox.cuda),
               "fresh_per_function": getattr(sandbox, "fresh_per_function", False)}
    got = {s.name: [None] * len(plan[s.name]) for s in specs}
    cell_status, problems, output = {}, [], Output()
    try:
        events = sandbox.run(request, blobs)
    except SandboxError as exc:
        events = []
        problems.append(Finding("stopped", {"detail": str(exc)}))
    indices = {c["index"] for c in cells}
    for head, eblobs in events:
        try:
            kind = head.get("ev")
            if kind == "cell":
                index = head.get("index")
                if index in indices or index is None:
                    cell_status[str(index)] = CellStatus(str(head.get("status"))[:20],
                                                         _short(head.get("error")))
            elif kind == "outcome":
                _store(got, specs, head, eblobs, problems, plan)
            elif kind == "job" and head.get("status") == "missing":
                _missing(got, specs, head)
            elif kind == "stopped":
                _stopped(got, specs, head)
            elif kind == "void":
                _void(got, specs, head)
            elif kind == "cleanup":
                problems.append(Finding("cleanup", {"details": [
                    str(p)[:200] for p in head.get("problems") or []]}))
            elif kind == "abandoned":
                problems.append(Finding("abandoned", {"detail": str(head.get("reason"))[:400]}))
            elif kind == "output":
                output = Output(str(head.get("text", ""))[:65536],
                                int(head.get("total_bytes") or 0))
        except Exception as exc:  # noqa: BLE001  (nothing from the sandbox may stop us)
            problems.append(Finding("garbled event", {"detail": type(exc).__name__}))
    source = "\n\n".join(c["source"] for c in cells)
    return GradeResult(judge_all(specs, plan, got, problems, source, assignment, seed, devices),
                       cell_status, problems, output, list(devices),
                       suspicious=suspicious_names(source),
                       received_bytes=getattr(sandbox, "received", None),
                       seconds=round(time.monotonic() - start, 3))


def judge_all(specs, plan, got, problems, source, assignment, seed, devices):
    """A verdict per grade cell from the sandbox's outcomes (`got`: per
    function, an Outcome per call of the plan, None for a call never run)"""
    mask = public_mask(assignment, seed, tuple(devices))
    never_ran = Outcome("crash", note=explain.problem(problems[-1]) if problems
                        else "the call never ran")
    verdicts = {}
    for spec in specs:
        pairs = plan[spec.name]
        outcomes = [o if o is not None else never_ran for o in got[spec.name]]
        if any(o.kind == "missing" for o in outcomes) or not outcomes:
            outcomes = [Outcome("missing")] * len(pairs)
        triples = [(c, e, o) for (c, e), o in zip(pairs, outcomes)]
        shown = [t for t, public in zip(triples, mask[spec.name]) if public]
        for aspect, points in spec.aspects.items():
            try:
                verdict = judge(spec, aspect, triples, source)
            except Exception as exc:  # noqa: BLE001  (a result no rule can read)
                error = f"{type(exc).__name__}: {str(exc)[:200]}"
                verdict = Verdict(spec.grade_id(aspect), False, 0, points, Kind.NOT_JUDGED,
                                  Finding("not judged", {"function": spec.name, "error": error}))
            if not verdict.passed:
                verdict.public = public_verdict(spec, aspect, shown, source, verdict)
            verdicts[spec.grade_id(aspect)] = verdict
    return verdicts


def _short(text, limit=400):
    return None if text is None else str(text)[:limit]


def _job_name(specs, head):
    job = head.get("job")
    if type(job) is not int or not 0 <= job < len(specs):
        raise KeyError("job")
    return specs[job].name


def _store(got, specs, head, blobs, problems, plan):
    try:
        name = _job_name(specs, head)
        k = head["call"]
        if type(k) is not int:
            raise wire.WireError("bad call")
        outcome = wire.get_outcome(head["outcome"], blobs)
        if outcome.kind not in ("value", "error", "missing", "crash", "timeout"):
            raise wire.WireError("bad kind")
        if not 0 <= k < len(got[name]):
            raise wire.WireError("call out of range")
        if outcome.kind == "value":  # judged here, not taken from the sandbox
            outcome.changed = changed_inputs(plan[name][k][0], head.get("after"), blobs)
        got[name][k] = outcome
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        problems.append(Finding("garbled result", {"detail": str(exc)}))


def changed_inputs(call, after, blobs):
    """Positions (among the tensor arguments) of the inputs the call changed
    in place: the originals kept here against the arguments as the sandbox
    sent them back after the call; whatever cannot be read counts as changed"""
    originals = [a for a in call.args if isinstance(a, torch.Tensor)]
    if not isinstance(after, list) or len(after) != len(originals):
        return list(range(len(originals)))
    changed = []
    for i, (original, head) in enumerate(zip(originals, after)):
        try:
            now = wire.get(head, blobs)
            same = isinstance(now, torch.Tensor) and now.dtype == original.dtype \
                and now.shape == original.shape and same_tensor(original, now)
        except Exception:  # noqa: BLE001
            same = False
        if not same:
            changed.append(i)
    return changed


# Names that code needs only to inspect or steer the grader: reported to the
# instructor for a look, never counted against the student
SUSPICIOUS = ("_getframe", "f_back", "f_locals", "f_globals", "get_objects", "get_referrers",
              "ctypes", "settrace", "setprofile", "set_custom_exc", "_disable_current_modes",
              "_pop_torch", "__torch_dispatch__", "TorchDispatchMode", "run_call", "Recorder",
              "grader.checks.calls", "grader.sandbox", "os.fork", "os.kill", "os._exit",
              "socket", "subprocess", "__class__", "/proc/", "gc.callbacks", "addaudithook",
              "array_interface", "os.read(4", "os.write(3", "hmac")


def suspicious_names(source):
    """Which of SUSPICIOUS the code mentions, for the instructor's review"""
    return [name for name in SUSPICIOUS if re.search(re.escape(name), source)]


def _stopped(got, specs, head):
    try:
        name = _job_name(specs, head)
    except KeyError:
        return
    note = str(head.get("note", ""))[:300]
    kind = "timeout" if head.get("kind") == "timeout" else "crash"
    call = head.get("call")
    for k, o in enumerate(got[name]):
        if o is None:
            o = Outcome(kind, note=note if (k == call or call is None) else
                        f"not run: an earlier call {'hung' if kind == 'timeout' else 'crashed'}")
            got[name][k] = o


def _void(got, specs, head):
    """Every outcome of the job is thrown away: something other than the
    grader's measuring code wrote or sealed them (protocol.py)"""
    try:
        name = _job_name(specs, head)
    except KeyError:
        return
    reason = str(head.get("reason", ""))[:300]
    got[name] = [Outcome("void", note=reason)] * len(got[name])


def _missing(got, specs, head):
    try:
        name = _job_name(specs, head)
    except KeyError:
        return
    got[name] = [Outcome("missing")] * len(got[name])


def public_verdict(spec, aspect, shown, source, verdict):
    """What a failing check may say where hidden inputs must stay hidden
    (feedback before a deadline): its counterexample among the published
    examples, or, where they all pass, only that hidden cases fail"""
    try:
        public = judge(spec, aspect, shown, source) if shown else None
    except Exception:  # noqa: BLE001
        public = None
    if public is not None and not public.passed:
        return public
    return Verdict(verdict.grade_id, False, 0, verdict.max_points, verdict.kind, Finding(
        "hidden only", {"function": spec.name, "checked": verdict.checked}))


def not_run(assignment, problem, devices, seconds=0.0, state=UNREADABLE):
    """The result of a notebook nothing of which could run (unreadable, too
    large): 0 for every check, with the reason"""
    cells = [(s.grade_id(a), p) for s in functions_of(assignment) for a, p in s.aspects.items()]
    return GradeResult(zero_verdicts(cells, Kind.NOT_RUN, problem), problems=[problem],
                       devices=list(devices), seconds=seconds, state=state)
