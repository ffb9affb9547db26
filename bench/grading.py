"""Grading speed: our grader against plain `nbgrader autograde`, and at scale

    .venv/bin/python bench/grading.py compare [--n 24] [--workers N]
    .venv/bin/python bench/grading.py scale [--n 1000] [--workers N]

compare: builds a class of N correct, pairwise different pooling submissions
(grader.sample's correct cells; each notebook carries its student's name, so
no two are byte-identical), then grades the same notebooks side by side in
one run: `python -m grader autograde` in one course directory and plain
`nbgrader autograde` in another (its nbgrader_config.py points the source at
this repository's solutions/, whose marker cells become grade cells at
generate_assignment; nbgrader runs those test cells in a kernel: the
published examples only, since hidden cases never enter a notebook). Before timing, both gradebooks get the assignment (nbgrader
generate_assignment); the timed part is one autograde command each, process
start-up included. It prints wall and CPU seconds (CPU of the whole process
tree: kernels, workers and sandboxes), the ratios, and compares the totals
of every student in the two gradebooks.

scale: grades N (default 1,000) such submissions and prints submissions per
second, where the time went, and the peak memory of the whole process tree
(sum of RSS, and of PSS, which counts pages shared between forked processes
once), sampled from /proc every 0.25 s.

The machine may be shared: quote ratios from one run, not absolute times.
"""
import argparse
import ctypes
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from grader.sandbox.procs import descendants, proc_table  # noqa: E402
from grader.sample import default_assignment  # noqa: E402

# the assignment with the sample class (what `make demo` grades)
ASSIGNMENT = default_assignment()
BIN = Path(sys.executable).parent
ENV = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           PYTHONUNBUFFERED="1")
ENV.pop("GRADER_DB_URL", None)


# --- building the class ----------------------------------------------------------

def build_class(course_dir, n, assignment=ASSIGNMENT):
    """N correct submissions under course_dir/submitted; return the names"""
    import nbformat

    from grader.course import EXERCISES
    from grader.sample import correct_cells
    nb = nbformat.read(EXERCISES / assignment / f"{assignment}.ipynb", as_version=4)
    correct = correct_cells(assignment)
    tagged = False
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in correct:
            cell.source = correct[gid].strip("\n")
            if not tagged:
                cell.source = "# STUDENT_TAG\n" + cell.source
                tagged = True
    text = nbformat.writes(nb)
    names = []
    for i in range(n):
        name = f"s{i:04d}"
        folder = Path(course_dir) / "submitted" / name / assignment
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{assignment}.ipynb").write_text(
            text.replace("STUDENT_TAG", f"submitted by {name}"), encoding="utf-8")
        (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC")
        names.append(name)
    return names


NBGRADER_CONFIG = """\
c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "d2l-pooling"
c.CourseDirectory.source_directory = {source!r}
c.CourseDirectory.release_directory = "release"
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.ClearHiddenTests.enforce_metadata = True
# the source notebook's marker cells become nbgrader's grade cells (not timed)
c.GenerateAssignment.preprocessors = {preprocessors!r}
"""


def nbgrader_course(course_dir, submitted_from):
    """A plain nbgrader course over the same submissions, assignment in the db"""
    course_dir = Path(course_dir)
    course_dir.mkdir(parents=True, exist_ok=True)
    from grader.course import GENERATE_ASSIGNMENT
    (course_dir / "nbgrader_config.py").write_text(NBGRADER_CONFIG.format(
        root=str(course_dir.resolve()), source=str(REPO / "solutions"),
        preprocessors=list(GENERATE_ASSIGNMENT)))
    shutil.copytree(Path(submitted_from) / "submitted", course_dir / "submitted")
    r = subprocess.run([str(BIN / "nbgrader"), "generate_assignment", ASSIGNMENT, "--force"],
                       cwd=course_dir, env=ENV, capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(f"nbgrader generate_assignment failed:\n{r.stdout}\n{r.stderr}")


def our_course_ready(course_dir):
    from grader.gradebook import ensure_assignment
    from grader.course import default_db_url
    ensure_assignment(Path(course_dir).resolve(), ASSIGNMENT, default_db_url(course_dir))


# --- measuring a command -----------------------------------------------------------

PR_SET_CHILD_SUBREAPER = 36


def _subreaper():
    """Orphans of the measured command (a forkserver outliving its parent)
    come back to us, so that their CPU time is counted when we reap them"""
    try:
        ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _reap_all():
    while True:
        try:
            pid, _ = os.waitpid(-1, 0)
        except ChildProcessError:
            return
        if pid <= 0:
            return


class TreeSampler(threading.Thread):
    """Peak memory of a process and all its descendants, from /proc"""

    def __init__(self, root, every=0.25):
        super().__init__(daemon=True)
        self.root, self.every = root, every
        self.peak_rss = self.peak_pss = self.peak_procs = 0
        self.stop = threading.Event()
        self.page = os.sysconf("SC_PAGE_SIZE")

    def run(self):
        while not self.stop.is_set():
            self.sample()
            self.stop.wait(self.every)

    def sample(self):
        rss = pss = procs = 0
        for pid in [self.root, *descendants(proc_table(), self.root)]:
            try:
                with open(f"/proc/{pid}/statm") as f:
                    rss += int(f.read().split()[1]) * self.page
                procs += 1
                with open(f"/proc/{pid}/smaps_rollup") as f:
                    for line in f:
                        if line.startswith("Pss:"):
                            pss += int(line.split()[1]) * 1024
                            break
            except (OSError, ValueError, IndexError):
                pass
        self.peak_rss = max(self.peak_rss, rss)
        self.peak_pss = max(self.peak_pss, pss)
        self.peak_procs = max(self.peak_procs, procs)


def measure(cmd, cwd=None, log=None, sample=False):
    """Run cmd; return (wall seconds, CPU seconds of its whole tree, stdout,
    sampler or None)"""
    _subreaper()
    _reap_all()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    out = open(log, "w") if log else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=out, text=True)
    sampler = TreeSampler(proc.pid) if sample else None
    if sampler:
        sampler.start()
    stdout = proc.stdout.read()
    proc.wait()
    wall = time.monotonic() - start
    if sampler:
        sampler.stop.set()
        sampler.join()
    _reap_all()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if log:
        out.close()
    if proc.returncode:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{stdout}"
                         + (f"\nsee {log}" if log else ""))
    return wall, cpu, stdout, sampler


