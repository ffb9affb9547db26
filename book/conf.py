"""Sphinx configuration of the HTML book (built by book/build.py)

Sources are staged by build.py; this file only configures Sphinx, myst-nb and
sphinx-book-theme. Everything the pages load is served from the book itself:
MathJax comes from npm (BOOK_STATIC), nothing from a CDN.
"""
import os
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"

project = "Channels, Pooling and Layer APIs"
author = "the course authors"
copyright = "the course authors"
html_title = project

extensions = ["myst_nb", "sphinx.ext.mathjax", "sphinx.ext.githubpages"]
root_doc = "index"
exclude_patterns = ["**.ipynb_checkpoints", ".jupyter_cache",
                    "jupyter_execute"]

# MyST: $...$ and $$...$$ math, ::: fences
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

# myst-nb: execute chapters through a jupyter-cache; a failing cell fails the
# build; the released exercise notebooks hold `raise NotImplementedError()`
# stubs and are rendered as they are
nb_execution_mode = "cache"
nb_execution_cache_path = os.environ.get(
    "BOOK_CACHE", str(BUILD / "jupyter_cache"))
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_timeout = 300
nb_execution_excludepatterns = ["exercises/*/*.ipynb"]
nb_merge_streams = True
nb_ipywidgets_js = {}  # the default loads require.js from a CDN

# MathJax from npm, copied by build.py into BOOK_STATIC/mathjax
html_static_path = [os.environ.get("BOOK_STATIC",
                                   str(BUILD / "book-static")), "_static"]
mathjax_path = "mathjax/tex-mml-chtml.js"
html_css_files = ["book.css"]
html_favicon = "_static/favicon.svg"

html_theme = "sphinx_book_theme"
html_theme_options = {
    "home_page_in_toc": True,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "show_toc_level": 2,
    "navigation_with_keys": False,
    # the sidebar has a search field; no second one in a header bar
    "navbar_persistent": [],
}
html_last_updated_fmt = None
html_copy_source = True
html_show_sourcelink = False


def executed_notebook(app, pagename):
    """The chapter as a notebook with the outputs of its cached execution

    (myst-nb's own copy in jupyter_execute/ lacks the outputs when they come
    from the cache, so we merge them from the jupyter-cache ourselves.)
    """
    import jupytext
    from jupyter_cache import get_cache

    notebook = jupytext.read(Path(app.srcdir) / (pagename + ".md"))
    cache = get_cache(app.env.mystnb_config.execution_cache_path)
    try:
        _, notebook = cache.merge_match_into_notebook(notebook)
    except KeyError:
        logger.warning(f"{pagename}: no cached execution; the download "
                       "link offers the notebook without outputs")
    return notebook


def offer_notebook(app, pagename, templatename, context, doctree):
    """Let the theme's download menu offer a chapter's executed .ipynb

    sphinx-book-theme does this by itself only when launch buttons (Binder,
    JupyterHub, ...) are configured, which an offline book does not have.
    """
    if not context.get("sourcename", "").endswith(".md"):
        return
    if "kernelspec" not in app.env.metadata.get(pagename, {}):
        return
    import nbformat

    target = Path(app.outdir) / "_sources" / (pagename + ".ipynb")
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(executed_notebook(app, pagename), target)
    context["ipynb_source"] = pagename + ".ipynb"


def setup(app):
    # before the theme's header buttons (priority 501)
    app.connect("html-page-context", offer_notebook, priority=500)
