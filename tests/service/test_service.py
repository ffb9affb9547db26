"""The grading service: who may submit, what feedback says, which attempt
counts, and what survives a kill

Submissions are written into the exchange as nbgrader's Submit writes them
(exchange_sim.py); the browser test clicks the real button. Accounts that
exist on every Debian machine stand in for students: `nobody` and `daemon`.
"""
import datetime
import json
import os
import pwd
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from grader.assignments import corpus, function_spec
from grader.checks import check
from grader.course import COURSE_ID, SettingError, default_db_url
from grader.service import attempts, exchange, policy
from grader.service.serve import CHECKS_CHANGED, Service, ServiceError

from tests.practice import ASSIGNMENT, RELEASED, correct_notebook
from .exchange_sim import release_assignment, submit, wait_for

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
# The test-only assignment's max and average pooling by hand (tests/practice.py)
FUNCTION = "local_pool"
# ... right on the published examples' 2 x 2 windows, wrong on larger ones
HIDDEN_ONLY_WRONG = '''def local_pool(X, pool_size, mode='max'):
    if mode not in ('max', 'avg'):
        raise ValueError(f"mode must be 'max' or 'avg', not {mode!r}")
    p_h, p_w = pool_size
    p_h, p_w = min(p_h, 2), min(p_w, 2)
    rows = []
    for i in range(X.shape[0] - pool_size[0] + 1):
        row = []
        for j in range(X.shape[1] - pool_size[1] + 1):
            w = X[i:i + p_h, j:j + p_w]
            row.append(w.max() if mode == 'max' else w.mean())
        rows.append(torch.stack(row))
    return torch.stack(rows)'''
# ... and average pooling that sums: wrong on the published examples too
SUMS = '''def local_pool(X, pool_size, mode='max'):
    if mode not in ('max', 'avg'):
        raise ValueError(f"mode must be 'max' or 'avg', not {mode!r}")
    windows = X.unfold(0, pool_size[0], 1).unfold(1, pool_size[1], 1)
    return windows.amax((-2, -1)) if mode == 'max' else windows.sum((-2, -1))'''


def _account(name):
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        pytest.skip(f"no account {name!r} on this machine")
    return entry.pw_uid, entry.pw_gid


def _solved(cells):
    """The correct notebook with the solution cells of `cells` ({grade_id:
    source, or None for the released stub}) replaced; its bytes"""
    stubs = {c.metadata["nbgrader"]["grade_id"]: c.source
             for c in nbformat.read(RELEASED, as_version=4).cells
             if c.metadata.get("nbgrader", {}).get("solution")}
    nb = correct_notebook()
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in cells:
            cell.source = stubs[gid] if cells[gid] is None else cells[gid]
    return nbformat.writes(nb).encode()


@pytest.fixture(scope="module")
def sample():
    """{label: notebook bytes} of submissions of the test-only assignment:
    correct; a local_pool wrong on the published examples (sums); one wrong
    on hidden cases only; the released notebook as it is (unsolved); and the
    correct one with strided_pool left a stub"""
    return {"correct": _solved({}),
            "sums": _solved({f"{FUNCTION}-solution": SUMS}),
            "hidden_only_wrong": _solved({f"{FUNCTION}-solution": HIDDEN_ONLY_WRONG}),
            "unsolved": RELEASED.read_bytes(),
            "no_strided": _solved({"strided_pool-solution": None})}


def _course(tmp, settings):
    course = tmp / "course"
    course.mkdir()
    (course / "grader.toml").write_text(settings)
    root = release_assignment(course, ASSIGNMENT)
    return course, root


def _run(service, until, timeout=240):
    """Run the service in a thread until `until()`; its return value"""
    out = {}
    start = time.monotonic()
    done = lambda s: until() or time.monotonic() - start > timeout
    thread = threading.Thread(target=lambda: out.setdefault("code", service.run(done)))
    thread.start()
    return thread, out


def _page(root, secret):
    return exchange.feedback_path(root, COURSE_ID, secret, ASSIGNMENT)


def _gradebook_score(course, student):
    with Gradebook(default_db_url(course)) as gb:
        return gb.find_submission(ASSIGNMENT, student).score


