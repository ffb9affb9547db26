"""The same grades, messages, pages and report before and after a change

    .venv/bin/python bench/before_after.py digest OUT [--repo DIR] [--python PY] [--fuzzed 150]
    .venv/bin/python bench/before_after.py speed --repos DIR_A DIR_B [--pythons PY_A PY_B]
                                                 [--n 24] [--rounds 2]
    diff -r OUT_A OUT_B

digest: with the grader of the repository DIR (its .venv, its code; default
this one), grades three things and writes what an instructor and the
students see, normalised (no dates, paths or times), as files under OUT:

- the sample class (grader.sample) and a class of FUZZED seeded odd
  submissions plus four sample students (tests/pipeline/fuzz.py), each
  through `grader autograde`, `feedback`, `report`, `export` and `table`:
  the run's summary, every grade in the gradebook, every autograded
  notebook, every feedback page, the report, the CSVs;
- the checks corpora (tests/checks/corpus_*.py), judged in-process as
  tests/checks/_corpus.py does: every verdict's points and message.

Two digests made from two checkouts (say main and a branch) should be
identical: `diff -r` shows any difference.

speed: builds one class of N correct submissions (bench/grading.py's) and
times `grader autograde` of each repository on its own copy, in turns,
ROUNDS times; prints the wall seconds and the ratio B / A of the medians.
The machine may be shared: quote the ratio from one run.

Each repository runs with DIR/.venv/bin/python unless --python (--pythons)
names another interpreter: a plain checkout of an older commit (git
archive) runs with another checkout's venv that way. It must be a real
venv's interpreter, not a symlink into one, as the sandbox runs that very
path.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]


PYTHONS = {}   # repository -> the interpreter it runs with, where not its own .venv's


def _python(repo):
    return PYTHONS.get(Path(repo).resolve(), str(Path(repo) / ".venv" / "bin" / "python"))


def _env(repo):
    bin_ = os.path.dirname(_python(repo))
    return dict(os.environ, PATH=f"{bin_}{os.pathsep}{os.environ.get('PATH', '')}",
                PYTHONPATH=str(repo), PYTHONDONTWRITEBYTECODE="1")


def _py(repo, code, *args):
    """Run `code` with the repository's Python, in it; its stdout"""
    out = subprocess.run([_python(repo), "-c", code, *map(str, args)], cwd=repo,
                         env=_env(repo), capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"{code[:60]}...: {out.stderr[-3000:]}")
    return out.stdout


def _grader(repo, *args):
    out = subprocess.run([_python(repo), "-m", "grader", *map(str, args)], cwd=repo,
                         env=_env(repo), capture_output=True, text=True, timeout=3600)
    if out.returncode not in (0, 3):
        raise RuntimeError(f"grader {' '.join(map(str, args))}: {out.returncode}\n"
                           f"{out.stdout[-2000:]}\n{out.stderr[-3000:]}")
    return out.stdout


BUILD_SAMPLE = """
import sys
from grader.sample import build
build(sys.argv[1], "pooling")
"""

BUILD_FUZZED = """
import shutil, sys
from pathlib import Path
from grader.sample import build
from tests.pipeline.fuzz import submissions
course, n = Path(sys.argv[1]), int(sys.argv[2])
sample = course.parent / (course.name + "-sample")
build(sample, "pooling")
for name in ("ada", "alan", "claude", "niklaus"):
    shutil.copytree(sample / "submitted" / name, course / "submitted" / name)
for name, data, _ in submissions(20261201, n):
    folder = course / "submitted" / name / "pooling"
    folder.mkdir(parents=True)
    (folder / "pooling.ipynb").write_bytes(data)
"""

GRADES = """
import json, sys
from nbgrader.api import Gradebook
out = {}
with Gradebook(sys.argv[1]) as gb:
    for sub in gb.find_assignment("pooling").submissions:
        for nb in sub.notebooks:
            for g in nb.grades:
                out.setdefault(sub.student_id, {})[g.name] = [g.auto_score, g.manual_score,
                                                              g.max_score]
        out.setdefault(sub.student_id, {})["(late penalty)"] = sub.late_submission_penalty
print(json.dumps(out, sort_keys=True, indent=1))
"""

CORPORA = """
import json, sys, warnings
import torch
torch.set_num_threads(1)
warnings.filterwarnings("ignore")
from tests.checks import corpus_channels, corpus_layers, corpus_pooling
from tests.checks.corpus_stubs import STUBS
from tests.checks._corpus import grade
out = {}
impls = [i for c in (corpus_channels, corpus_pooling, corpus_layers) for i in c.CORRECT + c.WRONG]
for impl in impls + list(STUBS):
    torch.manual_seed(0)   # the random stubs
    out[impl.id] = {a: [v.passed, v.points, v.max_points, v.message, v.checked]
                    for a, v in sorted(grade(impl).items())}
print(json.dumps(out, sort_keys=True, indent=1))
"""


def _normal(text, course):
    text = text.replace(str(course), "COURSE")
    text = re.sub(r'("id": "|cell-id=)[0-9a-f]{8}\b', r"\1ID", text)  # new cells' random ids
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d(\.\d+)?)?", "DATE", text)


