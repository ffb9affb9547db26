"""Does book/build.py fail on a failing cell and leave exercise stubs alone?

Each test builds a two-page book from a temporary course/ and exercises/ into
a temporary folder (its own staging and jupyter-cache; MathJax is shared).
"""
import json
import textwrap

import pytest

from .pages import run_build

# the exercise is the test-only assignment's (tests/fixtures/), not the course's
ASSIGNMENT, FUNCTION = "practice", "local_pool"

HEADER = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3 (ipykernel)
  language: python
  name: python3
---
"""

INDEX = """\
# A small book

```{toctree}
chapter
exercises/index
```
"""


def chapter(code):
    return HEADER + textwrap.dedent(f"""
        # A chapter

        Some prose.

        ```{{code-cell}} ipython3
        {code}
        ```
        """)


def stub_notebook():
    """A released exercise: a stub that raises, as nbgrader leaves it"""
    cell = {"cell_type": "code", "execution_count": None, "metadata": {},
            "outputs": [],
            "source": [f"def {FUNCTION}(X, pool_size, mode='max'):\n",
                       "    # YOUR CODE HERE\n",
                       "    raise NotImplementedError()\n",
                       f"{FUNCTION}(None, (2, 2))\n"]}
    title = {"cell_type": "markdown", "metadata": {},
             "source": ["# Practice exercises"]}
    return {"cells": [title, cell], "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3",
                                        "display_name": "Python 3",
                                        "language": "python"}}}


def small_book(tmp_path, code):
    course, exercises = tmp_path / "course", tmp_path / "exercises"
    (exercises / ASSIGNMENT).mkdir(parents=True)
    course.mkdir()
    (course / "index.md").write_text(INDEX)
    (course / "chapter.md").write_text(chapter(code))
    (exercises / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_text(
        json.dumps(stub_notebook()))
    out = tmp_path / "out"
    return run_build("--course", str(course), "--exercises", str(exercises),
                     "--out", str(out / "book"), "--work", str(out), "-q",
                     timeout=300), out / "book"


@pytest.mark.slow
def test_failing_cell_fails_the_build(built_book, tmp_path):
    """Does an exception in a chapter cell make the build exit non-zero?"""
    result, _ = small_book(
        tmp_path, "raise RuntimeError('deliberate failure in a cell')")
    assert result.returncode != 0
    assert "deliberate failure in a cell" in result.stdout + result.stderr


@pytest.mark.slow
def test_exercises_render_without_running(built_book, tmp_path):
    """Does a stub raising NotImplementedError render without running?"""
    result, book = small_book(tmp_path, "print(6 * 7)")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "42" in (book / "chapter.html").read_text()
    page = (book / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "NotImplementedError" in page
    assert "cell_output" not in page
    index = (book / "exercises" / "index.html").read_text()
    assert f"{ASSIGNMENT}/{ASSIGNMENT}.html" in index