def test_policies_identity_and_levels(tmp_path, sample):
    """Two attempts are graded before the deadline and the best counts; the
    third is kept, not graded, and says so; feedback at the `table` level
    says which checks failed and nothing of how; a submission in another
    account's name, or holding another account's file, is refused"""
    nobody, daemon = _account("nobody"), _account("daemon")
    course, root = _course(tmp_path, '[service]\nworkers = 1\npoll_seconds = 0.05\n'
                                     f'[assignments.{ASSIGNMENT}]\nattempts = 2\ncounts = "best"\n'
                                     'feedback = "table"\n')
    service = Service(course)
    try:
        first = submit(root, COURSE_ID, "nobody", ASSIGNMENT, {NOTEBOOK: sample["correct"]},
                       owner=nobody)
        thread, out = _run(service, lambda: _page(root, first[1]).exists())
        thread.join()
        second = submit(root, COURSE_ID, "nobody", ASSIGNMENT,
                        {NOTEBOOK: sample["sums"]}, owner=nobody)
        third = submit(root, COURSE_ID, "nobody", ASSIGNMENT, {NOTEBOOK: sample["no_strided"]},
                       owner=nobody)
        impostor = submit(root, COURSE_ID, "daemon", ASSIGNMENT, {NOTEBOOK: sample["correct"]},
                          owner=nobody)
        mixed = submit(root, COURSE_ID, "daemon", ASSIGNMENT, {NOTEBOOK: sample["correct"]},
                       owner=daemon)
        os.chown(mixed[0] / NOTEBOOK, *nobody)
        thread, out = _run(service, lambda: _page(root, third[1]).exists()
                           and _page(root, second[1]).exists()
                           and len([s for _, s in _all_states(course)
                                    if s.get("status") == "refused"]) == 2)
        thread.join()
    finally:
        service.close()
    states = {Path(p).name: s for p, s in _all_states(course)}
    by_folder = lambda sub: states[sub[0].name]
    assert by_folder(first)["status"] == "released" and by_folder(first)["counted"]
    assert by_folder(second)["status"] == "released" and not by_folder(second)["counted"]
    assert by_folder(third)["status"] == "over-limit"
    assert by_folder(first)["score"] > by_folder(second)["score"]
    assert _gradebook_score(course, "nobody") == by_folder(first)["score"]   # the best
    over = _page(root, third[1]).read_text()
    assert "was not graded" in over and "2 attempts" in over
    table = _page(root, second[1]).read_text()
    assert "Until the deadline this page shows which checks passed, without reasons" in table
    assert "What to fix" not in table and "expected:" not in table
    refused = [s for s in states.values() if s.get("status") == "refused"]
    assert len(refused) == 2
    assert any("belongs to nobody, not to daemon" in s["reason"] for s in refused)
    assert not list((course / "submitted").glob("daemon*"))
    assert not _page(root, impostor[1]).exists() and not _page(root, mixed[1]).exists()


def _all_states(course):
    return [(p, attempts.state(p)) for p in (course / "attempts").glob("*/*/*")]


def test_public_feedback_never_shows_a_hidden_input(tmp_path, sample):
    """A local_pool right on the published examples and wrong on hidden
    cases: at the `public` level its page says so without any hidden input;
    after the deadline the page shows the hidden counterexample"""
    # it is: every visible check passes on it, and it loses `values` on the hidden cases
    answer = corpus.Answer(FUNCTION, "right on 2 x 2 windows only", HIDDEN_ONLY_WRONG + "\n")
    fn, _ = corpus.load(answer)
    for aspect in function_spec(FUNCTION).aspects:
        check(f"{FUNCTION}-{aspect}", fn)           # CheckFailed where it fails
    assert "values" in corpus.lost(corpus.grade(answer))
    course, root = _course(tmp_path, '[service]\nidentity = "name"\nworkers = 1\n'
                                     'poll_seconds = 0.05\n')
    service = Service(course)
    try:
        before = submit(root, COURSE_ID, "hedy", ASSIGNMENT,
                        {NOTEBOOK: sample["hidden_only_wrong"]})
        thread, _ = _run(service, lambda: _page(root, before[1]).exists())
        thread.join()
        with Gradebook(default_db_url(course)) as gb:
            gb.update_or_create_assignment(ASSIGNMENT, duedate=datetime.datetime(2020, 1, 1))
        after = submit(root, COURSE_ID, "hedy", ASSIGNMENT,
                       {NOTEBOOK: sample["hidden_only_wrong"]})
        thread, _ = _run(service, lambda: _page(root, after[1]).exists())
        thread.join()
    finally:
        service.close()
    public = _page(root, before[1]).read_text()
    assert "passes this check on the published examples in your notebook, but not on every " \
           "hidden case" in public
    assert f"{FUNCTION}(X, (" not in _fix_section(public)   # no call of it is shown
    full = _page(root, after[1]).read_text()
    assert "Until the deadline" not in full
    assert re.search(rf"{FUNCTION}\(X, \(\d, \d\)", _fix_section(full))   # the hidden call


def _fix_section(html):
    start = html.find("What to fix")
    return html[start:html.find("Your notebook, with the result", start)]


def test_refuses_a_course_whose_release_differs(tmp_path):
    """The notebook released to students is not the one the checks grade:
    the service refuses to start, and says what to do"""
    course, root = _course(tmp_path, '[service]\nidentity = "name"\n')
    released = root / COURSE_ID / "outbound" / ASSIGNMENT / NOTEBOOK
    nb = json.loads(released.read_text())
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade"))
    cell["metadata"]["nbgrader"]["checksum"] = "0" * 32
    released.write_text(json.dumps(nb))
    with pytest.raises(ServiceError, match=f"run `grader release {ASSIGNMENT}`"):
        Service(course)


