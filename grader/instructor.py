"""`check_all(name, fn)`: every check of a function, hidden cases included,
for instructors (trusted code: it needs the references and the hidden cases)

A source notebook's marker cell runs it on the model solution, in
JupyterLab, before `grader release` makes the cell into the function's grade
cells (grader/checkcells.py):

    from grader.instructor import check_all
    check_all("pool2d", pool2d)

It reads the function's module as it is now, so an edit there shows at once,
before any release.
"""
from grader import assignments
from grader.checks.devices import available, on_devices
from grader.checks.notebook import CheckFailed, run_check
from grader.course import DEFAULT_SEED
from grader.plan import expect


def check_all(name, fn, *, seed=DEFAULT_SEED):
    """Judge fn on every aspect of the function `name`, on its published
    examples and its hidden cases, on every device here; print a line per
    aspect and raise CheckFailed naming the aspects that fail"""
    __tracebackhide__ = True
    spec = assignments.function_spec(name)
    calls = assignments.public_calls(name) + assignments.hidden_calls(name, seed)
    pairs = [(c, expect(c)) for c in on_devices(calls, available())]
    failed = []
    for aspect in spec.aspects:
        verdict = run_check(spec, aspect, fn, pairs)
        mark = "\u2714" if verdict.passed else "\u2718"
        print(f"{mark} {spec.grade_id(aspect)} ({verdict.points:g}/{verdict.max_points:g}): "
              f"{verdict.message}")
        if not verdict.passed:
            failed.append(spec.grade_id(aspect))
    if failed:
        raise CheckFailed(f"{name} fails {', '.join(failed)} (public and hidden cases)")
