"""Does the channels chapter (course/channels.md) print what a reader can
check and state the corrected facts?

What every chapter must be is checked over all of them in tests/book; the
helpers (and the built book, built once per session) come from there.
"""
from tests.book.pages import exercises, graded_definitions, images, markdown_source, promises

CHAPTER = "channels"

# Every example output the chapter prints: a piece of the code cell that
# prints it, and the printed output
OUTPUTS = [
    ("corr2d_multi_in(X, K)",
     "tensor([[ 56.,  72.],\n        [104., 120.]])"),
    ("corr2d_multi_in_out(X, K)",
     "tensor([[[ 56.,  72.],\n         [104., 120.]],\n\n"
     "        [[ 76., 100.],\n         [148., 172.]],\n\n"
     "        [[ 96., 128.],\n         [192., 224.]]])"),
    ("Y2 = corr2d_multi_in_out(X, K)",
     "sum of |Y1 - Y2| < 1e-6: True"),
]

# issue 19: the worked answers print results a reader can check by eye
WORKED_OUTPUTS = [
    ("Y3[:, 1, 1]", "tensor([24., -8.])"),
    ("float((a + b) + c), float(a + (b + c))", "(1.0, 0.0)"),
    ("compose(K1, K2)[0, 0]",
     "tensor([[ 1.,  2.,  0.],\n        [ 3.,  3., -2.],\n"
     "        [ 0., -3., -4.]])"),
    ("F.conv2d(F.conv2d(X, K1), K2)",
     "(torch.Size([4, 2, 4, 4]), True)"),
    ("sum(p.numel() for p in conv.parameters())", "(184, 184)"),
    ("FlopCounterMode(display=False)",
     "{'aten.convolution': 13824, 'aten.convolution_backward': 27648}"),
    ("print('channels x 2:'", "channels x 2: 4.0"),
    ("torch.block_diag", "(torch.Size([8, 2, 1, 1]), "
     "torch.Size([8, 8]))"),
]

# Errors of the d2l sources the chapter corrects: what the page must say
RIGHT_STATEMENTS = [
    "$c_o c_i k_h k_w$ weights and $c_o$ biases",
    "kernels of all output channels are learned together",
]

# issue 19: statements that were wrong or loose, and must not come back
WRONG_STATEMENTS = [
    "One output channel can only detect one kind of pattern",
]


TestPromises = promises(CHAPTER, OUTPUTS, WORKED_OUTPUTS, RIGHT_STATEMENTS, WRONG_STATEMENTS)


def test_figures_are_rendered(built_book):
    """Does the page show its two figures? (tests/book: every image file
    exists)"""
    assert len(images(built_book, CHAPTER)) >= 2


def test_all_d2l_exercises_are_listed():
    """Are d2l's seven exercises of the section the list's first seven?"""
    assert "Exercises 1 to 7 are those of d2l's section" in markdown_source(CHAPTER)
    assert len(exercises(CHAPTER)) >= 7


def test_chapter_defines_the_graded_functions():
    """Does the chapter define the functions a student can copy? (tests/book
    runs each through its hidden checks)"""
    assert {"corr2d", "corr2d_multi_in", "corr2d_multi_in_out",
            "corr2d_multi_in_out_1x1"} <= set(graded_definitions(CHAPTER))
