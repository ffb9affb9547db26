"""Does the chapters' own code hold up when a student copies it or runs it?

The functions a chapter defines under the name of a graded function are run
through that function's hidden checks, as a submission would be. The pooling
chapter is executed like a student's notebook, and the TensorBoard event file
it writes is read back.
"""
import importlib.util
import io
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from .conftest import ROOT

CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```$", re.M | re.S)
# (chapter, function): the chapters' functions that share a graded name
COPYABLE = [("pooling", "pool2d"), ("channels", "corr2d"),
            ("channels", "corr2d_multi_in"),
            ("channels", "corr2d_multi_in_out"),
            ("channels", "corr2d_multi_in_out_1x1"),
            ("layers", "conv_matrix")]
HEADER = ("import itertools\n\nimport torch\nfrom torch import nn\n"
          "from torch.nn import functional as F\n\n\n")


def chapter_functions(chapter, tmp_path):
    """A module holding every function a chapter defines, imported from a
    file (so that the checks can read each function's source)"""
    text = (ROOT / "course" / f"{chapter}.md").read_text()
    defs = [body for body in CELL.findall(text) if body.startswith("def ")]
    path = tmp_path / f"chapter_{chapter}.py"
    path.write_text(HEADER + "\n\n".join(defs))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("chapter, name", COPYABLE)
def test_chapter_function_passes_the_graded_checks(chapter, name, tmp_path):
    """Would the chapter's function, copied into the assignment, earn every
    point of its hidden checks (dtype and device included)?"""
    from grader.checks import CheckFailed
    from grader.instructor import check_all
    fn = getattr(chapter_functions(chapter, tmp_path), name)
    try:
        check_all(name, fn)   # every aspect, public and hidden cases (it prints each)
    except CheckFailed as failure:
        pytest.fail(str(failure))


@pytest.fixture(scope="module")
def executed_pooling(tmp_path_factory):
    """The folder in which the pooling chapter ran as a student's notebook"""
    import jupytext
    from nbclient import NotebookClient
    work = tmp_path_factory.mktemp("pooling-run")
    # a log left by an earlier run, which the chapter must replace
    (work / "runs" / "pooling").mkdir(parents=True)
    (work / "runs" / "pooling" / "events.out.tfevents.0.old").write_bytes(
        b"stale")
    notebook = jupytext.read(ROOT / "course" / "pooling.md")
    # the kernel spec runs `python`: make it this interpreter
    path = os.environ.get("PATH", "")
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + path
    try:
        NotebookClient(notebook, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(work)}}).execute()
    finally:
        os.environ["PATH"] = path
    return work


def event_images(logdir):
    """{tag: image as a uint8 array (h, w, 3)} from TensorBoard's files"""
    from PIL import Image
    from tensorboard.backend.event_processing.event_accumulator import (
        EventAccumulator)
    log = EventAccumulator(str(logdir), size_guidance={"images": 0})
    log.Reload()
    images = {}
    for tag in log.Tags()["images"]:
        (event,) = log.Images(tag)
        png = Image.open(io.BytesIO(event.encoded_image_string))
        images[tag] = np.asarray(png.convert("RGB"))
        assert images[tag].shape[:2] == (event.height, event.width)
    return images


def pooled(image, p, reduce):
    """image (h, w, 3) pooled with p x p windows, stride p, by reduce"""
    h, w = image.shape[0] // p * p, image.shape[1] // p * p
    blocks = image[:h, :w].reshape(h // p, p, w // p, p, 3).astype(float)
    return reduce(blocks, axis=(1, 3))


@pytest.mark.slow
def test_tensorboard_holds_the_pooled_images(executed_pooling):
    """Does the event file the chapter writes hold the input and its nine
    pooled versions, each the pooling of the input it shows?"""
    images = event_images(executed_pooling / "runs" / "pooling")
    expected = {"input"} | {f"{mode}/{p}x{p}" for mode in ("max", "avg", "min")
                            for p in (2, 4, 8)}
    assert set(images) == expected
    original = images["input"]
    assert original.shape == (150, 128, 3)  # the 128-wide sample photo
    for p in (2, 4, 8):
        # 8-bit quantization is monotonic, so it commutes with max and min
        assert np.array_equal(images[f"max/{p}x{p}"],
                              pooled(original, p, np.max))
        assert np.array_equal(images[f"min/{p}x{p}"],
                              pooled(original, p, np.min))
        difference = images[f"avg/{p}x{p}"] - pooled(original, p, np.mean)
        assert np.abs(difference).max() <= 1


@pytest.mark.slow
def test_tensorboard_log_is_replaced_on_each_run(executed_pooling):
    """Does the chapter replace an earlier run's log with one event file?"""
    files = list((executed_pooling / "runs" / "pooling").iterdir())
    assert len(files) == 1
    assert files[0].name.startswith("events.out.tfevents")
    assert not files[0].name.endswith(".old")
