"""What the book's tests share: the chapters, their MyST sources and the
pages of the built book

tests/book checks what every chapter must be; each assignment's
tests/test_chapter.py (grader/assignments/<a>/tests/) checks what its own
chapter says and prints, with the helpers here. The chapters are found as
book/build.py finds them: every course/*.md but the landing page. The built
book is the session fixture `built_book` of the repository's conftest.py,
built once whichever test asks for it first.

Nothing here imports grader at import time: the repository's conftest.py
may load this module before tests/conftest.py sets GRADER_EXTRA_ROOTS.
"""
import functools
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "course"
BOOK = ROOT / "build" / "book"
ARTIFACTS = ROOT / "build" / "artifacts"
# the landing page of course/; every other page there is a chapter
INDEX = "index"
CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```$", re.M | re.S)
# what a chapter's functions may use, as its first cell imports it
HEADER = ("import itertools\n\nimport torch\nfrom torch import nn\n"
          "from torch.nn import functional as F\n\n\n")


def run_build(*args, timeout=900):
    """Run book/build.py in a fresh interpreter; return the CompletedProcess"""
    return subprocess.run([sys.executable, "-m", "book.build", *args],
                          cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def build_book():
    """build/book after a successful build (to build/book like `make book`,
    through the same jupyter-cache, so a session after `make book`
    re-executes nothing); fails with Sphinx's log if not"""
    result = run_build()
    assert result.returncode == 0, (
        f"book build failed ({result.returncode}):\n"
        f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}")
    assert (BOOK / "index.html").is_file()
    return BOOK


def chapters():
    """Every chapter's name (course/<name>.md), sorted"""
    return sorted(p.stem for p in COURSE.glob("*.md") if p.stem != INDEX)


def markdown_source(page):
    """The MyST source of a chapter (or of the landing page)"""
    return (COURSE / f"{page}.md").read_text()


def collapsed(text):
    """text with every run of whitespace made one space"""
    return re.sub(r"\s+", " ", text)


def code_cells(chapter):
    """The source of every code cell of a chapter"""
    return CELL.findall(markdown_source(chapter))


def title(chapter):
    """The chapter's '# title'"""
    return re.search(r"^# (.+)$", markdown_source(chapter), re.M).group(1)


def exercises(chapter):
    """The numbered items of the chapter's Exercises section, one string
    each, whitespace collapsed"""
    section = markdown_source(chapter).split("\n## Exercises\n", 1)[1]
    items = re.split(r"^\d+\. ", section, flags=re.M)[1:]
    return [collapsed(item).strip() for item in items]


@functools.lru_cache(maxsize=None)
def soup(book, page):
    """The parsed page (parsed once per session: the tests only read it)"""
    return BeautifulSoup((book / page).read_text(), "html.parser")


def chapter_soup(book, chapter):
    return soup(book, f"{chapter}.html")


def cells(book, chapter):
    """(code, output text) of every code cell on a chapter page"""
    found = []
    for cell in chapter_soup(book, chapter).select("div.cell"):
        code = cell.select_one("div.cell_input")
        outputs = cell.select("div.cell_output pre")
        found.append((code.get_text() if code else "",
                      "".join(o.get_text() for o in outputs)))
    return found


def printed(book, chapter, code):
    """What each cell running `code` printed; fails if no cell runs it"""
    outputs = [out for source, out in cells(book, chapter) if code in source]
    assert outputs, f"no cell on {chapter}.html runs {code!r}"
    return outputs


def assert_prints(book, chapter, code, expected):
    """Does a cell running `code` print exactly `expected`?"""
    outputs = printed(book, chapter, code)
    assert expected in [out.rstrip("\n") for out in outputs], (
        f"{chapter}.html: cells running {code!r} printed {outputs!r}")


def assert_prints_within(book, chapter, code, expected):
    """Does a cell running `code` print `expected` among its output?"""
    outputs = printed(book, chapter, code)
    assert any(expected in out for out in outputs), (
        f"{chapter}.html: cells running {code!r} printed {outputs!r}")


def assert_states(book, chapter, text):
    """Do the chapter's source and its page both say `text`? (math is
    rendered from its TeX source, so the page keeps it too)"""
    assert text in collapsed(markdown_source(chapter))
    plain = collapsed(text.replace("$", ""))
    page_text = collapsed(chapter_soup(book, chapter).get_text()
                          .replace(r"\(", "").replace(r"\)", ""))
    assert plain in page_text


def assert_does_not_state(chapter, text):
    assert text not in collapsed(markdown_source(chapter))


def promises(chapter, outputs, worked, right, wrong):
    """The tests of what a chapter promises a reader, as a class for its
    assignment's tests/test_chapter.py (`TestPromises = promises(...)`):
    outputs and worked: (a piece of the code cell, what it prints: all of
    it, or among its output); right: statements the page must make; wrong:
    statements that must not come back"""
    class TestPromises:
        @pytest.mark.parametrize("code, expected", outputs)
        def test_chapter_output_is_printed(self, built_book, code, expected):
            """Does a cell running `code` print exactly the output listed?"""
            assert_prints(built_book, chapter, code, expected)

        @pytest.mark.parametrize("code, expected", worked)
        def test_worked_answer_is_printed(self, built_book, code, expected):
            """Does the cell of a worked answer print the result the text gives?"""
            assert_prints_within(built_book, chapter, code, expected)

        @pytest.mark.parametrize("text", right)
        def test_sources_errors_are_corrected(self, built_book, text):
            """Does the chapter state the correct version of a source's error?"""
            assert_states(built_book, chapter, text)

        @pytest.mark.parametrize("text", wrong)
        def test_wrong_statement_is_gone(self, text):
            """Is a statement found wrong or loose gone from the chapter?"""
            assert_does_not_state(chapter, text)
    return TestPromises


def images(book, chapter):
    """The files of the images in the chapter page's cell outputs"""
    return [book / image["src"] for image in
            chapter_soup(book, chapter).select("div.cell_output img")]


def math(book, chapter):
    """(inline, display): how many TeX formulas the page holds"""
    page = chapter_soup(book, chapter)
    return len(page.select("span.math")), len(page.select("div.math"))


def chapter_functions(chapter, folder):
    """A module holding every function a chapter defines, imported from a
    file in `folder` (so that the checks can read each function's source)"""
    defs = [body for body in code_cells(chapter) if body.startswith("def ")]
    path = Path(folder) / f"chapter_{chapter}.py"
    path.write_text(HEADER + "\n\n".join(defs))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def graded_definitions(chapter):
    """The functions the chapter defines under the name of a graded
    function (of any assignment), in the chapter's order"""
    from grader import assignments
    graded = {f for a in assignments.names() for f in assignments.modules(a)}
    defined = [re.match(r"def (\w+)", body).group(1)
               for body in code_cells(chapter) if body.startswith("def ")]
    return [name for name in defined if name in graded]


def execute_chapter(chapter, work):
    """Run the chapter as a student's notebook with `work` as its folder"""
    import jupytext
    from nbclient import NotebookClient
    notebook = jupytext.read(COURSE / f"{chapter}.md")
    # the kernel spec runs `python`: make it this interpreter
    path = os.environ.get("PATH", "")
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + path
    try:
        NotebookClient(notebook, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(work)}}).execute()
    finally:
        os.environ["PATH"] = path
    return work
