"""Does the pooling chapter (course/pooling.md) print what a reader can
check, state the corrected facts, and write the TensorBoard log it shows?

What every chapter must be is checked over all of them in tests/book; the
helpers (and the built book, built once per session) come from there.
"""
import io
import re
from importlib.metadata import version

import numpy as np
import pytest

from tests.book.pages import (chapter_soup, collapsed, execute_chapter, exercises,
                              graded_definitions, images, markdown_source, math, printed,
                              promises)

CHAPTER = "pooling"

# Every example output the chapter prints: a piece of the code cell that
# prints it, and the printed output
OUTPUTS = [
    ("pool2d(X, (2, 2))",
     "tensor([[4., 5.],\n        [7., 8.]])"),
    ("pool2d(X, (2, 2), 'avg')",
     "tensor([[2., 3.],\n        [5., 6.]])"),
    ("pool = nn.MaxPool2d(3)\npool(X)", "tensor([[[[10.]]]])"),
    ("pool = nn.MaxPool2d(3, padding=1, stride=2)\npool(X)",
     "tensor([[[[ 5.,  7.],\n          [13., 15.]]]])"),
    ("nn.MaxPool2d((2, 3), stride=(2, 3), padding=(0, 1))",
     "tensor([[[[ 5.,  7.],\n          [13., 15.]]]])"),
    ("nn.MaxPool2d((2, 3), padding=(1, 1), stride=(2, 3))",
     "tensor([[[[ 1.,  3.],\n          [ 9., 11.],\n          [13., 15.]]]])"),
    ("pool = nn.MaxPool2d(3, padding=1, stride=2)\npool(X)",
     "tensor([[[[ 5.,  7.],\n          [13., 15.]],\n\n"
     "         [[ 6.,  8.],\n          [14., 16.]]]])"),
]

# issue 19: the worked answers print results a reader can check by eye
WORKED_OUTPUTS = [
    ("float(maxpool(A) + maxpool(B))", "(2.0, 1.0)"),
    ("comparisons_padding_is_window(",
     "(torch.Size([1, 3, 6, 4]), 360, 360)"),
    ("padding=(3, 2))",
     "pad should be at most half of effective kernel size"),
    ("relu(a - b) + relu(b) - relu(-b)", "(True, True)"),
    ("indices.dtype, indices.shape == Y.shape",
     "(torch.int64, True)"),
    ("log.Tags()['images']", "('max/2x2', 64, 75)"),
]

# Errors of the d2l sources the chapter corrects: what the page must say
RIGHT_STATEMENTS = [
    r"padding $q_h$ and $q_w$ on each side",
    r"c \cdot h' \cdot w' \cdot p_h \cdot p_w",
    r"\mathrm{minpool}(\mathbf{X}) = -\mathrm{maxpool}(-\mathbf{X})",
    "interpolates",
    # issue 19, "Errors to correct"
    r"$c \cdot h' \cdot w' \cdot (p_h p_w - 1)$ comparisons",
    "Not because it brings back the cost of a convolution",
    "Its extra cost is a constant factor",
    "Its gradient is dense",
    "SoftPool (Stergiou, Poppe and Kalliatakis",
    r"with $\beta = 1$",
    "log-sum-exp pooling",
    "an int64 tensor of the output",
    "It makes no copies",
    "a ReLU outputs exactly 0",
]

# issue 19: statements that were wrong or loose, and must not come back
WRONG_STATEMENTS = [
    "hundreds of times slower",
    "Not because of its cost",
    "one comparison (max) or one addition (average) per element",
    "it uses no extra memory",
]


TestPromises = promises(CHAPTER, OUTPUTS, WORKED_OUTPUTS, RIGHT_STATEMENTS, WRONG_STATEMENTS)


def test_measured_speed_is_printed_not_written(built_book):
    """Does the page print the loop's slowdown from its timing?"""
    outputs = printed(built_book, CHAPTER, "times slower than")
    ratios = re.findall(r"the loop is (\d+) times slower than (\S+)", outputs[0])
    assert [name for _, name in ratios] == ["vectorized", "built-in"]
    assert all(int(ratio) > 1 for ratio, _ in ratios)
    # the prose gives no number of its own
    prose = collapsed(markdown_source(CHAPTER))
    assert not re.search(r"\d+ times (slower|faster)", prose)


def test_figures_are_rendered(built_book):
    """Does the page show its four figures? (tests/book: every image file
    exists)"""
    assert len(images(built_book, CHAPTER)) >= 4


