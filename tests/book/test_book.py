"""Does the built book show every example output of the chapters, the
corrected statements, and the exercises?

Each test reads the HTML that `python -m book.build` wrote to build/book.
"""
import functools
import json
import re

import pytest
from bs4 import BeautifulSoup

from .conftest import ROOT, run_build

CHAPTERS = ["channels", "pooling", "layers"]

# Every example output the chapters print: the page,
# a piece of the code cell that prints it, and the printed output
CHAPTER_OUTPUTS = [
    ("pooling", "pool2d(X, (2, 2))",
     "tensor([[4., 5.],\n        [7., 8.]])"),
    ("pooling", "pool2d(X, (2, 2), 'avg')",
     "tensor([[2., 3.],\n        [5., 6.]])"),
    ("pooling", "pool = nn.MaxPool2d(3)\npool(X)", "tensor([[[[10.]]]])"),
    ("pooling", "pool = nn.MaxPool2d(3, padding=1, stride=2)\npool(X)",
     "tensor([[[[ 5.,  7.],\n          [13., 15.]]]])"),
    ("pooling", "nn.MaxPool2d((2, 3), stride=(2, 3), padding=(0, 1))",
     "tensor([[[[ 5.,  7.],\n          [13., 15.]]]])"),
    ("pooling", "nn.MaxPool2d((2, 3), padding=(1, 1), stride=(2, 3))",
     "tensor([[[[ 1.,  3.],\n          [ 9., 11.],\n          [13., 15.]]]])"),
    ("pooling", "pool = nn.MaxPool2d(3, padding=1, stride=2)\npool(X)",
     "tensor([[[[ 5.,  7.],\n          [13., 15.]],\n\n"
     "         [[ 6.,  8.],\n          [14., 16.]]]])"),
    ("channels", "corr2d_multi_in(X, K)",
     "tensor([[ 56.,  72.],\n        [104., 120.]])"),
    ("channels", "corr2d_multi_in_out(X, K)",
     "tensor([[[ 56.,  72.],\n         [104., 120.]],\n\n"
     "        [[ 76., 100.],\n         [148., 172.]],\n\n"
     "        [[ 96., 128.],\n         [192., 224.]]])"),
    ("channels", "Y2 = corr2d_multi_in_out(X, K)",
     "sum of |Y1 - Y2| < 1e-6: True"),
    ("layers", "divisor_override=3",
     "tensor([[[[1.3333, 1.3333],\n          [1.3333, 1.3333]]]])"),
    ("layers", "print(linear(x))",
     "tensor([[ 6.5000, 12.5000, 18.5000, 24.5000]])"),
]

# issue 19: the worked answers print results a reader can check by eye
WORKED_OUTPUTS = [
    ("pooling", "float(maxpool(A) + maxpool(B))", "(2.0, 1.0)"),
    ("pooling", "comparisons_padding_is_window(",
     "(torch.Size([1, 3, 6, 4]), 360, 360)"),
    ("pooling", "padding=(3, 2))",
     "pad should be at most half of effective kernel size"),
    ("pooling", "relu(a - b) + relu(b) - relu(-b)", "(True, True)"),
    ("pooling", "indices.dtype, indices.shape == Y.shape",
     "(torch.int64, True)"),
    ("pooling", "log.Tags()['images']", "('max/2x2', 64, 75)"),
    ("channels", "Y3[:, 1, 1]", "tensor([24., -8.])"),
    ("channels", "float((a + b) + c), float(a + (b + c))", "(1.0, 0.0)"),
    ("channels", "compose(K1, K2)[0, 0]",
     "tensor([[ 1.,  2.,  0.],\n        [ 3.,  3., -2.],\n"
     "        [ 0., -3., -4.]])"),
    ("channels", "F.conv2d(F.conv2d(X, K1), K2)",
     "(torch.Size([4, 2, 4, 4]), True)"),
    ("channels", "sum(p.numel() for p in conv.parameters())", "(184, 184)"),
    ("channels", "FlopCounterMode(display=False)",
     "{'aten.convolution': 13824, 'aten.convolution_backward': 27648}"),
    ("channels", "print('channels x 2:'", "channels x 2: 4.0"),
    ("channels", "torch.block_diag", "(torch.Size([8, 2, 1, 1]), "
     "torch.Size([8, 8]))"),
    ("layers", "for n_in in range(5, 11):",
     " 8 -> conv -> 4 -> transposed conv, a = 0 -> 7"),
    ("layers", "a = (n_in + 2 * q - d * (k - 1) - 1) % s",
     "285 settings: the transposed convolution restores n_in"),
    ("layers", "output_size=(8, 8)",
     "(torch.Size([1, 1, 7, 7]), torch.Size([1, 1, 8, 8]))"),
    ("layers", "F.conv_transpose2d(G, K[None, None])", "True"),
    ("layers", "torch.sigmoid(x).grad_fn", "['_saved_result']"),
]