def our_command(course_dir, workers):
    cmd = [sys.executable, "-m", "grader", "autograde", ASSIGNMENT, "--course", str(course_dir),
           "--timings"]
    if workers:
        cmd += ["--workers", str(workers)]
    return cmd


def _timings(stdout):
    start = stdout.find("\n{")
    try:
        return json.loads(stdout[start + 1:]) if start >= 0 else {}
    except ValueError:
        return {}


def totals(course_dir):
    """{student: (score, max, {grade_id: score})} from the course's gradebook"""
    from nbgrader.api import Gradebook
    out = {}
    with Gradebook(f"sqlite:///{Path(course_dir).resolve()}/gradebook.db") as gb:
        for sub in gb.find_assignment(ASSIGNMENT).submissions:
            cells = {g.name: g.score for nb in sub.notebooks for g in nb.grades}
            out[sub.student_id] = (sub.score, sub.max_score, cells)
    return out


def _mb(n):
    return f"{n / (1 << 20):,.0f} MB"


# --- the two modes -------------------------------------------------------------------

def compare(args):
    root = Path(args.dir or tempfile.mkdtemp(prefix="bench-grading-"))
    ours, plain = root / "ours", root / "nbgrader"
    for d in (ours, plain):
        if d.exists():
            shutil.rmtree(d)
    ours.mkdir(parents=True)
    names = build_class(ours, args.n)
    print(f"class: {len(names)} correct {ASSIGNMENT} submissions in {root}")
    print("setup (not timed): the assignment into both gradebooks ...", flush=True)
    our_course_ready(ours)
    nbgrader_course(plain, ours)
    print(f"timing our grader (workers: {args.workers or os.cpu_count()}) ...", flush=True)
    o_wall, o_cpu, o_out, _ = measure(our_command(ours, args.workers), log=root / "ours.log")
    print(f"timing plain nbgrader autograde (sequential, test cells in a kernel) ...",
          flush=True)
    n_wall, n_cpu, _, _ = measure([str(BIN / "nbgrader"), "autograde", ASSIGNMENT],
                                  cwd=plain, log=root / "nbgrader.log")
    a, b = totals(ours), totals(plain)
    same = [s for s in names if s in a and s in b and _checked(a[s][2]) == _checked(b[s][2])]
    print()
    print(f"submissions               {args.n}")
    print(f"our grader                {o_wall:7.1f} s wall  {o_cpu:7.1f} s CPU "
          f"({o_wall / args.n:.2f} s wall per submission)")
    print(f"plain nbgrader autograde  {n_wall:7.1f} s wall  {n_cpu:7.1f} s CPU "
          f"({n_wall / args.n:.2f} s wall per submission)")
    print(f"speed-up                  {n_wall / o_wall:7.1f}x wall  {n_cpu / o_cpu:6.1f}x CPU")
    print(f"same total for           {len(same)}/{len(names)} students, `devices` cells aside "
          f"(ours {_score_set(a)}, nbgrader {_score_set(b)})")
    for s in names:
        if s not in same:
            diff = {g: (a.get(s, (0, 0, {}))[2].get(g), b.get(s, (0, 0, {}))[2].get(g))
                    for g in set(a.get(s, (0, 0, {}))[2]) | set(b.get(s, (0, 0, {}))[2])}
            diff = {g: v for g, v in diff.items() if v[0] != v[1]}
            print(f"  {s}: ours {a.get(s, ('-',))[0]}, nbgrader {b.get(s, ('-',))[0]}: {diff}")
    t = _timings(o_out)
    if t:
        print(f"ours, where the time went: {json.dumps(t)}")
    if not args.dir:
        shutil.rmtree(root, ignore_errors=True)
    return 0 if len(same) == len(names) else 1


