"""What grading one submission gives: a `GradeResult`

A worker (worker.py) turns a submission's bytes into a GradeResult; the
gradebook writer records it (record.py), the ledger keeps it in the result
cache (ledger.py), the service keeps one per attempt, the feedback and the
report read it. It goes to JSON and back (`to_json`, `from_json`) with its
format's version: a result made by another version of the grader is
refused (`FormatError`), never half read.
"""
from dataclasses import dataclass, field, replace

from grader.checks.verdict import Finding, Kind, Verdict

FORMAT = 2   # 1: the untyped dicts of earlier versions (no "format" key)
GRADED, UNREADABLE, UNGRADED = "graded", "unreadable", "ungraded"


class FormatError(ValueError):
    """A result in another format than this grader's"""


@dataclass
class CellStatus:
    """What happened to one of the student's cells when it ran"""
    status: str               # ok, error, timeout, crash, ...
    error: str = None


@dataclass
class Output:
    """What the notebook printed: the first 64 KB, and how much in all"""
    text: str = ""
    total_bytes: int = 0


@dataclass
class WorkerInfo:
    """Where and how long a submission was graded"""
    pid: int
    host: str
    seconds: float
    cpu: float
    isolated: bool
    sandbox_cpu: float = None


@dataclass
class GradeResult:
    """One graded submission

    verdicts: grade id -> Verdict, for every automatically graded cell
    cells: the student's cells that did not simply run, by index (as text)
    problems: what went wrong while grading it (Findings, explain.problem)
    state: GRADED, UNREADABLE (nothing could run: an unreadable or too
        large notebook) or UNGRADED (no worker could grade it: graded again
        next run)
    checks: the version of the checks it was graded with (their fingerprint)
    not_recorded: why the gradebook could not take it, where it could not
    """
    verdicts: dict
    cells: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    output: Output = field(default_factory=Output)
    devices: list = field(default_factory=list)
    seconds: float = 0.0
    suspicious: list = field(default_factory=list)
    received_bytes: int = None
    state: str = GRADED
    worker: WorkerInfo = None
    checks: str = ""
    not_recorded: Finding = None

    @property
    def score(self):
        return sum(v.points for v in self.verdicts.values())

    @property
    def max_score(self):
        return sum(v.max_points for v in self.verdicts.values())

    def to_json(self):
        return {"format": FORMAT,
                "verdicts": {k: v.to_json() for k, v in self.verdicts.items()},
                "cells": {k: vars(c) for k, c in self.cells.items()},
                "problems": [p.to_json() for p in self.problems],
                "output": vars(self.output), "devices": list(self.devices),
                "seconds": self.seconds, "suspicious": list(self.suspicious),
                "received_bytes": self.received_bytes, "state": self.state,
                "worker": None if self.worker is None else vars(self.worker),
                "checks": self.checks,
                "not_recorded": None if self.not_recorded is None else
                self.not_recorded.to_json()}

    @classmethod
    def from_json(cls, data):
        """The result `to_json` wrote; FormatError for any other format"""
        found = data.get("format") if isinstance(data, dict) else None
        if found != FORMAT:
            raise FormatError(f"a result in format {found or 1}, not {FORMAT}: graded by "
                              f"another version of the grader")
        worker, unrecorded = data.get("worker"), data.get("not_recorded")
        return cls({k: Verdict.from_json(v) for k, v in data["verdicts"].items()},
                   {k: CellStatus(**c) for k, c in (data.get("cells") or {}).items()},
                   [Finding.from_json(p) for p in data.get("problems") or []],
                   Output(**(data.get("output") or {})), list(data.get("devices") or []),
                   data.get("seconds", 0.0), list(data.get("suspicious") or []),
                   data.get("received_bytes"), data.get("state", GRADED),
                   None if worker is None else WorkerInfo(**worker), data.get("checks", ""),
                   None if unrecorded is None else Finding.from_json(unrecorded))


def zero_verdicts(cells, kind, reason):
    """0 points with one reason for each grade cell: cells as (grade id,
    max points) pairs (a notebook nothing could grade)"""
    return {gid: Verdict(gid, False, 0, points, kind, reason) for gid, points in cells}


def devices_unchecked(result, devices, course):
    """Where a run checks the CPU alone, no `<function>-devices` cell was
    really checked: each is 0 of 0 (the gradebook's maximum, set by
    gradebook.ensure_assignment), saying why (the course's devices)"""
    if list(devices) != ["cpu"]:
        return result
    verdicts = dict(result.verdicts)
    for gid in verdicts:
        if gid.endswith("-devices"):
            verdicts[gid] = Verdict(gid, True, 0.0, 0.0, Kind.NOT_CHECKED,
                                    Finding("not checked", {"course": list(course)}))
    return replace(result, verdicts=verdicts)
