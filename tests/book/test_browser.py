"""Does the pooling chapter look right in a real browser?

Headless Chromium (Debian's /usr/bin/chromium, driven by playwright) opens the
built page from a local http.server on 127.0.0.1, with every other host
blocked, and the test checks what the page shows: typeset math, loaded
figures and code output. A full-page screenshot is left in build/artifacts/.
"""
import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from .conftest import ARTIFACTS

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update",
         "--disable-sync"]
SCREENSHOT = ARTIFACTS / "book-pooling.png"

pytestmark = pytest.mark.browser


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(built_book):
    """Base URL of an http.server serving build/book on 127.0.0.1"""
    handler = functools.partial(QuietHandler, directory=str(built_book))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install chromium, "
                    "or `make system`)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is missing")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def pooling_page(server, browser):
    """The pooling chapter, loaded and typeset; plus what went wrong"""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems = {"outside": [], "failed": [], "bad_status": []}

    def route(route):
        if route.request.url.startswith(server):
            route.continue_()
        else:
            problems["outside"].append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.on("requestfailed", lambda r: problems["failed"].append(r.url))
    page.on("response", lambda r: r.status >= 400 and
            problems["bad_status"].append(f"{r.status} {r.url}"))
    page.goto(f"{server}/pooling.html", wait_until="networkidle")
    page.wait_for_function(
        "() => window.MathJax && MathJax.startup && MathJax.startup.promise",
        timeout=30_000)
    page.evaluate("() => MathJax.startup.promise")
    page.wait_for_load_state("networkidle")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    yield page, problems
    page.close()


def test_math_is_typeset(pooling_page):
    """Did MathJax turn the TeX into mjx-container elements, none left raw?"""
    page, _ = pooling_page
    assert page.locator("mjx-container").count() >= 30
    assert page.locator("mjx-container[display='true']").count() >= 2
    visible = page.inner_text("main")
    assert "\\(" not in visible and "\\lfloor" not in visible
    assert page.locator("mjx-merror").count() == 0


def test_figures_are_loaded(pooling_page):
    """Did every image of the page load with a non-zero natural size?"""
    page, _ = pooling_page
    sizes = page.evaluate(
        "() => Array.from(document.querySelectorAll('.cell_output img'))"
        ".map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
    assert len(sizes) >= 4
    assert all(done and w > 0 and h > 0 for done, w, h in sizes), sizes


def test_code_output_is_shown(pooling_page):
    """Are the cells' printed outputs on the page, as a reader sees them?"""
    page, _ = pooling_page
    outputs = page.locator(".cell_output pre")
    assert outputs.count() >= 10
    text = " ".join(outputs.all_inner_texts())
    assert "tensor([[4., 5.]," in text
    assert "[13., 15.]]]])" in text
    assert page.locator("h1").first.inner_text().startswith("Pooling")


def test_nothing_loaded_from_outside(pooling_page):
    """Did the page load everything from the book's own server?"""
    _, problems = pooling_page
    assert problems == {"outside": [], "failed": [], "bad_status": []}


def test_screenshot_was_taken(pooling_page):
    """Is the full-page screenshot there, and taller than one screen?"""
    from PIL import Image
    with Image.open(SCREENSHOT) as image:
        width, height = image.size
    assert width == 1280 and height > 5000
