"""Build the HTML book: the chapters (executed) and the student exercises

    python -m book.build                  # build/book/index.html
    python -m book.build --out DIR        # elsewhere

Steps:
1. MathJax 3 comes from npm (`npm install mathjax@3`) into build/mathjax/ and
   its es5 bundle is copied to a static folder, so no page needs a CDN.
2. The sources are staged in build/book-src/: course/*.md (MyST Markdown
   notebooks, executed by myst-nb) and exercises/*/*.ipynb (the released
   student notebooks, rendered without executing). Files are only rewritten
   when their content changed, so Sphinx re-reads only what changed.
3. Sphinx (config in book/conf.py) builds the HTML. Execution results are kept
   in a jupyter-cache (build/jupyter_cache): an unchanged chapter is not run
   again, and a failing cell fails the build.

A lock file serializes concurrent builds into the same build folder.
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK_DIR = ROOT / "book"
MATHJAX_VERSION = "3.2.2"
# npm's install folder, shared by every build from this checkout
MATHJAX_PREFIX = ROOT / "build" / "mathjax"
# the parts of MathJax's es5 folder that tex-mml-chtml.js loads, eagerly or
# on demand (TeX extensions, CommonHTML fonts, the menu and accessibility)
MATHJAX_PARTS = ["tex-mml-chtml.js", "input", "output/chtml", "ui", "a11y",
                 "sre", "adaptors"]


def log(message):
    print(f"[book] {message}", flush=True)


@contextmanager
def locked(path):
    """Hold an exclusive lock on `path` (created if missing)"""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_if_changed(path, data):
    """Write bytes to path unless it already holds them; True if written"""
    path = Path(path)
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def install_mathjax(prefix=MATHJAX_PREFIX):
    """`npm install mathjax@3` into prefix unless there; return its es5/"""
    package = prefix / "node_modules" / "mathjax" / "package.json"
    with locked(prefix / ".lock"):
        installed = (json.loads(package.read_text())["version"]
                     if package.exists() else None)
        if installed != MATHJAX_VERSION:
            npm = shutil.which("npm")
            if npm is None:
                raise SystemExit("book: npm is needed to install MathJax "
                                 "(Node.js 18 or newer)")
            log(f"installing mathjax@{MATHJAX_VERSION} from npm into "
                f"{prefix}")
            subprocess.run([npm, "install", "--prefix", str(prefix),
                            "--no-audit", "--no-fund", "--no-save",
                            "--loglevel=error", f"mathjax@{MATHJAX_VERSION}"],
                           check=True)
    return package.parent / "es5"


def ensure_mathjax(work):
    """A static folder holding MathJax, installed from npm when missing

    The returned folder contains `mathjax/tex-mml-chtml.js` and the files it
    loads; conf.py adds it to html_static_path.
    """
    es5 = install_mathjax()
    static = work / "book-static"
    target = static / "mathjax"
    stamp = target / ".version"
    if not stamp.exists() or stamp.read_text() != MATHJAX_VERSION:
        shutil.rmtree(target, ignore_errors=True)
        for part in MATHJAX_PARTS:
            src, dst = es5 / part, target / part
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dst)
            else:
                shutil.copy2(src, dst)
        stamp.write_text(MATHJAX_VERSION)
    return static


def assignment_key(path):
    """Exercises in course order (each assignment's published position),
    then by name"""
    from grader.checks import public
    name = path.parent.name
    try:
        rank = public.published(name).position
    except (OSError, ValueError):
        rank = 1 << 20
    return rank, name, path.name


def titled(notebook_bytes, fallback):
    """The notebook with a '# title' cell in front if it has no title"""
    nb = json.loads(notebook_bytes)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            source = "".join(cell.get("source", []))
            if any(line.startswith("# ") for line in source.splitlines()):
                return notebook_bytes
    nb.setdefault("cells", []).insert(0, {
        "cell_type": "markdown", "metadata": {}, "source": [f"# {fallback}"]})
    return (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode()


EXERCISES_INTRO = """\
# Working on the Exercises

Each chapter has an assignment of graded exercises. Download a notebook with
the download button at the top of its page (or open it from `exercises/` in
JupyterLab with `make lab`), replace every `raise NotImplementedError()` with
your code, and run the visible test cells before you submit. The notebooks
are shown here as released, without running them.
"""


def exercises_index(docnames):
    """MyST source of the exercise landing page"""
    if not docnames:
        return EXERCISES_INTRO + (
            "\nNo exercises have been released yet. Instructors make them "
            "with `grader release`, which writes `exercises/`.\n")
    entries = "\n".join(name.removeprefix("exercises/")
                        for name in docnames)
    return (EXERCISES_INTRO
            + f"\n```{{toctree}}\n:maxdepth: 1\n\n{entries}\n```\n")


def stage(course, exercises, src):
    """Copy the book's sources into src; return the exercise docnames"""
    wanted = {}
    for path in sorted(course.glob("*.md")):
        wanted[path.name] = path.read_bytes()
    docnames = []
    notebooks = sorted(exercises.glob("*/*.ipynb"), key=assignment_key)
    for path in notebooks:
        rel = Path("exercises") / path.parent.name / path.name
        fallback = f"{path.parent.name}: {path.stem}"
        wanted[rel.as_posix()] = titled(path.read_bytes(), fallback)
        docnames.append(rel.with_suffix("").as_posix())
    wanted["exercises/index.md"] = exercises_index(docnames).encode()
    changed = [name for name, data in wanted.items()
               if write_if_changed(src / name, data)]
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src).as_posix()
        if path.is_file() and rel not in wanted:
            path.unlink()
            changed.append(f"{rel} (removed)")
    chapters = [name for name in wanted if "/" not in name]
    log(f"staged {len(chapters)} course pages and {len(docnames)} exercise "
        f"notebooks; changed: {', '.join(changed) or 'nothing'}")
    return docnames


