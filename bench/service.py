"""The grading service's latency and throughput, beside plain nbgrader

    .venv/bin/python bench/service.py [--singles 20] [--burst 100] [--workers N]

In one run, on one machine:

1. `grader serve` on a course with the pooling assignment released into
   an nbgrader exchange (started, then warm);
2. singles: one submission at a time (nbgrader's Submit, as it writes the
   exchange), each timed from the moment its folder is complete to the
   moment its feedback page is released where Fetch Feedback finds it:
   p50, p95, max;
3. a burst of N submissions written within 10 s: the time until the last
   feedback is released, and the throughput, beside `grader autograde`
   grading the same N notebooks (and `grader feedback` writing their pages);
4. where the time goes, per submission (the service's own timings);
5. plain nbgrader for one submission: `nbgrader collect` + `nbgrader
   autograde` + `nbgrader generate_feedback` (the commands an instructor
   would run by hand), timed as one.

The machine may be shared: quote ratios from one run, not absolute times.
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from grader.course import COURSE_ID, default_db_url  # noqa: E402
from tests.service.exchange_sim import release_assignment, submit, wait_for  # noqa: E402
from grader.sample import default_assignment  # noqa: E402

# the assignment with the sample class (bench/grading.py builds its class)
ASSIGNMENT = default_assignment()

BIN = Path(sys.executable).parent
ENV = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           PYTHONUNBUFFERED="1")


def notebooks(n):
    """n correct, pairwise different pooling submissions (bench/grading.py's)"""
    from bench.grading import build_class
    tmp = Path(tempfile.mkdtemp())
    names = build_class(tmp, n)
    return [(tmp / "submitted" / s / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes()
            for s in names]


def page(root, secret):
    from grader.service import exchange
    return exchange.feedback_path(root, COURSE_ID, secret, ASSIGNMENT)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run(args):
    work = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="bench-service-"))
    course = work / "course"
    if course.exists():
        shutil.rmtree(course)
    course.mkdir(parents=True)
    workers = args.workers or os.cpu_count() or 1
    (course / "grader.toml").write_text(
        f'[service]\nidentity = "name"\nworkers = {workers}\npoll_seconds = 0.05\n'
        f'[assignments.{ASSIGNMENT}]\nattempts = 0\nfeedback = "public"\n')
    root = release_assignment(course, ASSIGNMENT)
    data = notebooks(max(args.burst, args.singles, 1))
    log = open(work / "service.log", "w")
    t0 = time.monotonic()
    service = subprocess.Popen([sys.executable, "-m", "grader", "serve", "--course", str(course)],
                               cwd=REPO, env=ENV, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    report = {"workers": workers}
    try:
        # warm: the first submission after the start (workers and pages warm up)
        _, secret = submit(root, COURSE_ID, "warmup", ASSIGNMENT, {f"{ASSIGNMENT}.ipynb": data[0]})
        wait_for(page(root, secret), 300)
        report["service start to first feedback (s)"] = round(time.monotonic() - t0, 2)
        singles = []
        for i in range(args.singles):
            _, secret = submit(root, COURSE_ID, f"single{i:03d}", ASSIGNMENT,
                               {f"{ASSIGNMENT}.ipynb": data[i]})
            singles.append(wait_for(page(root, secret), 120, step=0.01))
        report["single: submit to feedback (s)"] = {
            "n": len(singles), "p50": round(statistics.median(singles), 2),
            "p95": round(pct(singles, 95), 2), "max": round(max(singles), 2)}
        secrets_, t_burst = [], time.monotonic()
        for i in range(args.burst):
            _, secret = submit(root, COURSE_ID, f"burst{i:03d}", ASSIGNMENT,
                               {f"{ASSIGNMENT}.ipynb": data[i]})
            secrets_.append(secret)
            time.sleep(max(0.0, (i + 1) * 9.0 / args.burst - (time.monotonic() - t_burst)))
        written = time.monotonic() - t_burst
        for secret in secrets_:
            wait_for(page(root, secret), 1800, step=0.05)
        drained = time.monotonic() - t_burst
        report["burst"] = {"n": args.burst, "written in (s)": round(written, 1),
                           "all feedback released after (s)": round(drained, 1),
                           "throughput (submissions/s)": round(args.burst / drained, 2)}
    finally:
        os.killpg(service.pid, signal.SIGTERM)
        service.wait(60)
    states = [json.loads(p.read_text()) for p in (course / "attempts").glob("burst*/*/*/state.json")]
    parts = {}
    for st in states:
        for k, v in (st.get("seconds") or {}).items():
            if v is not None:
                parts.setdefault(k, []).append(v)
    report["burst: where the time went, per submission (median s)"] = {
        k: round(statistics.median(v), 3) for k, v in parts.items()}
    report["burst: gradings per submission"] = sorted({st.get("gradings") for st in states})
    # grader autograde (+ feedback) on the same notebooks, side by side
    batch = work / "batch"
    if batch.exists():
        shutil.rmtree(batch)
    for i in range(args.burst):
        folder = batch / "submitted" / f"burst{i:03d}" / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / f"{ASSIGNMENT}.ipynb").write_bytes(data[i])
    t = time.monotonic()
    subprocess.run([sys.executable, "-m", "grader", "autograde", ASSIGNMENT, "--course",
                    str(batch), "--quiet", "--workers", str(workers)], cwd=REPO, env=ENV,
                   check=True, capture_output=True)
    graded = time.monotonic() - t
    subprocess.run([sys.executable, "-m", "grader", "feedback", ASSIGNMENT, "--course",
                    str(batch)], cwd=REPO, env=ENV, check=True, capture_output=True)
    fed = time.monotonic() - t
    report["grader autograde, same notebooks"] = {
        "autograde (s)": round(graded, 1), "autograde + feedback (s)": round(fed, 1),
        "throughput with feedback (submissions/s)": round(args.burst / fed, 2)}
    report["plain nbgrader, one submission (s)"] = plain_nbgrader(work, data[0])
    print(json.dumps(report, indent=1))
    (work / "service-bench.json").write_text(json.dumps(report, indent=1))
    return report