# Errors of the d2l sources the chapters correct: what the pages must say
RIGHT_STATEMENTS = [
    ("layers", r"\frac{2}{1 + e^{-2x}} - 1"),
    ("layers", r"\frac{\sinh x}{\cosh x}"),
    ("pooling", r"padding $q_h$ and $q_w$ on each side"),
    ("pooling", r"c \cdot h' \cdot w' \cdot p_h \cdot p_w"),
    ("pooling", r"\mathrm{minpool}(\mathbf{X}) = -\mathrm{maxpool}(-\mathbf{X})"),
    ("pooling", "interpolates"),
    # issue 19, "Errors to correct"
    ("layers", r"a = (n_\text{in} + 2q - d(k - 1) - 1) \bmod s"),
    ("layers", "$s$ consecutive input sizes give the same output size"),
    ("pooling", r"$c \cdot h' \cdot w' \cdot (p_h p_w - 1)$ comparisons"),
    ("pooling", "Not because it brings back the cost of a convolution"),
    ("pooling", "Its extra cost is a constant factor"),
    ("pooling", "Its gradient is dense"),
    ("pooling", "SoftPool (Stergiou, Poppe and Kalliatakis"),
    ("pooling", r"with $\beta = 1$"),
    ("pooling", "log-sum-exp pooling"),
    ("pooling", "an int64 tensor of the output"),
    ("pooling", "It makes no copies"),
    ("pooling", "a ReLU outputs exactly 0"),
    ("channels", "$c_o c_i k_h k_w$ weights and $c_o$ biases"),
    ("channels", "kernels of all output channels are learned together"),
]

# issue 19: statements that were wrong or loose, and must not come back
WRONG_STATEMENTS = [
    ("layers", "Without *a* this undoes"),
    ("pooling", "hundreds of times slower"),
    ("pooling", "Not because of its cost"),
    ("pooling", "one comparison (max) or one addition (average) per element"),
    ("pooling", "it uses no extra memory"),
    ("channels", "One output channel can only detect one kind of pattern"),
]


@functools.lru_cache(maxsize=None)
def soup(book, page):
    """The parsed page (parsed once per session: the tests only read it)"""
    return BeautifulSoup((book / page).read_text(), "html.parser")


def cells(book, page):
    """(code, output text) of every code cell on a chapter page"""
    found = []
    for cell in soup(book, f"{page}.html").select("div.cell"):
        code = cell.select_one("div.cell_input")
        outputs = cell.select("div.cell_output pre")
        found.append((code.get_text() if code else "",
                      "".join(o.get_text() for o in outputs)))
    return found


def markdown_source(page):
    return (ROOT / "course" / f"{page}.md").read_text()


@pytest.mark.parametrize("page, code, expected", CHAPTER_OUTPUTS)
def test_chapter_output_is_printed(built_book, page, code, expected):
    """Does a cell running `code` print exactly the output listed above?"""
    outputs = [out for source, out in cells(built_book, page)
               if code in source]
    assert outputs, f"no cell on {page}.html runs {code!r}"
    assert expected in [out.rstrip("\n") for out in outputs], (
        f"{page}.html: cells running {code!r} printed {outputs!r}")


@pytest.mark.parametrize("page, text", RIGHT_STATEMENTS)
def test_sources_errors_are_corrected(built_book, page, text):
    """Does the chapter state the correct version of a source's error?"""
    assert text in re.sub(r"\s+", " ", markdown_source(page))
    # the page keeps the statement (math is rendered from its TeX source)
    plain = re.sub(r"\s+", " ", text.replace("$", ""))
    page_text = re.sub(r"\s+", " ", soup(built_book, f"{page}.html")
                       .get_text().replace(r"\(", "").replace(r"\)", ""))
    assert plain in page_text


@pytest.mark.parametrize("page, code, expected", WORKED_OUTPUTS)
def test_worked_answer_is_printed(built_book, page, code, expected):
    """Does the cell of a worked answer print the result the text gives?"""
    outputs = [out for source, out in cells(built_book, page)
               if code in source]
    assert outputs, f"no cell on {page}.html runs {code!r}"
    assert any(expected in out for out in outputs), (
        f"{page}.html: cells running {code!r} printed {outputs!r}")


