"""`grader publish --to DIR`: the students' repository

This repository is the instructors'. What students get is decided by an include
list (INCLUDE), never by excluding what is hidden, so a new hidden folder stays
hidden without anyone remembering to list it:

* the chapters (course/), the released notebooks (exercises/, written by
  `grader release`), the visible checks and their published examples
  (grader/checks/), the torchvision stand-in, the JupyterLab settings and the
  students' guide;
* the students' own README, Makefile, package files and set-up check, from
  students/ (copied to the top of DIR);
* requirements.txt: the packages students need (STUDENT_PACKAGES) and everything
  they require, pinned as in requirements.lock; requirements-no-deps.txt: the
  no-deps installs of pyproject.toml's [tool.course];
* MARKER, which says that `grader publish` wrote DIR and lists its files.

DIR is usually a git checkout that the instructor commits and pushes. Publishing
again updates it in place: files no longer published are removed; `.git/`, the
keep-list KEEP and the paths it lists are never touched.
"""
import fnmatch
import importlib.metadata
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from grader.course import REPO

# What students get of this repository: globs relative to its root
INCLUDE = [
    "course/*.md",
    "exercises/*/*",
    "grader/checks/*.py", "grader/checks/public/*.json",
    "vendor/torchvision-shim/pyproject.toml", "vendor/torchvision-shim/torchvision/**/*.py",
    ".jupyter/jupyter_server_config.py", ".jupyter/lab-settings/*.json",
    "docs/students.md", "docs/contract.md",
    "constraints.txt",
]
# The students' README, Makefile, pyproject.toml, ...: copied to the top of DIR
STUDENTS = "students"
# Never published, wherever they are: caches and editor leftovers
JUNK = ["__pycache__", "*.pyc", ".ipynb_checkpoints", ".DS_Store", "*~"]
# The packages the chapters, the notebooks and JupyterLab need; requirements.txt
# holds them and what they require, at requirements.lock's versions
STUDENT_PACKAGES = ["jupyterlab", "nbgrader", "jupytext", "ipykernel", "torch", "numpy",
                    "matplotlib", "matplotlib-inline", "pandas", "scipy", "requests", "pillow",
                    "tensorboard"]
# What pip leaves out of a lock (`pip freeze`): the installers themselves
UNPINNED = {"pip", "setuptools", "wheel"}
MARKER = ".published"
KEEP = ".publish-keep"
# Text that nbgrader removes at release: a published file holding it leaks answers
LEAK_SIGNS = ["### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS"]


class PublishError(Exception):
    """DIR is not a place to publish to, or the tree to publish is wrong; nothing was changed"""


@dataclass
class Summary:
    """What one publish did, as paths relative to DIR"""
    to: Path
    written: list = field(default_factory=list)
    removed: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    kept: list = field(default_factory=list)


