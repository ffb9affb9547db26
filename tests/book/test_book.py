"""Does the built book show every chapter, executed and offline, with its
figures, its notebook and its exercises?

Each test reads the HTML that `python -m book.build` wrote to build/book,
for every chapter of course/; what one chapter says and prints is checked
by its assignment's tests/test_chapter.py.
"""
import json
import re

import pytest
from bs4 import BeautifulSoup

from .pages import (INDEX, ROOT, chapter_soup, chapters, collapsed, images,
                    markdown_source, run_build, soup, title)


def test_there_are_chapters():
    """Does the discovery find the course's chapters (and not the landing
    page)?"""
    assert chapters() and INDEX not in chapters()


@pytest.mark.parametrize("page", chapters())
def test_exercise_links_lead_into_the_chapter(built_book, page):
    """Does every 'worked in this chapter' link reach a section there?"""
    page_soup = chapter_soup(built_book, page)
    exercises = page_soup.find(id="exercises")
    links = [a["href"] for a in exercises.find_all("a", href=True)
             if a["href"].startswith("#")
             and "headerlink" not in (a.get("class") or [])]
    worked = collapsed(markdown_source(page).split(
        "\n## Exercises\n")[1]).count("(worked in this chapter")
    assert len(links) == worked > 0
    for href in links:
        assert page_soup.find(id=href[1:]), f"{page}.html has no {href}"


@pytest.mark.parametrize("page", chapters())
def test_chapter_ran_without_errors(built_book, page):
    """Did every code cell run without an error output or a warning?"""
    page_soup = chapter_soup(built_book, page)
    assert not page_soup.select("div.output.error, div.output.traceback")
    assert not page_soup.select("div.output.stderr")
    assert "Traceback (most recent call last)" not in page_soup.get_text()
    assert len(page_soup.select("div.cell_output")) >= 8


@pytest.mark.parametrize("page", chapters())
def test_figures_are_rendered(built_book, page):
    """Does the page show figures, and do the image files exist? (each
    chapter's test_chapter.py says how many it has at least)"""
    found = images(built_book, page)
    assert found
    for path in found:
        assert path.is_file() and path.stat().st_size > 1000, path


def test_no_remote_scripts_or_stylesheets(built_book):
    """Does every page load its scripts and styles from the book itself?"""
    remote = re.compile(r"^(?:[a-z]+:)?//", re.I)
    pages = sorted(built_book.rglob("*.html"))
    assert len(pages) >= 6
    for page in pages:
        page_soup = BeautifulSoup(page.read_text(), "html.parser")
        for tag in page_soup.find_all("script", src=True):
            assert not remote.match(tag["src"]), (page, tag["src"])
        for tag in page_soup.find_all("link", href=True):
            if "stylesheet" in (tag.get("rel") or []):
                assert not remote.match(tag["href"]), (page, tag["href"])
    for css in built_book.rglob("*.css"):
        assert not re.search(r"@import\s+(url\()?[\"']?https?:",
                             css.read_text(errors="replace")), css


def test_mathjax_is_shipped(built_book):
    """Is MathJax served from _static, and loaded by the pages with math?"""
    assert (built_book / "_static/mathjax/tex-mml-chtml.js").is_file()
    assert (built_book / "_static/mathjax/output/chtml/fonts/woff-v2"
            ).is_dir()
    for page in chapters():
        scripts = [s["src"] for s in chapter_soup(built_book, page)
                   .find_all("script", src=True)]
        assert any("_static/mathjax/tex-mml-chtml.js" in s for s in scripts)


@pytest.mark.parametrize("page", chapters())
def test_chapter_notebook_can_be_downloaded(built_book, page):
    """Does the page link its executed notebook, and is that file there?"""
    href = f"_sources/{page}.ipynb"
    links = [a["href"] for a in chapter_soup(built_book, page)
             .find_all("a", href=True)]
    assert href in links
    notebook = json.loads((built_book / href).read_text())
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert code and all(c.get("outputs") is not None for c in code)
    assert any(c["outputs"] for c in code)


def test_navigation_and_search(built_book):
    """Does the landing page reach every chapter, and is there a search
    that knows every chapter's title? (each chapter's test_chapter.py may
    say which of its terms the search finds)"""
    links = {a["href"] for a in soup(built_book, "index.html")
             .find_all("a", href=True)}
    for target in [f"{c}.html" for c in chapters()] + ["exercises/index.html"]:
        assert target in links
    assert (built_book / "search.html").is_file()
    index = (built_book / "searchindex.js").read_text()
    titles = json.loads(re.search(r'"titles":(\[[^]]*\])', index).group(1))
    for chapter in chapters():
        assert title(chapter) in titles


def test_exercise_notebooks_render_unexecuted(built_book):
    """Is each released notebook a page, shown without being executed?"""
    notebooks = sorted((ROOT / "exercises").glob("*/*.ipynb"))
    index = soup(built_book, "exercises/index.html").get_text()
    if not notebooks:
        assert "No exercises have been released yet" in index
        pytest.skip("no exercise notebooks in exercises/ yet")
    for notebook in notebooks:
        rel = notebook.relative_to(ROOT).with_suffix(".html")
        page = built_book / rel
        assert page.is_file(), rel
        text = page.read_text()
        source = json.loads(notebook.read_text())
        outputs = sum(len(c.get("outputs", [])) for c in source["cells"]
                      if c["cell_type"] == "code")
        page_outputs = BeautifulSoup(text, "html.parser").select(
            "div.cell_output pre")
        # as released: no outputs added by the book build
        assert len(page_outputs) <= outputs, rel


def test_unchanged_chapters_are_not_reexecuted(built_book):
    """Does a second build take every chapter from the cache?"""
    result = run_build()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    log = result.stdout + result.stderr
    assert "Executing notebook" not in log