def check_offline(out):
    """Names of pages that load a script or stylesheet from the network"""
    import re
    remote = re.compile(
        r"<(?:script|link)\b[^>]*(?:src|href)=[\"'](?:https?:)?//", re.I)
    bad = []
    for page in out.rglob("*.html"):
        for tag in remote.findall(page.read_text(errors="replace")):
            if tag.lower().startswith("<link") and "stylesheet" not in tag:
                continue
            bad.append(page.relative_to(out).as_posix())
    return sorted(set(bad))


def build(out, course, exercises, work, jobs=1, quiet=False):
    """Build the book into out; return Sphinx's exit status"""
    src, doctrees = work / "book-src", work / "book-doctrees"
    static = ensure_mathjax(work)
    stage(course, exercises, src)
    env = dict(os.environ)
    # the notebooks' kernel ('python3') must be this interpreter
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get(
        "PATH", "")
    env["BOOK_STATIC"] = str(static)
    env["BOOK_CACHE"] = str(work / "jupyter_cache")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    command = [sys.executable, "-m", "sphinx", "-b", "html",
               "-c", str(BOOK_DIR), "-d", str(doctrees), "-j", str(jobs),
               str(src), str(out)]
    if quiet:
        command.insert(3, "-q")
    log(" ".join(command[2:]))
    status = subprocess.run(command, env=env, cwd=ROOT).returncode
    if status == 0:
        bad = check_offline(out)
        if bad:
            log("pages that load scripts or styles from the network: "
                + ", ".join(bad))
            return 1
        log(f"done: {out / 'index.html'}")
    return status


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "book",
                        help="HTML output folder (default build/book)")
    parser.add_argument("--course", type=Path, default=ROOT / "course",
                        help="chapters, *.md (default course/)")
    parser.add_argument("--exercises", type=Path,
                        default=ROOT / "exercises",
                        help="released notebooks, */*.ipynb (default "
                             "exercises/)")
    parser.add_argument("--work", type=Path, default=None,
                        help="staging, cache and MathJax folder (default: "
                             "the parent of --out)")
    parser.add_argument("-j", "--jobs", default="1",
                        help="Sphinx parallel jobs (default 1)")
    parser.add_argument("-q", "--quiet", action="store_true")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    work = (args.work or out.parent).resolve()
    with locked(work / "book.lock"):
        return build(out, args.course.resolve(), args.exercises.resolve(),
                     work, args.jobs, args.quiet)


if __name__ == "__main__":
    sys.exit(main())
