"""The student's JupyterLab, tested in a real browser (issues 8 and 15)

Every test runs twice, once per root:

* "repository": a JupyterLab server starts the way `make lab` starts it in this
  repository (its .jupyter/jupyter_server_config.py), but rooted in a temporary
  folder holding a copy of course/, of the released notebook of the course's
  default assignment (grader.sample.default_assignment) and of the test-only
  assignment's (tests/practice.py), so the repository is never touched;
* "published": `grader publish` writes the students' repository, a commit is made
  there and a fresh `git clone` of it runs `make lab` itself, with
  `ENV_DIR=<this repository's .venv>` so that the clone's Makefile installs nothing
  (a fresh .venv takes minutes and 1.5 GB) and puts the clone first on the Python
  path: the notebooks import the clone's grader.checks, never this repository's.
  The test-only assignment's released notebook is copied into the clone (its
  published examples come from tests/fixtures, GRADER_EXTRA_ROOTS).
  LAB_ENV_DIR=DIR in the environment uses another one, e.g. the .venv that `make lab`
  made in a real clone of the students' repository.

Both run on a free loopback port with a random token and their own
runtime/config/data folders, so the user's Jupyter files are never touched.
Headless Chromium (Debian's /usr/bin/chromium through playwright) then does what
a student does:

1. sees course/ and exercises/ in the file browser and opens a chapter
   (course/<assignment>.md), which opens as a notebook (jupytext); then, from
   the file browser, the released notebook of the course's default
   assignment, types the model solution of its first function into its stub
   and runs all cells: each of that function's visible checks prints "✔ ...";
2. opens the test-only assignment's notebook, types a correct `local_pool`
   into its stub cell and runs all cells: local_pool's visible checks print
   "✔ ...", the next function's first check shows just a `CheckFailed: ...`
   line (no traceback), and Run All stops there as JupyterLab does on an error;
3. presses nbgrader's Validate button: the dialog lists the failing cells of
   the unsolved functions and none of local_pool's;
4. makes local_pool wrong and reruns its check: the message names the call,
   the expected and the returned tensors;
5. asks the kernel where grader.checks comes from, and whether the hidden
   grader.assignments exists (in the published clone it must not).

Screenshots are kept in build/artifacts/lab-*.png (lab-published-*.png for the
clone), the servers' logs in build/artifacts/lab-*server.log and the timings in
build/artifacts/lab-timings.json.
"""
import json
import os
import re
import secrets
import signal
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import jupytext
import pytest

from grader import assignments
from grader.checks.specs import functions_of
from grader.course import release_folder
from grader.sample import correct_cells, default_assignment
from tests.practice import ASSIGNMENT as PRACTICE
from tests.publish._students import published_clone

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".jupyter" / "jupyter_server_config.py"
# The course's assignment whose released notebook the first test opens, and
# the chapter it opens: the default assignment's, else the first in course order
COURSE = default_assignment()
CHAPTER = next(a for a in [COURSE, *assignments.names()]
               if (ROOT / "course" / f"{a}.md").is_file())
EXERCISE = release_folder(COURSE) / f"{COURSE}.ipynb"
ARTIFACTS = ROOT / "build" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update",
         "--disable-sync"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# What a student types into the stub of the test-only assignment's local_pool
# (max and average pooling by hand): a loop over the windows
STUB = "def local_pool(X, pool_size, mode='max')"
LOCAL_POOL = '''def local_pool(X, pool_size, mode='max'):
    """X (h, w), pool_size (p_h, p_w) -> Y (h - p_h + 1, w - p_w + 1)"""
    if mode not in ('max', 'avg'):
        raise ValueError(f"mode must be 'max' or 'avg', not {mode!r}")
    p_h, p_w = pool_size
    rows = []
    for i in range(X.shape[0] - p_h + 1):
        row = []
        for j in range(X.shape[1] - p_w + 1):
            window = X[i:i + p_h, j:j + p_w]
            row.append(window.max() if mode == 'max' else window.mean())
        rows.append(torch.stack(row))
    return torch.stack(rows)'''

# ... and a wrong one: sums the window instead of taking its max
LOCAL_POOL_WRONG = '''def local_pool(X, pool_size, mode='max'):
    p_h, p_w = pool_size
    rows = [[X[i:i + p_h, j:j + p_w].sum() for j in range(X.shape[1] - p_w + 1)]
            for i in range(X.shape[0] - p_h + 1)]
    return torch.stack([torch.stack(r) for r in rows])'''

