"""Submit in JupyterLab, feedback seconds later: the real thing in a browser

An nbgrader exchange on this machine with the test-only assignment
(tests/practice.py) released;
`grader serve` running on the course (identity "owner": the submission
must belong to the account named like the student, here the account that
runs JupyterLab); a JupyterLab configured for that exchange, as a student's
is on a hub. Headless Chromium (Debian's, through playwright) then does
what the student does in nbgrader's Assignments tab: Fetch, fill local_pool
in the fetched notebook, save, Submit; then refresh until the tab says the
feedback is there, Fetch Feedback, and open the page. Screenshots go to
build/artifacts/service-*.png, the timings to build/artifacts/service-timings.json.
"""
import getpass
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from grader.course import COURSE_ID
from tests.lab.test_lab import (ARTIFACTS, CHROMIUM, FLAGS, LOCAL_POOL, STUB, _cell,
                                _free_port, _get, _set_source, _wait_idle)
from tests.practice import ASSIGNMENT

from .exchange_sim import release_assignment

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
TIMINGS = {}


def _start(cmd, log, env, ready, timeout=180, cwd=ROOT):
    out = open(log, "w")
    proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True, cwd=cwd)
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None:
            pytest.fail(f"{' '.join(map(str, cmd[:4]))} exited with {proc.returncode}:\n"
                        f"{Path(log).read_text()[-4000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"{' '.join(map(str, cmd[:4]))} not ready in {timeout} s:\n"
                        f"{Path(log).read_text()[-4000:]}")
        time.sleep(0.3)
    return proc


def _stop(proc):
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """{base, token, student_root, course, exchange, service_log} with the
    service and JupyterLab running"""
    tmp = tmp_path_factory.mktemp("service-browser")
    course, student_root = tmp / "course", tmp / "student"
    course.mkdir()
    student_root.mkdir()
    (course / "grader.toml").write_text(
        '[service]\nidentity = "owner"\nworkers = 1\npoll_seconds = 0.1\n'
        f'[assignments.{ASSIGNMENT}]\nfeedback = "public"\n')
    exchange = release_assignment(course, ASSIGNMENT)
    os.chmod(exchange, 0o777)
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep
               + os.environ.get("PATH", ""))
    service_log = tmp / "service.log"
    service = _start([sys.executable, "-m", "grader", "serve", "--course", str(course)],
                     service_log, env, lambda: "serving " in service_log.read_text())
    config = tmp / "config"
    config.mkdir()
    (config / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        f"c.Exchange.cache = {str(tmp / 'cache')!r}\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n")
    port, token = _free_port(), secrets.token_hex(16)
    lab_env = dict(env, JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
                   JUPYTER_CONFIG_DIR=str(config), JUPYTER_DATA_DIR=str(tmp / "data"),
                   IPYTHONDIR=str(tmp / "ipython"))
    lab_env.pop("PYTHONPATH", None)
    base = f"http://127.0.0.1:{port}"

    def up():
        try:
            return _get(f"{base}/api/status?token={token}")[0] == 200
        except OSError:
            return False
    lab = _start([sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={student_root}",
                  "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                  "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
                  "--ServerApp.open_browser=False", "--ServerApp.allow_root=True"],
                 tmp / "lab.log", lab_env, up, cwd=student_root)  # as a student starts it
    try:
        yield {"base": base, "token": token, "student_root": student_root, "course": course,
               "exchange": exchange, "service_log": service_log}
    finally:
        _stop(lab)
        _stop(service)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for name in ("service.log", "lab.log"):
            if (tmp / name).exists():
                (ARTIFACTS / f"service-{name}").write_text((tmp / name).read_text())
        (ARTIFACTS / "service-timings.json").write_text(json.dumps(TIMINGS, indent=2) + "\n")


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install chromium, or `make system`)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def _shot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"service-{name}.png"))