def plain_nbgrader(work, notebook):
    """collect + autograde + generate_feedback for one submission, by hand,
    in a plain nbgrader course (bench/grading.py's configuration)"""
    from bench.grading import NBGRADER_CONFIG
    course = work / "plain"
    if course.exists():
        shutil.rmtree(course)
    course.mkdir()
    (course / "nbgrader_config.py").write_text(NBGRADER_CONFIG.format(
        root=str(course.resolve()), source=str(REPO / "solutions")))
    root = course / "exchange"
    root.mkdir()
    common = [f"--course={COURSE_ID}", f"--Exchange.root={root}"]
    nbgrader = lambda *cmd: subprocess.run([str(BIN / "nbgrader"), *cmd], cwd=course, env=ENV,
                                           check=True, capture_output=True)
    nbgrader("generate_assignment", ASSIGNMENT, "--force")
    nbgrader("release_assignment", ASSIGNMENT, "--force", *common)
    submit(root, COURSE_ID, "ada", ASSIGNMENT, {f"{ASSIGNMENT}.ipynb": notebook})
    t = time.monotonic()
    nbgrader("collect", ASSIGNMENT, *common)
    nbgrader("autograde", ASSIGNMENT, "--force")
    nbgrader("generate_feedback", ASSIGNMENT, "--force")
    return round(time.monotonic() - t, 1)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--singles", type=int, default=20)
    p.add_argument("--burst", type=int, default=100)
    p.add_argument("--workers", type=int, default=None, help="default: all cores")
    p.add_argument("--dir", default=None, help="work here and keep it (default: a temp dir)")
    run(p.parse_args(argv))


if __name__ == "__main__":
    main()