LOCAL_POOL_CHECKS = ["values", "shape", "dtype", "devices", "grad", "unchanged", "errors"]

# [source, prompt, rendered output text] of every code cell of the open notebook
CELLS_JS = """() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell')]
    .map(c => [[...c.querySelectorAll('.jp-InputArea-editor .cm-line')].map(l => l.textContent).join('\\n'),
               (c.querySelector('.jp-InputArea-prompt') || {}).textContent || '',
               (c.querySelector('.jp-OutputArea') || {}).textContent || ''])"""

TIMINGS = {}
ROOTS = ["repository", "published"]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


def _practice_exercise(root):
    """Copy the test-only assignment's released notebook into root/exercises/"""
    released = release_folder(PRACTICE) / f"{PRACTICE}.ipynb"
    (root / "exercises" / PRACTICE).mkdir(parents=True)
    shutil.copy2(released, root / "exercises" / PRACTICE / released.name)


def _repository_root(tmp, lab_args):
    """(command, cwd, root, checks, hidden) of `make lab`'s server over a copy of
    course/, the default assignment's exercise of this repository and the
    test-only assignment's; `checks` is the grader.checks the notebooks must
    import, `hidden` whether grader.assignments must be importable there"""
    if not EXERCISE.is_file():
        pytest.fail(f"{EXERCISE.relative_to(ROOT)} is missing: run `make release`")
    root = tmp / "root"
    shutil.copytree(ROOT / "course", root / "course")
    (root / "exercises" / COURSE).mkdir(parents=True)
    shutil.copy2(EXERCISE, root / "exercises" / COURSE / EXERCISE.name)
    _practice_exercise(root)
    cmd = [sys.executable, "-m", "jupyterlab", f"--config={CONFIG}",
           f"--ServerApp.root_dir={root}", *lab_args]
    return cmd, root, root, ROOT / "grader" / "checks" / "__init__.py", True


def _published_root(tmp, lab_args):
    """(command, cwd, root, checks, hidden) of `make lab` in a fresh clone of the
    published students' repository, using this repository's environment as it is
    (or LAB_ENV_DIR's)"""
    t0 = time.monotonic()
    clone = published_clone(tmp)
    TIMINGS["published"]["publish, commit, clone (s)"] = round(time.monotonic() - t0, 1)
    _practice_exercise(clone)
    # This repository's .venv holds its editable install of `grader`, whose finder
    # serves grader.assignments & co. to any kernel of that environment, even with the
    # clone first on the path; a students' environment (LAB_ENV_DIR) has none.
    # tests/publish/test_hidden.py checks the published tree without that install.
    students_env = os.environ.get("LAB_ENV_DIR")
    env_dir = students_env or Path(sys.executable).parent.parent
    cmd = ["make", "--no-print-directory", "lab", f"ENV_DIR={env_dir}",
           "LAB_ARGS=" + " ".join(lab_args)]
    return cmd, clone, clone, clone / "grader" / "checks" / "__init__.py", not students_env


@pytest.fixture(scope="module", params=ROOTS)
def lab(request, tmp_path_factory):
    """{name, base, token, root, checks, hidden} of a JupyterLab started like `make lab`"""
    name = request.param
    TIMINGS[name] = {}
    tmp = tmp_path_factory.mktemp(f"lab-{name}")
    port, token = _free_port(), secrets.token_hex(16)
    lab_args = ["--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
                "--ServerApp.open_browser=False", "--ServerApp.allow_root=True"]
    start = _repository_root if name == "repository" else _published_root
    cmd, cwd, root, checks, hidden = start(tmp, lab_args)
    env = dict(os.environ,
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
               JUPYTER_CONFIG_DIR=str(tmp / "config"),   # no user config in the test
               JUPYTER_DATA_DIR=str(tmp / "data"),
               IPYTHONDIR=str(tmp / "ipython"),
               PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    env.pop("PYTHONPATH", None)
    log = tmp / "server.log"
    t0 = time.monotonic()
    with open(log, "w") as out:
        # its own process group: `make lab` runs jupyter as a child
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"{' '.join(cmd[:3])} exited with {proc.returncode}:\n"
                            f"{log.read_text()[-4000:]}")
            try:
                if _get(f"{base}/api/status?token={token}")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer in 120 s:\n{log.read_text()[-4000:]}")
            time.sleep(0.5)
        TIMINGS[name]["server start (s)"] = round(time.monotonic() - t0, 1)
        yield {"name": name, "base": base, "token": token, "root": root, "checks": checks,
               "hidden": hidden}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        prefix = "lab" if name == "repository" else f"lab-{name}"
        shutil.copy2(log, ARTIFACTS / f"{prefix}-server.log")
        (ARTIFACTS / "lab-timings.json").write_text(json.dumps(TIMINGS, indent=2) + "\n")


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install chromium, or `make system`)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="the playwright package is missing")
    with sync_api.sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        except Exception as exc:  # a browser that cannot start here is not a failure of the lab
            pytest.skip(f"chromium at {CHROMIUM} cannot start: {str(exc).splitlines()[0]}")
        yield browser
        browser.close()


