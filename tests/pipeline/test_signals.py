"""A run stops when asked and leaves nothing behind

Reproduction (issue 18, 5): Ctrl-C during `grader autograde` was ignored or
ended in a traceback; SIGTERM or SIGKILL of the main process left its
forkserver, workers and sandboxes running. Here, for Ctrl-C (SIGINT to the
process group), SIGTERM and SIGKILL to the main process: grading stops
within seconds, every process the run started (forkserver, workers,
bubblewrap and all in it) is gone within seconds with their staging
directories, what was recorded is complete and kept, and the next run grades
only what is missing. A Dask client that is killed stops its tasks on the
cluster within seconds too.
"""
import glob
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import nbformat
import pytest

from grader.autograde import autograde
from grader.course import EXERCISES, REPO, default_db_url
from grader.ledger import read_marker
from grader.sandbox.procs import descendants, proc_table
from grader.sample import default_assignment

A = default_assignment()  # the assignment with the sample class

from ..scale._helpers import STUDENTS, sql_check

COPIES = [f"copy{i}" for i in range(6)]   # more work, so that the signal lands mid-run


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _left(pids):
    """What the run's processes left: themselves, their staging folders"""
    alive = [p for p in pids if _alive(p)]
    stages = [path for p in pids
              for path in glob.glob(f"{tempfile.gettempdir()}/grader-stage-{p}-*")]
    return alive, stages


def _wait_gone(pids, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end and any(_left(pids)):
        time.sleep(0.2)
    return _left(pids)


@pytest.fixture
def busy(course):
    """The scale template's class plus copies of ada"""
    for name in COPIES:
        shutil.copytree(course / "submitted" / "ada", course / "submitted" / name)
    return course


@pytest.mark.parametrize("sig,to", [("SIGINT", "group"), ("SIGTERM", "main"),
                                    ("SIGKILL", "main")])
def test_a_signal_stops_the_run_and_everything_it_started(busy, tmp_path, sig, to):
    everyone = sorted(STUDENTS + COPIES)
    log = open(tmp_path / "stderr", "w+")
    out = open(tmp_path / "stdout", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "grader", "autograde", A,
                             "--course", str(busy), "--workers", "2"],
                            cwd=REPO, env=dict(os.environ, PYTHONUNBUFFERED="1"),
                            stdout=out, stderr=log, start_new_session=True)
    tree, deadline = set(), time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            tree |= set(descendants(proc_table(), proc.pid))
            if f"] 3/{len(everyone)} " in open(tmp_path / "stderr").read():
                break
            time.sleep(0.05)
        tree |= set(descendants(proc_table(), proc.pid))
        sent = time.monotonic()
        (os.killpg if to == "group" else os.kill)(proc.pid, getattr(signal, sig))
        status = proc.wait(timeout=30)
        stopped_in = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert len(tree) >= 5, "the forkserver, two workers and their sandboxes"
    alive, stages = _wait_gone(tree | {proc.pid}, 10)
    assert not alive, f"processes outlived the run after {sig}: {alive}"
    assert not stages, f"staging folders left: {stages}"
    if sig != "SIGKILL":
        assert stopped_in < 10, f"{sig} took {stopped_in:.1f} s to stop the run"
        assert status == {"SIGINT": 130, "SIGTERM": 143}[sig]
        said = open(tmp_path / "stdout").read()
        assert f"STOPPED by {sig}" in said and f"run again: grader autograde {A}" in said
        assert "Traceback" not in open(tmp_path / "stderr").read()
    marked = {s for s in everyone if read_marker(busy, A, s)}
    grades = sql_check(default_db_url(busy))         # complete rows only
    assert 3 <= len(marked) < len(everyone), "the signal did not land mid-run"
    assert marked <= set(grades)
    again = autograde(A, busy, workers=2, quiet=True)
    assert sorted(again.skipped) == sorted(marked)
    assert sorted(again.graded) == sorted(set(everyone) - marked)
    assert sorted(sql_check(default_db_url(busy))) == everyone


