"""Publishing again updates the students' repository in place, and refuses wrong folders

A release is `grader release` + `grader publish --to DIR` + a commit in DIR, so
DIR is usually a git checkout: publishing must be idempotent, remove what is no
longer published, keep .git and the instructor's keep-listed paths, never write
through a link, and refuse a folder it did not write.
"""
import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from grader import cli
from grader.publish import KEEP, MARKER, PublishError, publish
from tests.publish._students import git, published_assignments

ROOT = Path(__file__).resolve().parents[2]
# What a copy of the instructors' repository needs for publishing
SOURCE_PARTS = ["course", "exercises", "grader", "vendor", ".jupyter", "docs", "students",
                "constraints.txt", "requirements.lock", "pyproject.toml"]


def quiet(line):
    pass


def snapshot(root):
    """{relative path: sha256} of every file under root, .git's included"""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


@pytest.fixture
def source(tmp_path):
    """A copy of the parts of this repository that publishing reads, to change freely"""
    src = tmp_path / "instructors"
    for part in SOURCE_PARTS:
        if (ROOT / part).is_dir():
            shutil.copytree(ROOT / part, src / part,
                            ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        else:
            shutil.copy2(ROOT / part, src / part)
    return src


def test_publishing_twice_changes_nothing(tmp_path):
    """Is a second publish of the same repository a no-op, byte for byte?"""
    to = tmp_path / "students"
    first = publish(to=to, say=quiet)
    before = snapshot(to)
    lines = []
    second = publish(to=to, say=lines.append)
    assert first.written and not first.removed
    assert second.written == [] and second.removed == []
    assert sorted(second.unchanged) == sorted(first.written)
    assert snapshot(to) == before
    assert lines == [f"published {len(before)} files to {to}: 0 written, 0 removed, "
                     f"{len(before)} unchanged, 0 kept ({KEEP})"]


def test_the_marker_lists_every_published_file(tmp_path):
    """Does DIR/.published list exactly the files written?"""
    to = tmp_path / "students"
    publish(to=to, say=quiet)
    listed = [l for l in (to / MARKER).read_text().splitlines() if not l.startswith("#")]
    assert listed == sorted(snapshot(to))


def test_an_update_removes_what_is_no_longer_published_and_keeps_git_and_the_keep_list(
        source, tmp_path):
    """After an assignment is withdrawn and a stray file appears, does the next publish
    remove both, while .git, KEEP and what it lists stay as they were?"""
    to = tmp_path / "students"
    publish(to=to, source=source, say=quiet)
    git("init", "-q", "-b", "main", cwd=to)
    (to / "LICENSE").write_text("CC BY-SA 4.0\n")
    (to / "notes").mkdir()
    (to / "notes" / "week1.md").write_text("# Week 1\n")
    (to / KEEP).write_text("# the instructor's own files\nLICENSE\nnotes/\n")
    git("add", "-A", cwd=to)
    git("commit", "-q", "-m", "release 1", cwd=to)
    head = git("rev-parse", "HEAD", cwd=to)
    git_files = {p: h for p, h in snapshot(to).items() if p.startswith(".git/")}

    # withdraw the last assignment; reword another one's chapter
    published = published_assignments()
    gone = published[-1]
    edited = next(a for a in published[:-1] + published[-1:]
                  if (source / "course" / f"{a}.md").is_file())
    chapter = f"course/{edited}.md"
    gone_files = sorted(p.relative_to(source).as_posix()
                        for p in (source / "exercises" / gone).rglob("*") if p.is_file())
    assert gone_files
    shutil.rmtree(source / "exercises" / gone)
    (source / chapter).write_text((source / chapter).read_text() + "\nA new closing paragraph.\n")
    (to / "scratch.txt").write_text("left over\n")
    (to / "exercises" / edited / "old").mkdir()
    (to / "exercises" / edited / "old" / "draft.ipynb").write_text("{}\n")
    lines = []
    summary = publish(to=to, source=source, say=lines.append)

    assert sorted(summary.removed) == sorted(gone_files + [f"exercises/{edited}/old/draft.ipynb",
                                                           "scratch.txt"])
    assert summary.written == [MARKER, chapter]
    assert sorted(summary.kept) == [KEEP, "LICENSE", "notes"]
    n = len(gone_files)
    assert f"removed exercises/{gone}/ ({n} file{'s' if n > 1 else ''})" in lines
    assert f"removed exercises/{edited}/old/ (1 file)" in lines
    assert "removed scratch.txt" in lines
    assert f"wrote {chapter}" in lines
    assert not (to / "exercises" / gone).exists()          # empty folders go too
    assert not (to / "exercises" / edited / "old").exists()
    assert (to / "LICENSE").read_text() == "CC BY-SA 4.0\n"
    assert (to / "notes" / "week1.md").read_text() == "# Week 1\n"
    assert git("rev-parse", "HEAD", cwd=to) == head
    assert {p: h for p, h in snapshot(to).items() if p.startswith(".git/")} == git_files
    status = git("status", "--porcelain", cwd=to).splitlines()
    assert sorted(status) == sorted([f" D {f}" for f in gone_files]
                                    + [" M .published", f" M {chapter}"])


def test_a_fresh_clone_is_accepted_and_updated_in_place(source, tmp_path):
    """Publishing into a clone of the students' repository (marker committed) works"""
    origin = tmp_path / "origin"
    publish(to=origin, source=source, say=quiet)
    git("init", "-q", "-b", "main", cwd=origin)
    git("add", "-A", cwd=origin)
    git("commit", "-q", "-m", "release 1", cwd=origin)
    clone = tmp_path / "clone"
    git("clone", "-q", str(origin), str(clone), cwd=tmp_path)
    summary = publish(to=clone, source=source, say=quiet)
    assert summary.written == [] and summary.removed == []
    assert git("status", "--porcelain", cwd=clone) == ""


@pytest.mark.parametrize("setup", ["missing", "empty", "git only", "git with kept license"])
def test_new_places_are_accepted(setup, tmp_path):
    """A missing or empty folder, or a new git repository (maybe with a kept LICENSE)"""
    to = tmp_path / "students"
    if setup != "missing":
        to.mkdir()
    if setup.startswith("git"):
        git("init", "-q", cwd=to)
    if setup == "git with kept license":
        (to / "LICENSE").write_text("MIT\n")
        (to / KEEP).write_text("LICENSE\n")
    summary = publish(to=to, say=quiet)
    assert (to / MARKER).is_file()
    for a in published_assignments():
        assert (to / "exercises" / a / f"{a}.ipynb").is_file(), a
    assert summary.removed == []
    if setup == "git with kept license":
        assert (to / "LICENSE").read_text() == "MIT\n"


def _refused(to, match, whole=True):
    """Publishing to `to` fails with `match`, and changes nothing there (its top level
    only, unless whole)"""
    def look():
        if not to.is_dir():
            return None
        return snapshot(to) if whole else sorted(p.name for p in to.iterdir())
    before = look()
    with pytest.raises(PublishError, match=match):
        publish(to=to, say=quiet)
    assert look() == before, "a refused publish changed the folder"


def test_the_instructors_repository_is_refused(tmp_path):
    """Is DIR refused when it is this repository, holds it, lies inside it, or holds
    solutions/?"""
    for to in [ROOT, ROOT.parent, ROOT / "exercises", ROOT / "build" / "students"]:
        _refused(to, "is, holds or lies inside the instructors' repository", whole=False)
    assert not (ROOT / "build" / "students").exists()
    other = tmp_path / "other-clone"
    a = published_assignments()[0]
    (other / "solutions" / a).mkdir(parents=True)
    (other / "solutions" / a / f"{a}.ipynb").write_text("{}\n")
    _refused(other, "holds solutions/: it looks like the instructors' repository")


def test_a_folder_it_did_not_write_is_refused(tmp_path):
    """A non-empty folder without the marker, a git checkout of another project, a file"""
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "thesis.tex").write_text("\\documentclass{article}\n")
    _refused(plain, r"holds files that `grader publish` did not write \(thesis.tex\)")
    project = tmp_path / "project"
    project.mkdir()
    git("init", "-q", cwd=project)
    (project / "main.py").write_text("print('hi')\n")
    _refused(project, r"did not write \(main.py\)")
    a_file = tmp_path / "file"
    a_file.write_text("x\n")
    _refused(a_file, "is not a folder")


