"""Are the chapters in course/ text-first notebooks in the d2l rhythm?

These read the MyST sources only; nothing is executed.
"""
import re
import statistics

import pytest

from .conftest import ROOT

CHAPTERS = ["channels", "pooling", "layers"]
CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```$", re.M | re.S)


def source(name):
    return (ROOT / "course" / f"{name}.md").read_text()


def front_matter(text):
    assert text.startswith("---\n")
    return text.split("---\n", 2)[1]


@pytest.mark.parametrize("name", CHAPTERS)
def test_is_a_jupytext_myst_notebook(name):
    """Does the chapter carry jupytext's MyST header and a Python kernel?"""
    header = front_matter(source(name))
    assert "format_name: myst" in header
    assert "kernelspec:" in header and "name: python3" in header


@pytest.mark.parametrize("name", CHAPTERS + ["index"])
def test_lines_fit_in_78_characters(name):
    """Does every line of the chapter fit in 78 characters?"""
    long = [(number, len(line)) for number, line in
            enumerate(source(name).splitlines(), 1) if len(line) > 78]
    assert not long


@pytest.mark.parametrize("name", CHAPTERS)
def test_code_cells_are_short(name):
    """Are code cells at most 13 lines, and most of them only a few?"""
    lengths = [len(body.rstrip("\n").splitlines())
               for body in CELL.findall(source(name))]
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
    for body in CELL.findall(source(name)):
        for line in body.splitlines():
            if re.match(r"\s*(import|from)\s+torchvision", line):
                assert line.startswith("    "), line


def test_real_image_download_is_guarded():
    """Does the pooling chapter download CIFAR-10 only when asked to?"""
    text = source("pooling")
    assert "download=True" in text
    assert "if os.environ.get('D2L_DOWNLOAD') == '1':" in text
    assert "get_sample_data('grace_hopper.jpg'" in text
