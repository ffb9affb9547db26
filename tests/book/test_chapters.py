"""Are the chapters in course/ text-first notebooks in the d2l rhythm?

These read the MyST sources only; nothing is executed. Every chapter is
checked (each course/*.md); what one chapter must say is checked by its
assignment's tests/test_chapter.py.
"""
import re
import statistics

import pytest

from .pages import INDEX, chapters, code_cells, exercises
from .pages import markdown_source as source

CHAPTERS = chapters()


def front_matter(text):
    assert text.startswith("---\n")
    return text.split("---\n", 2)[1]


@pytest.mark.parametrize("name", CHAPTERS)
def test_is_a_jupytext_myst_notebook(name):
    """Does the chapter carry jupytext's MyST header and a Python kernel?"""
    header = front_matter(source(name))
    assert "format_name: myst" in header
    assert "kernelspec:" in header and "name: python3" in header


@pytest.mark.parametrize("name", CHAPTERS + [INDEX])
def test_lines_fit_in_78_characters(name):
    """Does every line of the chapter fit in 78 characters?"""
    long = [(number, len(line)) for number, line in
            enumerate(source(name).splitlines(), 1) if len(line) > 78]
    assert not long


@pytest.mark.parametrize("name", CHAPTERS)
def test_code_cells_are_short(name):
    """Are code cells at most 13 lines, and most of them only a few?"""
    lengths = [len(body.rstrip("\n").splitlines())
               for body in code_cells(name)]
    assert len(lengths) >= 10
    assert max(lengths) <= 13, lengths
    assert statistics.median(lengths) <= 5, lengths


@pytest.mark.parametrize("name", CHAPTERS)
def test_ends_with_summary_and_exercises(name):
    """Does the chapter close with a summary and exercises, in that order?"""
    headings = re.findall(r"^## (.+)$", source(name), re.M)
    assert headings[-2:] == ["Summary", "Exercises"]


@pytest.mark.parametrize("name", CHAPTERS)
def test_does_not_need_torchvision(name):
    """Is torchvision imported only inside the guarded online loader?"""
    for body in code_cells(name):
        for line in body.splitlines():
            if re.match(r"\s*(import|from)\s+torchvision", line):
                assert line.startswith("    "), line


@pytest.mark.parametrize("name", CHAPTERS)
def test_real_image_download_is_guarded(name):
    """Does a chapter that downloads data do it only when asked to? (the
    chapter's test_chapter.py says what it downloads)"""
    text = source(name)
    if "download=True" in text:
        assert "if os.environ.get('D2L_DOWNLOAD') == '1':" in text


# Every exercise says where it is answered (issue 19): worked in the chapter,
# a written answer in an assignment, or a function graded in an assignment
LABEL = re.compile(r"\((worked in this chapter: \[[^\]]+\]\(#[^)]+\)"
                   r"|written answer in the `(\w+)` assignment[^)]*"
                   r"|graded in the `(\w+)` assignment: ([^)]+))\)")


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_exercise_says_where_it_is_answered(name):
    """Does each exercise carry a label, naming this chapter's assignment?"""
    items = exercises(name)
    assert len(items) >= 7
    for number, item in enumerate(items, 1):
        labels = LABEL.findall(item)
        assert labels, f"{name} exercise {number} has no label: {item}"
        for _, written, graded, _ in labels:
            assert (written or graded or name) == name, (number, item)


@pytest.mark.parametrize("name", CHAPTERS)
def test_graded_exercises_name_real_functions(name):
    """Is every graded function named in the list one of the assignment's,
    and is every function of the assignment listed?"""
    from grader.checks.specs import FUNCTIONS
    named = set()
    for item in exercises(name):
        for _, _, _, names in LABEL.findall(item):
            named |= set(re.findall(r"`(\w+)`", names))
    for function in named:
        assert function in FUNCTIONS and FUNCTIONS[function].assignment == name, \
            f"{function} is not graded in {name}"
    graded = {f for f, spec in FUNCTIONS.items() if spec.assignment == name}
    assert graded <= named, f"not in the exercise list: {graded - named}"


@pytest.mark.parametrize("name", CHAPTERS + [INDEX])
def test_padding_is_q_everywhere(name):
    """Is padding always q (p names the pooling window), per the notation?"""
    found = re.findall(r".*(?:2\s*p\b|2\s*p_[hw]|padding \$p|padding=p\b).*",
                       source(name))
    assert not found, f"padding written as p: {found}"


def test_notation_is_stated_once():
    """Does the start page define the names, and the chapters link to it?"""
    index = source(INDEX)
    assert "## Notation" in index
    assert "`padding=(q_h, q_w)`" in index and "d2l counts padding" in index
    for name in CHAPTERS:
        assert "(index.md#notation)" in source(name)
        assert "## Notation" not in source(name)