@pytest.mark.parametrize("entry, match", [
    ("../outside", "is not a path inside"),
    ("/etc", "is not a path inside"),
    (".git", "is not a path inside"),
    ("README.md", "is published"),
    ("README.md/notes.txt", "is published"),
    ("exercises", "is published"),
    (MARKER, "is published"),
])
def test_a_wrong_keep_list_is_refused(entry, match, tmp_path):
    """Keep-list entries outside DIR, or naming what publish writes, are errors"""
    to = tmp_path / "students"
    publish(to=to, say=quiet)
    (to / KEEP).write_text(f"LICENSE\n{entry}\n")
    _refused(to, match)


def test_links_are_replaced_never_written_through(tmp_path):
    """A published file or folder that is a link in DIR: the link goes, its target stays"""
    to = tmp_path / "students"
    publish(to=to, say=quiet)
    chapter = f"course/{sorted((ROOT / 'course').glob('*.md'))[0].name}"   # published
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "README.md").write_text("not yours\n")
    (outside / Path(chapter).name).write_text("not yours either\n")
    (to / "README.md").unlink()
    (to / "README.md").symlink_to(outside / "README.md")
    shutil.rmtree(to / "course")
    (to / "course").symlink_to(outside, target_is_directory=True)
    summary = publish(to=to, say=quiet)
    assert (outside / "README.md").read_text() == "not yours\n"
    assert (outside / Path(chapter).name).read_text() == "not yours either\n"
    assert not (to / "README.md").is_symlink() and not (to / "course").is_symlink()
    assert (to / chapter).read_bytes() == (ROOT / chapter).read_bytes()
    assert "course" in summary.removed and "README.md" in summary.written