def _shutdown_kernels(lab):
    """Stop every session's kernel (fewer busy processes on a small machine)"""
    api = f"{lab['base']}/api/sessions"
    headers = {"Authorization": f"token {lab['token']}"}
    with urllib.request.urlopen(urllib.request.Request(api, headers=headers), timeout=10) as r:
        sessions = json.load(r)
    for session in sessions:
        req = urllib.request.Request(f"{api}/{session['id']}", method="DELETE", headers=headers)
        urllib.request.urlopen(req, timeout=30).close()


def _shot(page, lab, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    prefix = "lab" if lab["name"] == "repository" else f"lab-{lab['name']}"
    page.screenshot(path=str(ARTIFACTS / f"{prefix}-{name}.png"))


def _open(browser, lab, path=""):
    page = browser.new_page(viewport={"width": 1400, "height": 1300})
    page.set_default_timeout(60_000)
    url = f"{lab['base']}/lab{'/tree/' + path if path else ''}?token={lab['token']}&reset"
    page.goto(url)
    page.wait_for_selector(".jp-DirListing-item", timeout=120_000)
    return page


def _cells(page):
    return page.evaluate(CELLS_JS)


def _cell(page, text):
    """The code cell whose source contains `text`"""
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell").filter(
        has=page.locator(".jp-InputArea-editor", has_text=text)).first


def _scroll_to(page, text):
    _cell(page, text).evaluate("c => c.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(800)


def _set_source(page, cell, source):
    """Replace a cell's text through its editor, as a student does"""
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    # insert_text inserts the text as typed input without per-key auto-indent
    page.keyboard.insert_text(source)
    page.keyboard.press("Escape")
    typed = cell.evaluate(
        "c => [...c.querySelectorAll('.cm-line')].map(l => l.textContent).join('\\n')")
    assert typed == source, f"the editor holds\n{typed}"


def _wait_idle(page, timeout=120_000):
    page.wait_for_selector(
        ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status='idle']",
        timeout=timeout)


@pytest.fixture(scope="module")
def exercise(browser, lab):
    """The test-only assignment's notebook with a correct local_pool typed in,
    after Run All"""
    timings = TIMINGS[lab["name"]]
    t0 = time.monotonic()
    page = _open(browser, lab, f"exercises/{PRACTICE}/{PRACTICE}.ipynb")
    page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell", timeout=120_000)
    _wait_idle(page)
    timings["open exercise, kernel idle (s)"] = round(time.monotonic() - t0, 1)
    _set_source(page, _cell(page, STUB), LOCAL_POOL)
    _run_all(page)
    t1 = time.monotonic()
    # Run All stops at the first failing cell (JupyterLab's stop-on-error): the first
    # check of strided_pool, which is still a stub. Wait for it, then for the rest.
    try:
        page.wait_for_function(
            """() => { const c = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell')]
                  .find(c => c.textContent.includes("check('strided_pool-values'"));
                  const o = c && c.querySelector('.jp-OutputArea');
                  return o && o.textContent.includes('CheckFailed'); }""",
            timeout=180_000, polling=500)
        page.wait_for_function(
            """() => ![...document.querySelectorAll('.jp-NotebookPanel .jp-InputArea-prompt')]
                  .some(p => p.textContent.includes('*'))""", timeout=60_000, polling=500)
        _wait_idle(page)
    except Exception:
        _shot(page, lab, "run-all-timeout")
        raise AssertionError("Run All did not reach strided_pool's first check; cells:\n"
                             + "\n".join(map(str, _cells(page))))
    timings["run all, up to the first failing check (s)"] = round(time.monotonic() - t1, 1)
    yield page
    page.close()