def _assignments_tab(page):
    page.click("div.lm-MenuBar-itemLabel:text-is('Nbgrader')")
    page.click("li.lm-Menu-item:has(.lm-Menu-itemLabel:text-is('Assignment List'))")
    page.wait_for_selector("#released_assignments_list", timeout=60_000)


def _refresh(page):
    page.locator("#refresh_assignments_list, button[title='Refresh assignments list']") \
        .first.click()


def test_submit_then_fetch_feedback_in_the_assignments_tab(setup, browser):
    """Fetch, fill local_pool, Submit, and within seconds Fetch Feedback
    brings the graded page, with local_pool's checks passed and the others
    failed"""
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.set_default_timeout(60_000)
    page.goto(f"{setup['base']}/lab?token={setup['token']}&reset")
    page.wait_for_selector(".jp-DirListing", timeout=120_000)
    _assignments_tab(page)
    released = page.locator("#released_assignments_list .list_item", has_text=ASSIGNMENT)
    released.locator("button", has_text="Fetch").click()
    fetched = page.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT).first
    fetched.wait_for(timeout=60_000)
    _shot(page, "fetched")
    notebook = setup["student_root"] / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert notebook.exists()
    # the student fills local_pool in the fetched notebook and saves it
    page.goto(f"{setup['base']}/lab/tree/{ASSIGNMENT}/{ASSIGNMENT}.ipynb?token={setup['token']}")
    page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell", timeout=120_000)
    _wait_idle(page)
    _set_source(page, _cell(page, STUB), LOCAL_POOL)
    page.click("div.lm-MenuBar-itemLabel:text-is('File')")
    page.click("li.lm-Menu-item:has(.lm-Menu-itemLabel:text-is('Save Notebook'))")
    deadline = time.monotonic() + 30
    while "window.max()" not in notebook.read_text():
        assert time.monotonic() < deadline, "the notebook was not saved"
        time.sleep(0.2)
    _assignments_tab(page)
    fetched = page.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT).first
    fetched.locator("button", has_text="Submit").click()
    submitted_at = time.monotonic()
    row = page.locator("#submitted_assignments_list .list_item").first
    row.wait_for(timeout=60_000)
    _shot(page, "submitted")
    # refresh until the tab says feedback is there (the service released it)
    while "feedback available to fetch" not in page.locator(
            "#submitted_assignments_list").inner_text():
        if time.monotonic() - submitted_at > 60:
            _shot(page, "no-feedback")
            pytest.fail("no feedback 60 s after Submit; the service said:\n"
                        + setup["service_log"].read_text()[-3000:])
        _refresh(page)
        page.wait_for_timeout(300)
    TIMINGS["submit to feedback available (s)"] = round(time.monotonic() - submitted_at, 1)
    page.locator("#submitted_assignments_list button", has_text="Fetch Feedback").first.click()
    view = page.locator("#submitted_assignments_list a", has_text="view feedback").first
    view.wait_for(timeout=60_000)
    TIMINGS["submit to feedback fetched (s)"] = round(time.monotonic() - submitted_at, 1)
    _shot(page, "feedback-fetched")
    pages = list((setup["student_root"] / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
    assert len(pages) == 1, pages
    html = pages[0].read_text()
    user = getpass.getuser()
    assert f"Feedback for <b>{user}</b>" in html
    assert "Until the deadline this page shows" in html        # the policy's level
    assert "strided_pool" in html and "What to fix" in html
    # open it in JupyterLab, as the link does
    view.click()
    page.locator(".jp-DirListing-item", has_text=f"{ASSIGNMENT}.html").first.dblclick()
    frame = page.frame_locator("iframe").first
    frame.locator("text=Checks, function by function").wait_for(timeout=60_000)
    _shot(page, "feedback-page")
    state = json.loads(next((setup["course"] / "attempts" / user / ASSIGNMENT).glob(
        "*/state.json")).read_text())
    assert state["status"] == "released" and state["level"] == "public"
