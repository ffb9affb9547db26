"""The class report's analysis: pure functions over GradeResults and
gradebook rows, reading fields only (never the words a student reads)

`results` below is {student: [(notebook, GradeResult)]} (ledger.cached_results);
`rows` are gradebook.grade_rows' rows.
"""
import json
import re
import statistics
from collections import Counter, OrderedDict

from grader.checks.verdict import Finding, Kind, Value
from grader.result import UNGRADED, UNREADABLE

_LIST = re.compile(r"\[[^\[\]]*\]")
_TUPLE = re.compile(r"\((?:\s*-?\d+\s*,?)+\)")
_NUM = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w])")
_TICKS = re.compile(r"`[^`]*`")


def generalise(text):
    """Text with its numbers, shapes, lists and `names` elided: the sentences
    of one reason that differ only in those read the same"""
    key = _TICKS.sub("`…`", text)
    for _ in range(3):
        key = _LIST.sub("[…]", key)
    key = _TUPLE.sub("(…)", key)
    return _NUM.sub("…", key)


# a Finding's values that name a function or an argument: a reason is the
# same whichever it names
NAMES = ("function", "signature", "arg", "position", "name")


def _elided(value):
    """A Finding's value with its numbers and names elided"""
    if isinstance(value, Finding):
        return [value.code, {k: _elided(v) for k, v in sorted(value.params.items())
                             if k not in NAMES}]
    if isinstance(value, Value):
        return ["value", value.dtype, None if value.text is None else generalise(value.text)]
    if isinstance(value, dict):
        return {k: _elided(v) for k, v in sorted(value.items()) if k not in NAMES}
    if isinstance(value, (list, tuple)):
        return "…" if all(isinstance(v, (int, float)) for v in value) else \
            [_elided(v) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "…"
    return generalise(str(value)) if isinstance(value, str) else value


def reason_key(finding):
    """What failed, whatever the numbers, shapes and names: failures with one
    key are one reason"""
    return json.dumps(_elided(finding), sort_keys=True, ensure_ascii=False)


def failure_reasons(results):
    """[{key, verdicts: [(student, verdict)], count, students, checks}]: the
    failing checks grouped by reason (reason_key), in the order first met"""
    groups = OrderedDict()
    for student, per_nb in results.items():
        for _, result in per_nb:
            for gid, v in result.verdicts.items():
                if v.passed:
                    continue
                g = groups.setdefault(reason_key(v.reason), {
                    "key": reason_key(v.reason), "verdicts": [], "count": 0,
                    "students": set(), "checks": Counter()})
                g["verdicts"].append((student, v))
                g["count"] += 1
                g["students"].add(student)
                g["checks"][gid] += 1
    return list(groups.values())


_LIMIT_WORDS = ("MemoryError", "DefaultCPUAllocator", "out of memory", "CPU time limit",
                "more data than allowed", "memory limit", "Cannot allocate")


def _said(value):
    """Everything a Finding carries that came from the student's code or the
    sandbox (its values), as one text, for the words of a limit"""
    if isinstance(value, Finding):
        return " ".join(_said(v) for v in value.params.values())
    if isinstance(value, (list, tuple)):
        return " ".join(_said(v) for v in value)
    if isinstance(value, dict):
        return " ".join(_said(v) for v in value.values())
    return "" if isinstance(value, Value) else str(value)


def _limit(text):
    return any(w in text for w in _LIMIT_WORDS)


def incidents(results, output_limit=65536):
    """[(student, kind, where, detail)]: kind is 'unreadable', 'timeout',
    'crash', 'limit', 'error' (a cell that raised), 'ungraded' (no worker
    could grade it: 0, graded again next run), 'rebuilt' (recorded from the
    released notebook) or 'unrecorded' (not in the gradebook). The detail
    is data: problems (Findings), a failing Verdict, a cell's error (text
    from the sandbox), or the bytes printed (an int)."""
    out = []
    for student, per_nb in sorted(results.items()):
        for nb, result in per_nb:
            if result.not_recorded:
                out.append((student, "unrecorded", nb, [result.not_recorded]))
            if result.state == UNREADABLE:
                out.append((student, "unreadable", nb, result.problems))
            elif result.state == UNGRADED:
                out.append((student, "ungraded", nb, result.problems))
            else:
                for p in result.problems:
                    said = _said(p)
                    kind = "rebuilt" if p.code == "rebuilt" else "limit" if _limit(said) else \
                        "timeout" if "time" in said else "crash"
                    out.append((student, kind, nb, [p]))
            for index, cell in sorted(result.cells.items(),
                                      key=lambda kv: int(kv[0]) if str(kv[0]).isdigit() else 0):
                if cell.status in (None, "ok"):
                    continue
                detail = str(cell.error or "")
                kind = {"timeout": "timeout", "crash": "crash", "garbled": "crash"}.get(
                    cell.status, "error")
                if _limit(detail):
                    kind = "limit"
                out.append((student, kind, f"cell {index}", detail))
            seen = set()
            for v in result.verdicts.values():
                if v.passed:
                    continue
                kind = "limit" if v.reason is not None and _limit(_said(v.reason)) else \
                    {Kind.TIMED_OUT: "timeout", Kind.DIED: "crash"}.get(v.kind)
                if kind and (v.function, kind) not in seen:
                    seen.add((v.function, kind))
                    out.append((student, kind, f"function {v.function}", v))
            total = result.output.total_bytes
            if total > output_limit:
                out.append((student, "limit", nb, total))
    return out


def devices_checked(results):
    """The devices any result was checked on, cpu first"""
    return sorted({d for per in results.values() for _, r in per for d in r.devices},
                  key=lambda d: (d != "cpu", d))


def grading_seconds(results):
    """{student: seconds their notebooks took to grade}"""
    return {s: sum(float(r.seconds or 0) for _, r in per) for s, per in results.items()}


def score_stats(rows):
    scores = [r["score"] for r in rows]
    return {"submissions": len(rows), "mean": statistics.mean(scores),
            "median": statistics.median(scores), "min": min(scores), "max": max(scores),
            "top": max((r["max"] for r in rows), default=0),
            "pending": sum(1 for r in rows if r["pending"])}


def pass_rate(rows, grade_id):
    """(passed, of how many, worth anything): how many submissions got the
    full points of a check"""
    got = [r["aspects"][grade_id] for r in rows if grade_id in r["aspects"]]
    return sum(1 for s, m in got if m and s >= m), len(got), any(m for _, m in got)


def points_share(rows, column):
    """The share of a column's points (a function's) the class earned"""
    earned = sum(r["columns"].get(column, (0, 0))[0] for r in rows)
    possible = sum(r["columns"].get(column, (0, 0))[1] for r in rows)
    return earned / possible if possible else 0.0
