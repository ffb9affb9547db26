"""CPU of grading one notebook, split between the sandbox and the grader

    .venv/bin/python bench/sandbox_cpu.py [--n 20] [--notebook PATH]

Starts one sandbox, grades the same notebook (default: a correct pooling
submission) once to warm up and then N times, and prints per submission the
wall time and the CPU seconds spent in the sandbox's processes (zygote, S
and the C processes S has reaped: user and system, from /proc) and in this
process (encoding the calls, decoding and judging the outcomes). One worker,
no gradebook: where the grading itself goes, without the recording.
"""
import argparse
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=20)
    p.add_argument("--notebook", default=None,
                   help="default: a correct notebook of the assignment with the sample class")
    args = p.parse_args(argv)

    import nbformat

    from grader.course import EXERCISES
    from grader.grade import grade_notebook
    from grader.sample import correct_cells, default_assignment
    from grader.sandbox.launcher import Sandbox
    from grader.sandbox.procs import tree_cpu
    assignment = default_assignment()
    if args.notebook:
        nb = nbformat.read(args.notebook, as_version=4)
    else:
        nb = nbformat.read(EXERCISES / assignment / f"{assignment}.ipynb", as_version=4)
        correct = correct_cells(assignment)
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid in correct:
                cell.source = correct[gid]
    with Sandbox() as sandbox:
        first = grade_notebook(nb, assignment, sandbox)  # warm: plan, sandbox start
        got = first.score
        self0 = resource.getrusage(resource.RUSAGE_SELF)
        tree0 = tree_cpu(sandbox.proc.pid)
        t0 = time.monotonic()
        for _ in range(args.n):
            grade_notebook(nb, assignment, sandbox)
        wall = time.monotonic() - t0
        self1 = resource.getrusage(resource.RUSAGE_SELF)
        tree1 = tree_cpu(sandbox.proc.pid)

    n = args.n
    print(f"points per run       {got}")
    print(f"wall                 {wall / n:.3f} s per submission")
    print(f"grader process       {(self1.ru_utime - self0.ru_utime) / n:.3f} user "
          f"{(self1.ru_stime - self0.ru_stime) / n:.3f} sys  (CPU s per submission)")
    print(f"sandbox tree         {(tree1[0] - tree0[0]) / n:.3f} user "
          f"{(tree1[1] - tree0[1]) / n:.3f} sys  (CPU s per submission)")


if __name__ == "__main__":
    main()
