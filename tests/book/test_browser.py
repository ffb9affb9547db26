"""Does every chapter look right in a real browser?

Headless Chromium (Debian's /usr/bin/chromium, driven by playwright) opens
each built chapter from a local http.server on 127.0.0.1, with every other
host blocked, and the tests check that the page shows what its HTML holds:
every formula typeset, every figure loaded, every code output visible. (How
much of each a chapter has is its assignment's tests/test_chapter.py's
business.) A full-page screenshot of each is left in build/artifacts/.
"""
import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from .pages import ARTIFACTS, chapter_soup, chapters, collapsed, math, title

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update",
         "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 900}

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


def screenshot(chapter):
    return ARTIFACTS / f"book-{chapter}.png"


@pytest.fixture(scope="module", params=chapters())
def chapter_page(request, server, browser, built_book):
    """(chapter, its page loaded and typeset, what went wrong)"""
    chapter = request.param
    page = browser.new_page(viewport=VIEWPORT)
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
    page.goto(f"{server}/{chapter}.html", wait_until="networkidle")
    page.wait_for_function(
        "() => window.MathJax && MathJax.startup && MathJax.startup.promise",
        timeout=30_000)
    page.evaluate("() => MathJax.startup.promise")
    page.wait_for_load_state("networkidle")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshot(chapter)), full_page=True)
    yield chapter, page, problems
    page.close()


def test_math_is_typeset(chapter_page, built_book):
    """Did MathJax turn every formula of the page into an mjx-container,
    none left raw?"""
    chapter, page, _ = chapter_page
    inline, display = math(built_book, chapter)
    assert page.locator("mjx-container").count() == inline + display
    assert page.locator("mjx-container[display='true']").count() == display
    visible = page.inner_text("main")
    assert "\\(" not in visible and "\\lfloor" not in visible
    assert page.locator("mjx-merror").count() == 0


def test_figures_are_loaded(chapter_page, built_book):
    """Did every image of the page load with a non-zero natural size?"""
    chapter, page, _ = chapter_page
    sizes = page.evaluate(
        "() => Array.from(document.querySelectorAll('.cell_output img'))"
        ".map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
    expected = chapter_soup(built_book, chapter).select("div.cell_output img")
    assert len(sizes) == len(expected) >= 1
    assert all(done and w > 0 and h > 0 for done, w, h in sizes), sizes


def test_code_output_is_shown(chapter_page, built_book):
    """Are the cells' printed outputs on the page, as a reader sees them
    (rendered, not hidden), and its title?"""
    chapter, page, _ = chapter_page
    shown = page.evaluate(
        "() => Array.from(document.querySelectorAll('.cell_output pre'))"
        ".map(e => [e.checkVisibility(), e.innerText])")
    expected = [collapsed(pre.get_text()).strip() for pre in
                chapter_soup(built_book, chapter).select("div.cell_output pre")]
    assert len(shown) == len(expected) >= 1
    assert all(visible for visible, _ in shown)
    text = collapsed(" ".join(inner for _, inner in shown))
    for output in expected:
        assert output in text
    assert page.locator("h1").first.inner_text().startswith(title(chapter))


def test_nothing_loaded_from_outside(chapter_page):
    """Did the page load everything from the book's own server?"""
    _, _, problems = chapter_page
    assert problems == {"outside": [], "failed": [], "bad_status": []}


def test_screenshot_was_taken(chapter_page):
    """Is the full-page screenshot there, as tall as the whole page (a
    chapter is several screens long)?"""
    from PIL import Image
    chapter, page, _ = chapter_page
    with Image.open(screenshot(chapter)) as image:
        width, height = image.size
    full = page.evaluate("() => document.documentElement.scrollHeight")
    assert width == VIEWPORT["width"]
    assert height == full > 5000
