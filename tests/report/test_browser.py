"""The feedback page and the class report in a real browser

Headless Chromium (Debian's /usr/bin/chromium, driven by playwright) opens
both pages from disk with the network off and checks what they show; the
screenshots are left in build/artifacts/ (feedback.png, report.png).
"""
import shutil
from pathlib import Path

import pytest

from grader.checks.specs import ASPECTS

from .conftest import A, ARTIFACTS, FUNCTION, FUNCTIONS, LOST, SPECS, loses

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
    context, page = open_page(browser, course / "feedback" / "alan" / A / f"{A}.html")
    try:
        table = page.locator("table.fb-table").first
        assert table.is_visible()
        assert table.locator("tbody tr").count() == len(FUNCTIONS)
        box = table.bounding_box()
        assert box["y"] < 1400 and box["width"] > 600  # at the top, full width
        # alan loses on one function only; the columns are in ASPECTS' order
        assert list(loses("alan")) == [FUNCTION] and "dtype" in LOST
        first = min(LOST, key=list(ASPECTS).index)
        failed = page.locator("table.fb-table td.fb-fail")
        assert failed.count() == len(LOST) and failed.first.is_visible()
        assert f"0/{SPECS[FUNCTION].aspects[first]}" in failed.first.inner_text()
        fix = page.locator(".fb-fix pre", has_text="expected float64").first
        assert fix.is_visible()
        family = fix.evaluate("e => getComputedStyle(e).fontFamily")
        assert "mono" in family.lower()
        color = fix.evaluate("e => getComputedStyle(e).color")
        assert color != "rgb(255, 0, 0)"
        # the failing check card in the notebook, where the summary links to
        card = page.locator(f"#{FUNCTION}-{first}")
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
        hist = page.locator(f"#hist-{A}")
        assert hist.is_visible()
        assert page.locator("tr.rp-fn").count() == len(FUNCTIONS)
        assert page.locator("tr.rp-reason").count() >= 5
        assert page.locator("tr.rp-inc").count() >= 2
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    finally:
        context.close()


def test_feedback_math_is_typeset_offline(browser, course, pages):
    """With the network off, does the feedback page typeset every formula
    of the notebook's text (KaTeX, inlined), with its own fonts, and leave
    code and outputs alone?"""
    context, page = open_page(browser, course / "feedback" / "alan" / A / f"{A}.html")
    try:
        page.wait_for_selector(".katex", timeout=10_000)
        text_cells = page.locator(".text_cell_render")
        visible = " ".join(text_cells.all_inner_texts())
        assert "$" not in visible and "\\times" not in visible and "p_h" not in visible
        assert page.locator(".katex").count() >= 10
        assert page.locator(".katex-error").count() == 0
        # the formulas are laid out (not zero-size) in KaTeX's own fonts
        box = page.locator(".text_cell_render .katex").first.bounding_box()
        assert box and box["width"] > 10 and box["height"] > 5
        fonts = page.evaluate("() => document.fonts.ready.then(() => "
                              "[document.fonts.check('16px KaTeX_Main'), "
                              "document.fonts.check('16px KaTeX_Math')])")
        assert fonts == [True, True]
        # code cells are not touched, even where they hold a '$'
        assert page.locator("pre .katex, code .katex").count() == 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "feedback-math.png"), full_page=True)
    finally:
        context.close()


def test_feedback_page_loads_no_script_from_outside(course, pages):
    """Does the feedback page carry its math renderer instead of a CDN's?"""
    import re
    html = pages["alan"]
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=[\"']?(https?:)?//", html)
    assert "MathJax.Hub" not in html and "cdnjs" not in html
    assert "renderMathInElement" in html and "data:font/woff2;base64," in html


MATH_NOTEBOOK = [
    ("markdown", "Inline $p_h \\times p_w$, and on its own line:\n\n"
                 "$$h' = \\left\\lfloor \\frac{h + 2 q_h - p_h}{s_h} "
                 "\\right\\rfloor + 1$$\n\nand `code with $x$`."),
    ("markdown", "A student's double superscript: $x^2^3$ stays readable."),
    ("code", "print('costs $5 and $6')"),
]


@pytest.fixture(scope="module")
def math_page(tmp_path_factory):
    """A small notebook exported with the feedback template, offline"""
    from nbconvert import HTMLExporter
    from nbformat.v4 import (new_code_cell, new_markdown_cell, new_notebook,
                             new_output)
    from traitlets.config import Config

    from grader.feedback import feedback_config
    cells = []
    for kind, source in MATH_NOTEBOOK:
        if kind == "markdown":
            cells.append(new_markdown_cell(source))
        else:
            cells.append(new_code_cell(source, outputs=[new_output(
                "stream", name="stdout", text="costs $5 and $6\n")]))
    exporter = HTMLExporter(config=feedback_config(Config()))
    html, _ = exporter.from_notebook_node(new_notebook(cells=cells))
    path = tmp_path_factory.mktemp("math") / "math.html"
    path.write_text(html, encoding="utf-8")
    return path


def test_feedback_template_typesets_display_math(browser, math_page):
    """Are $...$ and $$...$$ typeset, a formula KaTeX cannot parse shown as
    an error in place, and '$' in code and outputs left as it is?"""
    context, page = open_page(browser, math_page)
    try:
        page.wait_for_selector(".katex", timeout=10_000)
        assert page.locator(".text_cell_render .katex-display").count() == 1
        assert page.locator(".text_cell_render .katex").count() >= 2
        assert page.locator(".katex-error").count() == 1
        assert "stays readable" in page.inner_text("body")
        assert "code with $x$" in page.locator("code").first.inner_text()
        outputs = " ".join(page.locator(".output_area pre").all_inner_texts())
        assert "costs $5 and $6" in outputs
    finally:
        context.close()