def publish(*, to, source=REPO, say=print):
    """Write the students' repository to `to`, or bring an earlier one up to date

    Args:
        to: the folder to write: missing, empty, a git checkout holding only `.git`
            (and KEEP and what it lists), or one that `grader publish` wrote before
        source: the instructors' repository to publish from (default: this one)
        say: called with each line of the report (what was written and removed)

    Returns a Summary. Raises PublishError, before changing anything, when `to`
    is, holds or lies inside the instructors' repository, is a folder `grader
    publish` did not write, or when the keep-list or a file to publish is wrong.
    """
    source, to = Path(source).resolve(), Path(to).resolve()
    _refuse_source(source, to)
    files = published_files(source)
    keep = _keep_list(to, files)
    present = _present(to, keep) if to.is_dir() else []
    if present and not (to / MARKER).is_file():
        foreign = [p for p in present if p != KEEP and not _under(p, keep)]
        if foreign:
            raise PublishError(
                f"{to} holds files that `grader publish` did not write "
                f"({', '.join(foreign[:5])}{', ...' if len(foreign) > 5 else ''}) "
                f"and no {MARKER} marker. Publish into a new or empty folder, or a fresh "
                f"clone of the students' repository; to keep a file of yours there "
                f"(a LICENSE), list it in {to / KEEP}")
    summary = Summary(to=to, kept=[p for p in present if p == KEEP or _under(p, keep)])
    # remove first: a stale file or link may stand where a published folder goes
    for rel in present:
        if rel not in files and rel != KEEP and not _under(rel, keep):
            (to / rel).unlink()
            summary.removed.append(rel)
    _remove_empty_folders(to, keep)
    for rel, data in files.items():
        path = to / rel
        if path.is_file() and not path.is_symlink() and path.read_bytes() == data:
            summary.unchanged.append(rel)
            continue
        if path.is_symlink():   # never write through a link
            path.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(0o644)
        summary.written.append(rel)
    for rel in summary.written:
        say(f"wrote {rel}")
    for line in _collapse(summary.removed, set(files) | set(summary.kept)):
        say(f"removed {line}")
    say(f"published {len(files)} files to {to}: {len(summary.written)} written, "
        f"{len(summary.removed)} removed, {len(summary.unchanged)} unchanged, "
        f"{len(summary.kept)} kept ({KEEP})")
    return summary


def published_files(source=REPO):
    """{path relative to DIR: bytes} of everything the students' repository holds"""
    source = Path(source)
    files = {}
    for pattern in INCLUDE:
        for path in sorted(source.glob(pattern)):
            rel = path.relative_to(source).as_posix()
            if path.is_file() and not _junk(rel):
                files[rel] = path.read_bytes()
    students = source / STUDENTS
    for path in sorted(students.rglob("*")):
        rel = path.relative_to(students).as_posix()
        if path.is_file() and not _junk(rel):
            files[rel] = path.read_bytes()
    files["requirements.txt"] = requirements(source).encode()
    files["requirements-no-deps.txt"] = no_deps_requirements(source).encode()
    for rel, data in files.items():
        text = data.decode("utf-8", errors="replace")
        for sign in LEAK_SIGNS:
            if sign in text:
                raise PublishError(f"{rel} contains {sign!r}: solutions or hidden tests would "
                                   f"be published. Is exercises/ released (`grader release`)?")
    files[MARKER] = _marker(sorted(files)).encode()
    return dict(sorted(files.items()))