def _run_all(page):
    page.click("div.lm-MenuBar-itemLabel:text-is('Run')")
    page.click("li.lm-Menu-item:has(.lm-Menu-itemLabel:text-is('Run All Cells'))")


def _item(page, name):
    """The file browser's entry named exactly `name`"""
    return page.locator(".jp-DirListing-item").filter(
        has=page.locator(".jp-DirListing-itemName", has_text=re.compile(f"^{re.escape(name)}$")))


def test_file_browser_chapter_and_course_exercise(browser, lab):
    """course/ and exercises/ are in the file browser; a .md chapter opens as a
    notebook; the course's default assignment opens from the file browser and,
    with the model solution of its first function typed in, that function's
    visible checks pass"""
    chapter = ROOT / "course" / f"{CHAPTER}.md"
    title = re.search(r"^# (.+)$", chapter.read_text(), re.M).group(1).strip()
    code_cells = sum(c.cell_type == "code" for c in jupytext.read(chapter).cells)
    assert code_cells >= 1, chapter
    page = _open(browser, lab)
    listing = page.locator(".jp-DirListing-itemName").all_inner_texts()
    assert "course" in listing and "exercises" in listing, listing
    _shot(page, lab, "files")
    _item(page, "course").dblclick()
    _item(page, chapter.name).dblclick()
    panel = page.locator(".jp-NotebookPanel")   # a notebook, not a text editor
    page.wait_for_function(
        "n => document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell').length >= n",
        arg=min(code_cells, 10), timeout=60_000)
    assert page.locator(".jp-FileEditor").count() == 0
    assert panel.locator(".jp-MarkdownCell h1").first.inner_text().startswith(title)
    # the kernel named in the chapter's header starts by itself (no "Select Kernel" dialog)
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']",
                           timeout=120_000)
    assert page.locator(".jp-Dialog").count() == 0
    page.wait_for_timeout(1000)
    _shot(page, lab, "chapter")

    # the course's released notebook, from the file browser as a student opens it
    first = functions_of(COURSE)[0]
    solution = next(src for src in correct_cells(COURSE).values()
                    if f"def {first.name}(" in src).strip("\n")
    checks = [f"check('{first.grade_id(aspect)}', {first.name})" for aspect in first.aspects]
    page.locator(".jp-BreadCrumbs-home").click()
    _item(page, "exercises").dblclick()
    _item(page, COURSE).dblclick()
    _item(page, EXERCISE.name).dblclick()
    _cell(page, f"def {first.signature}").wait_for(timeout=120_000)
    _wait_idle(page)
    _set_source(page, _cell(page, f"def {first.signature}"), solution)
    _run_all(page)
    try:
        # done: the solution cell ran and no cell is queued or running any more
        page.wait_for_function(
            """stub => { const cells = [...document.querySelectorAll(
                      '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell')];
                  const prompt = c => (c.querySelector('.jp-InputArea-prompt') || {}).textContent || '';
                  const solution = cells.find(c => c.textContent.includes(stub));
                  return solution && /\\d/.test(prompt(solution))
                      && !cells.some(c => prompt(c).includes('*')); }""",
            arg=f"def {first.signature}", timeout=180_000, polling=500)
        _wait_idle(page)
    except Exception:
        _shot(page, lab, "course-exercise-timeout")
        raise AssertionError("Run All did not finish; cells:\n"
                             + "\n".join(map(str, _cells(page))))
    cells = {src: (prompt, out) for src, prompt, out in _cells(page)}
    for check in checks:
        src = next(s for s in cells if check in s)
        prompt, out = cells[src]
        assert prompt.strip("[]: ").isdigit(), (check, prompt)
        assert out.startswith(f"\u2714 {first.name} "), (check, out)
        assert "(public cases)" in out
    _scroll_to(page, checks[0])
    _shot(page, lab, "course-exercise")
    page.close()
    _shutdown_kernels(lab)