@pytest.mark.parametrize("page, text", WRONG_STATEMENTS)
def test_wrong_statement_is_gone(page, text):
    """Is a statement issue 19 found wrong or loose gone from the chapter?"""
    assert text not in re.sub(r"\s+", " ", markdown_source(page))


def test_measured_speed_is_printed_not_written(built_book):
    """Does the pooling page print the loop's slowdown from its timing?"""
    printed = [out for source, out in cells(built_book, "pooling")
               if "times slower than" in source]
    assert printed, "no cell prints the measured slowdown"
    ratios = re.findall(r"the loop is (\d+) times slower than (\S+)",
                        printed[0])
    assert [name for _, name in ratios] == ["vectorized", "built-in"]
    assert all(int(ratio) > 1 for ratio, _ in ratios)
    # the prose gives no number of its own
    prose = re.sub(r"\s+", " ", markdown_source("pooling"))
    assert not re.search(r"\d+ times (slower|faster)", prose)


@pytest.mark.parametrize("page", CHAPTERS)
def test_exercise_links_lead_into_the_chapter(built_book, page):
    """Does every 'worked in this chapter' link reach a section there?"""
    page_soup = soup(built_book, f"{page}.html")
    exercises = page_soup.find(id="exercises")
    links = [a["href"] for a in exercises.find_all("a", href=True)
             if a["href"].startswith("#")
             and "headerlink" not in (a.get("class") or [])]
    worked = re.sub(r"\s+", " ", markdown_source(page).split(
        "\n## Exercises\n")[1]).count("(worked in this chapter")
    assert len(links) == worked > 0
    for href in links:
        assert page_soup.find(id=href[1:]), f"{page}.html has no {href}"


def test_wrong_tanh_formula_only_quoted_as_wrong(built_book):
    """Is the sources' '+ 1' tanh formula only mentioned as an error?"""
    text = markdown_source("layers")
    for match in re.finditer(r"\\frac\{2\}\{1 \+ e\^\{-2x\}\} \+ 1", text):
        context = text[max(0, match.start() - 200):match.end() + 100]
        assert "wrong" in context


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_ran_without_errors(built_book, page):
    """Did every code cell run without an error output or a warning?"""
    page_soup = soup(built_book, f"{page}.html")
    assert not page_soup.select("div.output.error, div.output.traceback")
    assert not page_soup.select("div.output.stderr")
    assert "Traceback (most recent call last)" not in page_soup.get_text()
    assert len(page_soup.select("div.cell_output")) >= 8


@pytest.mark.parametrize("page, figures",
                         [("pooling", 4), ("layers", 3), ("channels", 2)])
def test_figures_are_rendered(built_book, page, figures):
    """Does the page show its figures, and do the image files exist?"""
    images = soup(built_book, f"{page}.html").select("div.cell_output img")
    assert len(images) >= figures
    for image in images:
        path = built_book / image["src"]
        assert path.is_file() and path.stat().st_size > 1000, path


def test_timing_figure_names_the_machine(built_book):
    """Does the timing plot state the platform, CPU count and torch?"""
    from importlib.metadata import version
    svgs = [built_book / img["src"] for img in
            soup(built_book, "pooling.html").select("div.cell_output img")]
    titles = [p.read_text(errors="replace") for p in svgs
              if p.suffix == ".svg"]
    assert any("CPUs" in t and version("torch") in t for t in titles)


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
    for page in CHAPTERS:
        scripts = [s["src"] for s in soup(built_book, f"{page}.html")
                   .find_all("script", src=True)]
        assert any("_static/mathjax/tex-mml-chtml.js" in s for s in scripts)


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_notebook_can_be_downloaded(built_book, page):
    """Does the page link its executed notebook, and is that file there?"""
    href = f"_sources/{page}.ipynb"
    links = [a["href"] for a in soup(built_book, f"{page}.html")
             .find_all("a", href=True)]
    assert href in links
    notebook = json.loads((built_book / href).read_text())
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert code and all(c.get("outputs") is not None for c in code)
    assert any(c["outputs"] for c in code)


def test_navigation_and_search(built_book):
    """Does the landing page reach every chapter, and is there a search?"""
    links = {a["href"] for a in soup(built_book, "index.html")
             .find_all("a", href=True)}
    for target in [f"{c}.html" for c in CHAPTERS] + ["exercises/index.html"]:
        assert target in links
    assert (built_book / "search.html").is_file()
    index = (built_book / "searchindex.js").read_text()
    assert "pool" in index and "ceil_mod" in index.lower()


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