def test_caches_and_checkpoints_are_not_published(source, tmp_path):
    """__pycache__, .ipynb_checkpoints, TensorBoard runs in course/ stay behind"""
    a = published_assignments()[0]
    (source / "exercises" / a / ".ipynb_checkpoints").mkdir()
    (source / "exercises" / a / ".ipynb_checkpoints" / f"{a}-checkpoint.ipynb"
     ).write_text("{}\n")
    (source / "grader" / "checks" / "__pycache__").mkdir(exist_ok=True)
    (source / "grader" / "checks" / "__pycache__" / "wire.cpython-311.pyc").write_bytes(b"\0")
    (source / "course" / "runs").mkdir()
    (source / "course" / "runs" / "events.out.tfevents.1").write_bytes(b"\0")
    to = tmp_path / "students"
    publish(to=to, source=source, say=quiet)
    names = set(snapshot(to))
    assert not any("checkpoint" in n or "__pycache__" in n or "runs/" in n for n in names), names


def test_a_notebook_with_a_solution_is_refused(source, tmp_path):
    """An exercise notebook that still holds a solution region is never published"""
    a = published_assignments()[-1]
    path = source / "exercises" / a / f"{a}.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"][-1]["source"] = "### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION\n"
    path.write_text(json.dumps(nb))
    to = tmp_path / "students"
    with pytest.raises(PublishError, match=re.escape(f"exercises/{a}/{a}.ipynb contains "
                                                     "'### BEGIN SOLUTION'")):
        publish(to=to, source=source, say=quiet)
    assert not to.exists()


def test_the_command_line(tmp_path, capsys):
    """`grader publish --to DIR` reports what it wrote; a refusal exits 2 with the reason"""
    to = tmp_path / "students"
    assert cli.main(["publish", "--to", str(to)]) == 0
    out = capsys.readouterr().out.splitlines()
    for a in published_assignments():
        assert f"wrote exercises/{a}/{a}.ipynb" in out, a
    assert out[-1].startswith(f"published {len(snapshot(to))} files to {to}: ")
    assert cli.main(["publish", "--to", str(ROOT)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("grader publish: ") and "instructors' repository" in err
