"""The sample class graded with CUDA in the sandbox, beside a CPU-only run

    python3 bench/gpu_grading.py [--out DIR] [--n-timed 6]

Builds the sample class of the first assignment that has one
(grader.sample), and two students of the test-only assignment of
tests/fixtures (tests/practice.py) that only a GPU can tell apart:

- `forgets_device`: local_pool allocates its result with `torch.zeros(shape)`,
  without `device=` (d2l's own loop code): right on the CPU, wrong on CUDA.
- `cuda_at_top`: a correct notebook whose top-level cell calls `.cuda()`
  (it initialises CUDA in the student's process before any function runs);
  it must keep full marks.

Each notebook is graded by `grade_notebook` in one warm sandbox that has
CUDA (functions on CPU and CUDA), and again in a CPU-only sandbox (a child
process with CUDA_VISIBLE_DEVICES=""), and it prints, and writes to
DIR/gpu-grading.json: every student's points per function in both runs,
whether the two students above were graded as stated, and the seconds per
submission on each. On a machine without CUDA it says so and grades on the
CPU only (the script's own check).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# the test-only assignment's root, as the tests see it (tests/conftest.py)
import tests.conftest  # noqa: E402,F401  (sets GRADER_EXTRA_ROOTS, once)
PRACTICE = "practice"

FORGETS_DEVICE = '''
def local_pool(X, pool_size, mode='max'):
    if mode not in ('max', 'avg'):
        raise ValueError('mode must be max or avg')
    p_h, p_w = pool_size
    Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1), dtype=X.dtype)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            window = X[i:i + p_h, j:j + p_w]
            Y[i, j] = window.max() if mode == 'max' else window.mean()
    return Y
'''
CUDA_AT_TOP = '''
import torch
_warm = torch.ones(3).cuda() * 2 if torch.cuda.is_available() else None
print("top-level cell ran on", None if _warm is None else _warm.device, flush=True)
'''


def build(course_dir):
    """The sample class plus the two students; {(assignment, student): notebook path}"""
    import nbformat

    from grader.sample import build as build_sample
    from grader.sample import default_assignment
    from tests.practice import correct_notebook, submit
    assignment = default_assignment()
    build_sample(course_dir, assignment)
    paths = {(assignment, p.parent.parent.name): p for p in
             sorted(Path(course_dir).glob(f"submitted/*/{assignment}/{assignment}.ipynb"))}
    for name, change in (("forgets_device", "device"), ("cuda_at_top", "top")):
        nb = correct_notebook()
        if change == "device":
            for cell in nb.cells:
                if cell.metadata.get("nbgrader", {}).get("grade_id") == "local_pool-solution":
                    cell.source = FORGETS_DEVICE.strip("\n")
        else:
            first = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
            nb.cells.insert(first + 1, nbformat.v4.new_code_cell(CUDA_AT_TOP))
        paths[(PRACTICE, name)] = submit(Path(course_dir), name, nb)
    return paths


def grade_all(paths, devices):
    """{student: {function: [points, max, failed aspects]}}, and seconds per
    submission (warm sandbox; the sandbox's start-up is left out)"""
    from grader.grade import grade_notebook
    from grader.notebooks import read_notebook
    from grader.sandbox.launcher import Sandbox
    out, seconds = {}, []
    with Sandbox() as sandbox:
        for (assignment, student), path in sorted(paths.items()):
            try:
                nb = read_notebook(path)
            except ValueError:
                out[student] = "unreadable"
                continue
            start = time.monotonic()
            result = grade_notebook(nb, assignment, sandbox, devices=devices)
            seconds.append(time.monotonic() - start)
            per = {}
            for v in result.verdicts.values():
                got = per.setdefault(v.function, [0, 0, []])
                got[0] += v.points
                got[1] += v.max_points
                if not v.passed:
                    got[2].append(v.aspect)
            out[student] = per
    return out, seconds


def child(course_dir, devices, dest):
    """Grade in this process and write the result to dest (the CPU-only run
    is a child process so that it never sees a CUDA device)"""
    paths = {(p.parent.name, p.parent.parent.name): p
             for p in sorted(Path(course_dir).glob("submitted/*/*/*.ipynb"))}
    grades, seconds = grade_all(paths, tuple(devices.split(",")))
    Path(dest).write_text(json.dumps({"grades": grades, "seconds": seconds}))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=str(REPO / "build" / "gpu"))
    p.add_argument("--child", nargs=3, metavar=("COURSE", "DEVICES", "DEST"))
    args = p.parse_args(argv)
    if args.child:
        return child(*args.child)
    import torch
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cuda = torch.cuda.is_available()
    report = {"cuda": cuda, "torch": torch.__version__,
              "device": torch.cuda.get_device_name(0) if cuda else None}
    with tempfile.TemporaryDirectory() as tmp:
        build(tmp)
        runs = {"cpu-only": ("cpu", {"CUDA_VISIBLE_DEVICES": ""})}
        if cuda:
            runs["with-cuda"] = ("cpu,cuda", {})
        for name, (devices, env) in runs.items():
            dest = Path(tmp) / f"{name}.json"
            subprocess.run([sys.executable, __file__, "--child", tmp, devices, str(dest)],
                           env=dict(os.environ, **env), check=True)
            report[name] = json.loads(dest.read_text())
    checks = {}
    if cuda:
        g = report["with-cuda"]["grades"]
        checks["forgets_device loses local_pool-devices on CUDA"] = \
            "devices" in g["forgets_device"]["local_pool"][2]
        checks["forgets_device keeps everything else"] = \
            g["forgets_device"]["local_pool"][2] == ["devices"] and all(
                not v[2] for fn, v in g["forgets_device"].items() if fn != "local_pool")
        checks["cuda_at_top keeps full marks"] = all(not v[2] for v in g["cuda_at_top"].values())
    for name in ("cpu-only", "with-cuda"):
        if name in report:
            s = report[name]["seconds"]
            report[name]["seconds_per_submission"] = round(sum(s) / len(s), 3) if s else None
    report["checks"] = checks
    (out / "gpu-grading.json").write_text(json.dumps(report, indent=1))
    print(json.dumps({k: v for k, v in report.items() if k not in ("cpu-only", "with-cuda")},
                     indent=1))
    for name in ("cpu-only", "with-cuda"):
        if name in report:
            print(f"{name}: {report[name]['seconds_per_submission']} s per submission "
                  f"({len(report[name]['seconds'])} graded, warm sandbox)")
    if not cuda:
        print("no CUDA device: graded on the CPU only; the CUDA checks need a GPU machine")
        return 0
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