def _checked(cells):
    """A student's total over the cells both graders check: on a CPU-only
    course ours gives each `<function>-devices` cell 0 of 0 (no second device
    checks it), where plain nbgrader runs its visible check on the CPU"""
    return sum(v or 0 for g, v in cells.items() if not g.endswith("-devices"))


def _score_set(t):
    scores = sorted({f"{v[0]:g}/{v[1]:g}" for v in t.values()})
    return ", ".join(scores)


def scale(args):
    root = Path(args.dir or tempfile.mkdtemp(prefix="bench-scale-"))
    course = root / "course"
    if course.exists():
        shutil.rmtree(course)
    course.mkdir(parents=True)
    t = time.monotonic()
    build_class(course, args.n)
    print(f"class: {args.n} correct {ASSIGNMENT} submissions in {course} "
          f"(built in {time.monotonic() - t:.0f} s)")
    our_course_ready(course)
    print(f"grading with {args.workers or os.cpu_count()} workers ...", flush=True)
    wall, cpu, out, sampler = measure(our_command(course, args.workers), log=root / "scale.log",
                                      sample=True)
    graded = totals(course)
    full = sum(1 for v in graded.values() if v[0] == max(x[0] for x in graded.values()))
    t = _timings(out)
    print()
    print(f"submissions          {args.n} ({len(graded)} in the gradebook, "
          f"{full} with the top score {_score_set(graded)})")
    print(f"wall time            {wall:.1f} s ({wall / 60:.1f} min)")
    print(f"throughput           {args.n / wall:.2f} submissions/s")
    print(f"CPU                  {cpu:.0f} s ({cpu / args.n:.2f} s per submission, "
          f"{cpu / wall:.2f} cores busy on average)")
    print(f"peak memory          {_mb(sampler.peak_rss)} sum of RSS, {_mb(sampler.peak_pss)} "
          f"sum of PSS, over at most {sampler.peak_procs} processes")
    if t:
        print(f"where the time went  {json.dumps(t)}")
    if not args.dir:
        shutil.rmtree(root, ignore_errors=True)
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("mode", choices=["compare", "scale"])
    p.add_argument("--n", type=int, default=None,
                   help="submissions (compare: 24, scale: 1000)")
    p.add_argument("--workers", type=int, default=None, help="default: all cores")
    p.add_argument("--dir", default=None, help="work here and keep it (default: a temp dir)")
    args = p.parse_args(argv)
    args.n = args.n or (24 if args.mode == "compare" else 1000)
    return compare(args) if args.mode == "compare" else scale(args)


if __name__ == "__main__":
    sys.exit(main())
