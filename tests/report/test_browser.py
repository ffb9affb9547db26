"""The feedback page and the class report in a real browser

Headless Chromium (Debian's /usr/bin/chromium, driven by playwright) opens
both pages from disk with the network off and checks what they show; the
screenshots are left in build/artifacts/ (feedback.png, report.png).
"""
import shutil
from pathlib import Path

import pytest

from .conftest import ARTIFACTS

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update",
         "--disable-sync"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install chromium, or `make system`)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="the playwright package is missing")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def open_page(browser, path):
    context = browser.new_context(viewport={"width": 1200, "height": 1400}, offline=True)
    page = context.new_page()
    page.goto(Path(path).resolve().as_uri(), wait_until="load")
    return context, page


def test_feedback_page_shows_its_summary(browser, course, pages):
    context, page = open_page(browser, course / "feedback" / "alan" / "pooling" / "pooling.html")
    try:
        table = page.locator("table.fb-table").first
        assert table.is_visible()
        assert table.locator("tbody tr").count() == 7
        box = table.bounding_box()
        assert box["y"] < 1400 and box["width"] > 600  # at the top, full width
        failed = page.locator("table.fb-table td.fb-fail")
        assert failed.count() == 2 and failed.first.is_visible()
        assert "0/1" in failed.first.inner_text()
        fix = page.locator(".fb-fix pre").first
        assert fix.is_visible() and "expected float64" in fix.inner_text()
        family = fix.evaluate("e => getComputedStyle(e).fontFamily")
        assert "mono" in family.lower()
        color = fix.evaluate("e => getComputedStyle(e).color")
        assert color != "rgb(255, 0, 0)"
        # the failing check card in the notebook, where the summary links to
        card = page.locator("#pool2d-dtype")
        assert card.is_visible() and "\u2718" in card.inner_text()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "feedback.png"))
    finally:
        context.close()


def test_report_figures_load(browser, report_page):
    context, page = open_page(browser, report_page)
    try:
        images = page.locator("img.rp-fig")
        assert images.count() == 3
        sizes = page.evaluate("() => Array.from(document.images).map("
                              "i => [i.complete, i.naturalWidth, i.naturalHeight])")
        assert sizes and all(ok and w > 100 and h > 100 for ok, w, h in sizes), sizes
        hist = page.locator("#hist-pooling")
        assert hist.is_visible()
        assert page.locator("tr.rp-fn").count() == 7
        assert page.locator("tr.rp-reason").count() >= 5
        assert page.locator("tr.rp-inc").count() >= 2
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    finally:
        context.close()