def requirements(source=REPO, packages=STUDENT_PACKAGES):
    """requirements.txt: `packages` and all they require (as installed here), pinned as
    in source's requirements.lock"""
    lock = {}
    for line in (Path(source) / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            lock[canonicalize_name(line.split("==")[0].strip())] = line.strip()
    names = required(packages)
    missing = sorted(n for n in names if n not in lock and n not in UNPINNED)
    if missing:
        raise PublishError(f"requirements.lock pins no version of {', '.join(missing)}, "
                           f"which the students' packages need: run `make lock`")
    pins = sorted((lock[n] for n in names if n in lock), key=str.lower)
    header = ["# What `make lab` installs: the course's packages and all they need, pinned",
              "# as in the instructors' requirements.lock (written by `grader publish`).",
              "# torch stays at the version in constraints.txt."]
    return "\n".join(header + pins) + "\n"


def required(packages):
    """The canonical names of `packages` and of everything they require, following the
    installed distributions' metadata (extras included, markers evaluated here)"""
    seen, todo = set(), [(canonicalize_name(p), frozenset()) for p in packages]
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            raise PublishError(f"{name} is not installed here: `grader publish` reads the "
                               f"installed packages' requirements (run `make` first)") from None
        for text in requires:
            req = Requirement(text)
            if req.marker and not any(req.marker.evaluate({"extra": e})
                                      for e in ("", *extras)):
                continue
            todo.append((canonicalize_name(req.name), frozenset(req.extras)))
    return {name for name, _ in seen}


def no_deps_requirements(source=REPO):
    """requirements-no-deps.txt: pyproject.toml's [tool.course] no-deps installs"""
    project = tomllib.loads((Path(source) / "pyproject.toml").read_text())
    header = ["# Installed with `pip install --no-deps`: d2l's own pins would downgrade",
              "# numpy, matplotlib and pandas (README.md, \"d2l and torchvision\")."]
    return "\n".join(header + project["tool"]["course"]["no-deps"]) + "\n"


def _marker(paths):
    header = ["# Written by `grader publish` from the instructors' repository; do not edit",
              "# by hand. Each release replaces the files below and removes everything",
              f"# else here but .git/, {KEEP} and the paths it lists."]
    return "\n".join(header + sorted([*paths, MARKER])) + "\n"


def _refuse_source(source, to):
    if source.is_relative_to(to) or to.is_relative_to(source):
        raise PublishError(f"{to} is, holds or lies inside the instructors' repository "
                           f"({source}): publish into the students' repository, a folder "
                           f"of its own (e.g. ../students)")
    if (to / "solutions").exists():
        raise PublishError(f"{to} holds solutions/: it looks like the instructors' repository, "
                           f"not the students'")
    if to.exists() and not to.is_dir():
        raise PublishError(f"{to} is not a folder")


def _keep_list(to, files):
    """The paths (files or folders) listed in DIR/KEEP, checked"""
    path = to / KEEP
    if not path.is_file():
        return []
    keep = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        rel = line.strip("/")
        parts = rel.split("/")
        if line.startswith("/") or ".." in parts or "." in parts or parts[0] == ".git":
            raise PublishError(f"{path}, line {number}: {line!r} is not a path inside "
                               f"{to} (write it relative to that folder, without ..)")
        clash = [f for f in files
                 if f == rel or f.startswith(rel + "/") or rel.startswith(f + "/")]
        if clash or rel == MARKER:
            raise PublishError(f"{path}, line {number}: {line!r} is published "
                               f"({(clash or [MARKER])[0]}); the keep-list is for paths "
                               f"that `grader publish` does not write")
        keep.append(rel)
    return keep


def _present(to, keep):
    """Every file and link under `to` (relative paths), but .git and kept folders"""
    found = []

    def scan(folder, prefix):
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                rel = prefix + entry.name
                if rel == ".git":
                    continue
                if entry.is_dir(follow_symlinks=False) and rel not in keep:
                    scan(entry.path, rel + "/")
                else:
                    found.append(rel)
    scan(to, "")
    return found


def _remove_empty_folders(to, keep):
    """Remove the folders under `to` left empty (deepest first), but .git and kept ones"""
    folders = []
    for folder, subfolders, _ in os.walk(to):
        rel = Path(folder).relative_to(to).as_posix()
        subfolders[:] = [d for d in subfolders if not (rel == "." and d == ".git")
                         and not _under(f"{rel}/{d}".removeprefix("./"), keep)]
        if rel != ".":
            folders.append(folder)
    for folder in reversed(folders):
        if not os.listdir(folder):
            os.rmdir(folder)


def _under(rel, keep):
    return any(rel == k or rel.startswith(k + "/") for k in keep)


def _junk(rel):
    return any(fnmatch.fnmatch(part, pattern) for part in rel.split("/") for pattern in JUNK)


def _collapse(removed, staying):
    """The removed paths for the report: a folder whose every file went is one line"""
    lines, counts = [], {}
    for rel in removed:
        parts = rel.split("/")
        top = rel
        for i in range(1, len(parts)):
            folder = "/".join(parts[:i])
            if not any(s.startswith(folder + "/") for s in staying):
                top = folder + "/"
                break
        if top not in counts:
            lines.append(top)
        counts[top] = counts.get(top, 0) + 1
    return [f"{t} ({counts[t]} file{'s' if counts[t] > 1 else ''})" if t.endswith("/") else t
            for t in lines]