def test_timing_figure_names_the_machine(built_book):
    """Does the timing plot state the platform, CPU count and torch?"""
    titles = [p.read_text(errors="replace")
              for p in images(built_book, CHAPTER) if p.suffix == ".svg"]
    assert any("CPUs" in t and version("torch") in t for t in titles)


def test_page_holds_what_a_reader_sees(built_book):
    """Does the page hold its math, outputs and title? (tests/book's browser
    test shows every one of them typeset and visible)"""
    inline, display = math(built_book, CHAPTER)
    assert inline + display >= 30 and display >= 2
    page = chapter_soup(built_book, CHAPTER)
    assert len(page.select("div.cell_output pre")) >= 10
    text = " ".join(pre.get_text() for pre in page.select("div.cell_output pre"))
    assert "tensor([[4., 5.]," in text and "[13., 15.]]]])" in text
    assert page.find("h1").get_text().startswith("Pooling")


def test_search_finds_the_chapter(built_book):
    """Does the search index know the chapter's terms?"""
    index = (built_book / "searchindex.js").read_text()
    assert "pool" in index and "ceil_mod" in index.lower()


def test_real_image_download_is_guarded():
    """Does the chapter download CIFAR-10 only when asked to?"""
    text = markdown_source(CHAPTER)
    assert "download=True" in text
    assert "if os.environ.get('D2L_DOWNLOAD') == '1':" in text
    assert "get_sample_data('grace_hopper.jpg'" in text


def test_all_d2l_exercises_are_listed():
    """Are d2l's seven exercises of the section the list's first seven?"""
    assert "Exercises 1 to 7 are those of d2l's section" in markdown_source(CHAPTER)
    assert len(exercises(CHAPTER)) >= 7


def test_chapter_defines_the_graded_functions():
    """Does the chapter define the functions a student can copy? (tests/book
    runs each through its hidden checks)"""
    assert {"pool2d"} <= set(graded_definitions(CHAPTER))


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The folder in which the chapter ran as a student's notebook"""
    work = tmp_path_factory.mktemp("pooling-run")
    # a log left by an earlier run, which the chapter must replace
    (work / "runs" / "pooling").mkdir(parents=True)
    (work / "runs" / "pooling" / "events.out.tfevents.0.old").write_bytes(b"stale")
    return execute_chapter(CHAPTER, work)


def event_images(logdir):
    """{tag: image as a uint8 array (h, w, 3)} from TensorBoard's files"""
    from PIL import Image
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    log = EventAccumulator(str(logdir), size_guidance={"images": 0})
    log.Reload()
    found = {}
    for tag in log.Tags()["images"]:
        (event,) = log.Images(tag)
        png = Image.open(io.BytesIO(event.encoded_image_string))
        found[tag] = np.asarray(png.convert("RGB"))
        assert found[tag].shape[:2] == (event.height, event.width)
    return found


def pooled(image, p, reduce):
    """image (h, w, 3) pooled with p x p windows, stride p, by reduce"""
    h, w = image.shape[0] // p * p, image.shape[1] // p * p
    blocks = image[:h, :w].reshape(h // p, p, w // p, p, 3).astype(float)
    return reduce(blocks, axis=(1, 3))


@pytest.mark.slow
def test_tensorboard_holds_the_pooled_images(executed):
    """Does the event file the chapter writes hold the input and its nine
    pooled versions, each the pooling of the input it shows?"""
    found = event_images(executed / "runs" / "pooling")
    expected = {"input"} | {f"{mode}/{p}x{p}" for mode in ("max", "avg", "min")
                            for p in (2, 4, 8)}
    assert set(found) == expected
    original = found["input"]
    assert original.shape == (150, 128, 3)  # the 128-wide sample photo
    for p in (2, 4, 8):
        # 8-bit quantization is monotonic, so it commutes with max and min
        assert np.array_equal(found[f"max/{p}x{p}"], pooled(original, p, np.max))
        assert np.array_equal(found[f"min/{p}x{p}"], pooled(original, p, np.min))
        difference = found[f"avg/{p}x{p}"] - pooled(original, p, np.mean)
        assert np.abs(difference).max() <= 1


@pytest.mark.slow
def test_tensorboard_log_is_replaced_on_each_run(executed):
    """Does the chapter replace an earlier run's log with one event file?"""
    files = list((executed / "runs" / "pooling").iterdir())
    assert len(files) == 1
    assert files[0].name.startswith("events.out.tfevents")
    assert not files[0].name.endswith(".old")