def test_visible_checks_in_the_notebook(exercise, lab):
    """local_pool's checks print ✔; the unsolved function shows just its CheckFailed line"""
    page = exercise
    cells = {src: (prompt, out) for src, prompt, out in _cells(page)}
    for aspect in LOCAL_POOL_CHECKS:
        src = next(s for s in cells if f"check('local_pool-{aspect}', local_pool)" in s)
        prompt, out = cells[src]
        assert prompt.strip("[]: ").isdigit(), (aspect, prompt)
        assert out.startswith("\u2714 local_pool "), (aspect, out)
        assert "(public cases)" in out
    failing = next(out for src, (_, out) in cells.items() if "check('strided_pool-values'" in src)
    assert failing.startswith("CheckFailed: `strided_pool` still raises NotImplementedError"), failing
    assert "Traceback" not in failing and 'File "' not in failing   # _render_traceback_
    # stop-on-error: the cells after the first failure did not run
    later = next(prompt for src, (prompt, _) in cells.items()
                 if "check('window_cost-values'" in src)
    assert not later.strip("[]: "), later
    _scroll_to(page, "check('local_pool-values'")
    _shot(page, lab, "checks")


def test_validate_button(exercise, lab):
    """nbgrader's Validate runs every cell and lists the failures: none of local_pool's"""
    page = exercise
    button = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .validate-button")
    assert button.inner_text().strip() == "Validate"
    t0 = time.monotonic()
    button.click()
    message = page.locator("#validation-message")
    message.wait_for(timeout=240_000)
    TIMINGS[lab["name"]]["validate (s)"] = round(time.monotonic() - t0, 1)
    page.wait_for_timeout(500)
    _shot(page, lab, "validate")
    dialog = page.locator(".jp-Dialog")
    assert "Validation Results" in dialog.inner_text()
    assert "validation-failed" in message.get_attribute("class")
    text = message.text_content()
    assert "The following cell failed:" in text
    for name in ["strided_pool", "max_as_conv", "window_cost"]:
        assert f"check('{name}-values', {name})" in text, name
    assert "check('local_pool-" not in text        # every local_pool check passed
    assert "CheckFailed: `strided_pool` still raises NotImplementedError" in text
    assert "Traceback" not in text
    page.locator(".jp-Dialog .jp-mod-accept").click()
    dialog.wait_for(state="detached")


def test_a_wrong_answer_shows_a_counterexample(exercise, lab):
    """A wrong local_pool: the check names the call and shows expected and got"""
    page = exercise
    _set_source(page, _cell(page, STUB), LOCAL_POOL_WRONG)
    _cell(page, STUB).locator(".jp-InputArea-prompt").click()
    page.keyboard.press("Shift+Enter")    # define it; the selection moves to its first check
    page.keyboard.press("Shift+Enter")    # run check('local_pool-values', local_pool)
    output = _cell(page, "check('local_pool-values'").locator(".jp-OutputArea")
    page.wait_for_function(
        "o => o.textContent.includes('CheckFailed')", arg=output.element_handle(),
        timeout=60_000)
    _wait_idle(page)
    text = output.text_content()
    assert text.startswith("CheckFailed: local_pool should return the right numbers"), text
    for part in ["local_pool(X, (2, 2))", "expected", "got", "[4.0, 5.0]", "[8.0, 12.0]"]:
        assert part in text, (part, text)
    assert "Traceback" not in text
    _scroll_to(page, STUB)
    _shot(page, lab, "check-failed")


# What the student's kernel imports: the checks of its root, and nothing hidden
WHERE = """import importlib.util
import grader.checks
print('checks:', grader.checks.__file__)
print('reference:', importlib.util.find_spec('grader.assignments') is not None)"""


def test_the_kernel_imports_the_checks_of_its_root(exercise, lab):
    """In the published clone the notebook's grader.checks is the clone's own, and in a
    students' environment grader.assignments does not exist; in this repository both
    are this repository's"""
    page = exercise
    last = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").last
    last.evaluate("c => c.scrollIntoView({block: 'start'})")
    last.click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")                 # a new code cell below, as a student adds one
    page.keyboard.press("Enter")
    page.keyboard.insert_text(WHERE)
    page.keyboard.press("Shift+Enter")
    output = _cell(page, "print('checks:'").locator(".jp-OutputArea")
    page.wait_for_function("o => o.textContent.includes('reference:')",
                           arg=output.element_handle(), timeout=60_000)
    _wait_idle(page)
    text = output.text_content()
    assert f"checks: {lab['checks']}" in text, text
    assert f"reference: {lab['hidden']}" in text, text
    _shot(page, lab, "kernel-imports")
