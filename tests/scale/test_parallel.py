"""Parallel workers and a Dask cluster grade exactly as a sequential run"""
import os
from pathlib import Path

import pytest

from grader.autograde import autograde
from grader.course import default_db_url

from ._helpers import ASSIGNMENT, STUDENTS, gradebook_grades, saved_results, sql_check


def _same_verdicts(got, want):
    assert sorted(got) == sorted(want)
    for student in want:
        assert got[student] == want[student], f"{student}: verdicts differ"


def test_the_reference_run_is_sound(sequential):
    """Does the sequential run record every student completely, with the
    mistakes costing points?"""
    grades = sql_check(default_db_url(sequential["course"]))
    assert sorted(grades) == sorted(STUDENTS)
    total = {s: sum(v or 0 for v in g.values()) for s, g in grades.items()}
    assert total["ada"] > total["claude"] > 0 and total["niklaus"] == 0
    assert set(sequential["summary"].failed) == {"niklaus"}


def test_two_workers_grade_like_one(course, sequential):
    """Do two worker processes give every student the same grades and the
    same messages as one?"""
    summary = autograde(ASSIGNMENT, course, workers=2, quiet=True)
    assert sorted(summary.graded) == sorted(STUDENTS)
    assert gradebook_grades(default_db_url(course)) == sequential["grades"]
    _same_verdicts(saved_results(course), sequential["results"])
    sql_check(default_db_url(course))
    pids = {w["pid"] for w in _workers(course)}
    assert len(pids) == 2 and os.getpid() not in pids


def test_a_dask_cluster_grades_like_one_process(course, sequential):
    """Does a real Dask cluster (two worker processes) give the same grades,
    graded by its workers from the notebooks' bytes alone, with only this
    process writing the gradebook?"""
    distributed = pytest.importorskip("distributed")
    from grader.course import DEFAULT_SEED
    from grader.ledger import checks_fingerprint
    from grader.runners.dask import grade_task
    from grader.worker import Setup
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None, silence_logs=40) as cluster, \
            distributed.Client(cluster) as client:
        worker_pids = set(client.run(os.getpid).values())
        summary = autograde(ASSIGNMENT, course, scheduler=cluster.scheduler_address,
                            quiet=True)
        # a task gets content, never a path: a notebook that is on no disk
        data = (Path(course) / "submitted" / "claude" / ASSIGNMENT /
                f"{ASSIGNMENT}.ipynb").read_bytes()
        setup = lambda checks: Setup(DEFAULT_SEED, fingerprints={ASSIGNMENT: checks})
        alone = client.submit(grade_task, data, ASSIGNMENT, setup(checks_fingerprint(ASSIGNMENT)),
                              pure=False).result()
        with pytest.raises(RuntimeError, match="other checks"):
            client.submit(grade_task, data, ASSIGNMENT, setup("not-these-checks"),
                          pure=False).result()
    assert sorted(summary.graded) == sorted(STUDENTS)
    assert gradebook_grades(default_db_url(course)) == sequential["grades"]
    _same_verdicts(saved_results(course), sequential["results"])
    sql_check(default_db_url(course))
    used = {w["pid"] for w in _workers(course)}
    assert used and used <= worker_pids
    # the same verdicts, but for the `devices` ones, which the client (knowing
    # the course checks the CPU alone) makes 0 of 0 before it keeps them
    mine = lambda verdicts: {g: v for g, v in verdicts.items() if not g.endswith("-devices")}
    assert mine(alone["verdicts"]) == mine(sequential["results"]["claude"])


def _workers(course):
    import json
    out = []
    for path in (Path(course) / ".grader" / "results" / ASSIGNMENT).glob("*/*.json"):
        worker = json.loads(path.read_text())["result"].get("worker")
        if worker:
            out.append(worker)
    return out