def _report(text, course):
    """The report without what changes from run to run: the date, the
    grading times and their figure"""
    text = _normal(text, course)
    start = text.find("<h3>Grading time</h3>")
    if start >= 0:
        end = text.find("</section>", start)
        text = text[:start] + "<h3>Grading time</h3>(times)" + text[end:]
    return text


def _summary(text):
    return re.sub(r"in \d+\.\d s", "in N s", text)


def _notebook(path, course):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return _normal(json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False), course)


def digest_class(repo, course, out):
    out.mkdir(parents=True, exist_ok=True)
    summary = _grader(repo, "autograde", "pooling", "--course", course)
    (out / "autograde.txt").write_text(_summary(_normal(summary, course)))
    _grader(repo, "feedback", "pooling", "--course", course)
    _grader(repo, "report", "--course", course, "--to", course / "report.html")
    _grader(repo, "export", "--course", course, "--to", course / "grades.csv",
            "--canvas", course / "canvas.csv")
    (out / "table.txt").write_text(_grader(repo, "table", "pooling", "--course", course))
    (out / "grades.json").write_text(_py(repo, GRADES, f"sqlite:///{course}/gradebook.db"))
    (out / "report.html").write_text(_report((course / "report.html").read_text(), course))
    for name in ("grades.csv", "canvas.csv"):
        shutil.copyfile(course / name, out / name)
    for kind in ("autograded", "feedback"):
        for path in sorted((course / kind).glob("*/pooling/*")):
            if path.suffix not in (".ipynb", ".html"):
                continue
            dest = out / kind / f"{path.parent.parent.name}{path.suffix}"
            dest.parent.mkdir(parents=True, exist_ok=True)
            text = _notebook(path, course) if path.suffix == ".ipynb" else \
                _normal(path.read_text(encoding="utf-8"), course)
            dest.write_text(text, encoding="utf-8")


def digest(args):
    repo = Path(args.repo).resolve()
    out = Path(args.out).resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    tmp = Path(tempfile.mkdtemp(prefix="before-after-"))
    times = {}
    try:
        t = time.monotonic()
        (out / "corpora.json").write_text(_py(repo, CORPORA))
        times["corpora"] = time.monotonic() - t
        for name, build, extra in (("sample", BUILD_SAMPLE, ()),
                                   ("fuzzed", BUILD_FUZZED, (args.fuzzed,))):
            t = time.monotonic()
            course = tmp / name
            course.mkdir()
            _py(repo, build, course, *extra)
            digest_class(repo, course, out / name)
            times[name] = time.monotonic() - t
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{repo}: digest in {out} ("
          + ", ".join(f"{k} {v:.0f} s" for k, v in times.items()) + ")")


def speed(args):
    repos = [Path(r).resolve() for r in args.repos]
    tmp = Path(tempfile.mkdtemp(prefix="before-after-speed-"))
    try:
        base = tmp / "class"
        _py(HERE, "import sys; from bench.grading import build_class; "
                  "build_class(sys.argv[1], int(sys.argv[2]))", base, args.n)
        seconds = {r: [] for r in repos}
        for round_ in range(args.rounds):
            for repo in repos if round_ % 2 == 0 else repos[::-1]:
                course = tmp / f"run-{round_}-{repos.index(repo)}"
                shutil.copytree(base, course)
                extra = ["--workers", str(args.workers)] if args.workers else []
                start = time.monotonic()
                _grader(repo, "autograde", "pooling", "--course", course, "--quiet", *extra)
                seconds[repo].append(time.monotonic() - start)
                print(f"round {round_ + 1}: {repo}: {seconds[repo][-1]:.1f} s", flush=True)
        a, b = (statistics.median(seconds[r]) for r in repos)
        print(f"\n{args.n} submissions, `grader autograde` wall seconds (median of "
              f"{args.rounds}):")
        for repo in repos:
            print(f"  {repo}: {statistics.median(seconds[repo]):.1f} s "
                  f"({', '.join(f'{s:.1f}' for s in seconds[repo])})")
        print(f"  ratio {repos[1].name} / {repos[0].name}: {b / a:.3f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv=None):
    top = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = top.add_subparsers(dest="command", required=True)
    p = sub.add_parser("digest")
    p.add_argument("out")
    p.add_argument("--repo", default=str(HERE))
    p.add_argument("--python", default=None)
    p.add_argument("--fuzzed", type=int, default=150)
    p = sub.add_parser("speed")
    p.add_argument("--repos", nargs=2, required=True)
    p.add_argument("--pythons", nargs=2, default=None)
    p.add_argument("--n", type=int, default=24)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--workers", type=int, default=None)
    args = top.parse_args(argv)
    if args.command == "digest" and args.python:
        PYTHONS[Path(args.repo).resolve()] = args.python
    if args.command == "speed" and args.pythons:
        PYTHONS.update({Path(r).resolve(): py for r, py in zip(args.repos, args.pythons)})
    digest(args) if args.command == "digest" else speed(args)


if __name__ == "__main__":
    main()