def _slow_class(course, n):
    """n notebooks whose five extra cells sleep 8 s each: 40 s apiece"""
    for i in range(n):
        nb = nbformat.read(EXERCISES / A / f"{A}.ipynb", as_version=4)
        nb.cells += [nbformat.v4.new_code_cell(f"import time\ntime.sleep(8)  # {i}.{k}")
                     for k in range(5)]
        folder = course / "submitted" / f"slow{i}" / A
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{A}.ipynb")


def test_a_lost_dask_client_stops_its_tasks(tmp_path):
    """Kill the `grader autograde --scheduler` client while the cluster grades
    notebooks that take 40 s each: do the workers stop them within seconds?"""
    distributed = pytest.importorskip("distributed")
    _slow_class(tmp_path, 3)
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None, silence_logs=40) as cluster, \
            distributed.Client(cluster) as client:
        busy = lambda: sum(client.run(lambda dask_worker: len(dask_worker.state.executing))
                           .values())
        with open(tmp_path / "log", "w") as log:
            proc = subprocess.Popen([sys.executable, "-m", "grader", "autograde", A,
                                     "--course", str(tmp_path), "--scheduler",
                                     cluster.scheduler_address], cwd=REPO, stdout=log,
                                    stderr=log)
        try:
            end = time.monotonic() + 180
            while busy() < 2 and time.monotonic() < end:
                time.sleep(0.5)
            assert busy() == 2, open(tmp_path / "log").read()[-2000:]
            time.sleep(2)   # well into the first notebooks
        finally:
            proc.kill()
            proc.wait()
        killed = time.monotonic()
        while busy() and time.monotonic() - killed < 40:
            time.sleep(0.2)
        stopped_in = time.monotonic() - killed
        # each notebook runs 40 s and had run about 2 s: stopping well before
        # the rest of it (25 s, room for a loaded machine's heartbeats) means
        # the tasks were cancelled, not finished
        assert busy() == 0 and stopped_in < 25, \
            f"the cluster kept grading for the lost client ({stopped_in:.1f} s)"


def test_a_signal_while_a_submission_is_recorded_stops_after_its_transaction(course, caplog,
                                                                             capfd):
    """SIGINT while SQLAlchemy fetches rows in the middle of recording the
    second submission (reproduction: CI on main, where the stop was raised
    inside fetchall, and SQLAlchemy then logged "Error closing cursor ...
    Cannot operate on a closed database" with a traceback): the run stops
    right after that submission's transaction, with no traceback anywhere,
    both submissions recorded and marked, and nothing else"""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    inserted, sent = [], []

    class Interrupted:
        """The DBAPI cursor, whose first fetch gets SIGINT to this process"""

        def __init__(self, cursor):
            self.cursor = cursor

        def __getattr__(self, name):
            attr = getattr(self.cursor, name)
            if name.startswith("fetch") and not sent:
                sent.append(name)
                os.kill(os.getpid(), signal.SIGINT)
            return attr

        def __iter__(self):
            return iter(self.cursor)

    def mid_transaction(conn, cursor, statement, parameters, context, executemany):
        # the SELECTs after the second submission's row is inserted, before
        # its transaction commits
        if statement.lstrip().upper().startswith("INSERT INTO SUBMITTED_ASSIGNMENT"):
            inserted.append(statement)
        elif len(inserted) == 2 and not sent and statement.lstrip().upper().startswith("SELECT"):
            context.cursor = Interrupted(context.cursor)

    event.listen(Engine, "after_cursor_execute", mid_transaction)
    try:
        summary = autograde(A, course, workers=1, quiet=True)
    finally:
        event.remove(Engine, "after_cursor_execute", mid_transaction)
    assert sent, "the signal was never sent: no second submission was recorded"
    assert summary.stopped == "SIGINT"
    errors = [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors
    assert "Traceback" not in capfd.readouterr().err
    marked = {s for s in STUDENTS if read_marker(course, A, s)}
    assert len(marked) == 2 and summary.left == len(STUDENTS) - 2
    assert sorted(summary.graded) == sorted(marked)
    assert set(sql_check(default_db_url(course))) == marked   # complete rows, those two only
    again = autograde(A, course, workers=1, quiet=True)
    assert sorted(again.skipped) == sorted(marked) and not again.stopped
    assert sorted(sql_check(default_db_url(course))) == sorted(STUDENTS)