@pytest.mark.parametrize("text, match", [
    ('[service]\nidentity = "anyone"\n', "identity"),
    (f'[assignments.{ASSIGNMENT}]\nfeedback = "everything"\n', "feedback"),
    (f'[assignments.{ASSIGNMENT}]\nattempts = -1\n', "attempts"),
    (f'[assignments.{ASSIGNMENT}]\ncounts = "first"\n', "counts"),
    (f'[assignments.{ASSIGNMENT}]\nretries = 3\n', "unknown setting retries"),
    ('[service\n', "cannot be read"),
])
def test_bad_settings_say_what_is_wrong(tmp_path, text, match):
    (tmp_path / "grader.toml").write_text(text)
    with pytest.raises(SettingError, match=match):
        policy.load(tmp_path)


def test_stops_taking_submissions_when_the_checks_change(tmp_path, monkeypatch):
    """The checks changed on disk: no new submission is taken, and the
    service exits with the status that asks its supervisor for a restart"""
    course, root = _course(tmp_path, '[service]\nidentity = "name"\nworkers = 1\n')
    service = Service(course)
    try:
        import grader.ledger
        monkeypatch.setattr(grader.ledger, "checks_fingerprint", lambda a: "changed")
        service._check_version()
        folder, secret = submit(root, COURSE_ID, "ken", ASSIGNMENT, {NOTEBOOK: b"{}"})
        code = service.run(lambda s: False)
    finally:
        service.close()
    assert code == CHECKS_CHANGED
    assert not (course / "attempts" / "ken").exists()   # not taken: the next start takes it


def test_killed_mid_burst_and_started_again_grades_each_once(tmp_path, sample):
    """`grader serve` killed (SIGKILL) in the middle of a burst and started
    again: every submission is graded exactly once, none is lost, and the
    gradebook holds one submission per student with its grade"""
    course, root = _course(tmp_path, '[service]\nidentity = "name"\nworkers = 2\n'
                                     'poll_seconds = 0.05\n')
    students = [f"s{i:02d}" for i in range(10)]
    mix = ["correct", "sums", "hidden_only_wrong", "unsolved", "no_strided"]
    secrets_ = {s: submit(root, COURSE_ID, s, ASSIGNMENT,
                          {NOTEBOOK: sample[mix[i % len(mix)]]})[1]
                for i, s in enumerate(students)}
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep
               + os.environ.get("PATH", ""))
    cmd = [sys.executable, "-m", "grader", "serve", "--course", str(course)]
    log = open(tmp_path / "first.log", "w")
    first = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                             start_new_session=True)
    deadline = time.monotonic() + 180
    while sum(_page(root, s).exists() for s in secrets_.values()) < 3:
        assert time.monotonic() < deadline and first.poll() is None, \
            (tmp_path / "first.log").read_text()[-3000:]
        time.sleep(0.05)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    released_first = sum(_page(root, s).exists() for s in secrets_.values())
    assert released_first < len(students), "the burst was over before the kill"
    log2 = open(tmp_path / "second.log", "w")
    second = subprocess.Popen(cmd, env=env, stdout=log2, stderr=subprocess.STDOUT, cwd=ROOT,
                              start_new_session=True)
    try:
        for secret in secrets_.values():
            wait_for(_page(root, secret), timeout=240)
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(60)
    states = {s: attempts.state(next((course / "attempts" / s / ASSIGNMENT).iterdir()))
              for s in students}
    assert all(st["status"] == "released" for st in states.values()), states
    assert all(st["gradings"] == 1 for st in states.values()), \
        {s: st["gradings"] for s, st in states.items()}
    with Gradebook(default_db_url(course)) as gb:
        subs = gb.find_assignment(ASSIGNMENT).submissions
        assert sorted(s.student_id for s in subs) == students
        for sub in subs:
            assert sub.score == states[sub.student_id]["score"]
    logs = (tmp_path / "first.log").read_text() + (tmp_path / "second.log").read_text()
    assert sum(f"{s} {ASSIGNMENT}:" in logs for s in students) == len(students)


def test_grades_on_dask_workers(tmp_path, sample):
    """With a Dask cluster behind it, the service grades there, the same"""
    distributed = pytest.importorskip("distributed")
    course, root = _course(tmp_path, '[service]\nidentity = "name"\npoll_seconds = 0.05\n')
    with distributed.LocalCluster(n_workers=1, processes=True, threads_per_worker=1,
                                  dashboard_address=None, silence_logs=40) as cluster:
        service = Service(course, scheduler=cluster.scheduler_address)
        try:
            folder, secret = submit(root, COURSE_ID, "grace", ASSIGNMENT,
                                    {NOTEBOOK: sample["correct"]})
            thread, _ = _run(service, lambda: _page(root, secret).exists())
            thread.join()
        finally:
            service.close()
    state = attempts.state(next((course / "attempts" / "grace" / ASSIGNMENT).iterdir()))
    assert state["status"] == "released"
    assert state["score"] == state["max_score"]
