"""Does the layers chapter (course/layers.md) print what a reader can check
and state the corrected facts?

What every chapter must be is checked over all of them in tests/book; the
helpers (and the built book, built once per session) come from there.
"""
import re

from tests.book.pages import graded_definitions, images, markdown_source, promises

CHAPTER = "layers"

# Every example output the chapter prints: a piece of the code cell that
# prints it, and the printed output
OUTPUTS = [
    ("divisor_override=3",
     "tensor([[[[1.3333, 1.3333],\n          [1.3333, 1.3333]]]])"),
    ("print(linear(x))",
     "tensor([[ 6.5000, 12.5000, 18.5000, 24.5000]])"),
]

# issue 19: the worked answers print results a reader can check by eye
WORKED_OUTPUTS = [
    ("for n_in in range(5, 11):",
     " 8 -> conv -> 4 -> transposed conv, a = 0 -> 7"),
    ("a = (n_in + 2 * q - d * (k - 1) - 1) % s",
     "285 settings: the transposed convolution restores n_in"),
    ("output_size=(8, 8)",
     "(torch.Size([1, 1, 7, 7]), torch.Size([1, 1, 8, 8]))"),
    ("F.conv_transpose2d(G, K[None, None])", "True"),
    ("torch.sigmoid(x).grad_fn", "['_saved_result']"),
]

# Errors of the d2l sources the chapter corrects: what the page must say
RIGHT_STATEMENTS = [
    r"\frac{2}{1 + e^{-2x}} - 1",
    r"\frac{\sinh x}{\cosh x}",
    # issue 19, "Errors to correct"
    r"a = (n_\text{in} + 2q - d(k - 1) - 1) \bmod s",
    "$s$ consecutive input sizes give the same output size",
]

# issue 19: statements that were wrong or loose, and must not come back
WRONG_STATEMENTS = [
    "Without *a* this undoes",
]


TestPromises = promises(CHAPTER, OUTPUTS, WORKED_OUTPUTS, RIGHT_STATEMENTS, WRONG_STATEMENTS)


def test_wrong_tanh_formula_only_quoted_as_wrong():
    """Is the sources' '+ 1' tanh formula only mentioned as an error?"""
    text = markdown_source(CHAPTER)
    for match in re.finditer(r"\\frac\{2\}\{1 \+ e\^\{-2x\}\} \+ 1", text):
        context = text[max(0, match.start() - 200):match.end() + 100]
        assert "wrong" in context


def test_figures_are_rendered(built_book):
    """Does the page show its three figures? (tests/book: every image file
    exists)"""
    assert len(images(built_book, CHAPTER)) >= 3


def test_chapter_defines_the_graded_functions():
    """Does the chapter define the functions a student can copy? (tests/book
    runs each through its hidden checks)"""
    assert {"conv_matrix"} <= set(graded_definitions(CHAPTER))
