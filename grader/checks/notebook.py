"""`check(grade_id, fn)`: the visible test a student runs in the notebook"""
import copy
import inspect

from grader.checks import public
from grader.checks.aspects import judge
from grader.checks.calls import run_call
from grader.checks.devices import available, on_devices
from grader.checks.specs import FUNCTIONS, parse_grade_id


class CheckFailed(AssertionError):
    """A visible check found a problem; the message says what to fix"""

    def _render_traceback_(self):  # IPython shows just the message
        return [f"\033[1;31mCheckFailed\033[0m: {self}"]


def check(grade_id, fn):
    """Run the checks of one grade cell on `fn`'s published examples and say
    what happened

    grade_id: '<function>-<aspect>', e.g. 'pool2d-values'
    """
    __tracebackhide__ = True
    try:
        spec, aspect = parse_grade_id(grade_id)
    except KeyError:
        raise ValueError(f"unknown check {grade_id!r}; known functions: "
                         f"{', '.join(FUNCTIONS)}") from None
    verdict = run_check(spec, aspect, fn, public_pairs(spec))
    if not verdict.passed:
        raise CheckFailed(verdict.message)
    print(f"\u2714 {verdict.message} (public cases)")


def run_check(spec, aspect, fn, pairs):
    """The verdict on one aspect of fn from [(call, expected outcome)]"""
    __tracebackhide__ = True
    if not callable(fn):
        raise CheckFailed(f"{spec.name} should be a function, but it is "
                          f"{type(fn).__name__}: define it with `def {spec.signature}:`")
    # the aspect's own calls, and for `errors` the others too: it counts only
    # where some value is right (nothing for nothing, as in the grader)
    pairs = [(c, e) for c, e in pairs if aspect in c.aspects or aspect == "errors"]
    trials = [(c, e, run_call(fn, c)) for c, e in pairs]
    return judge(spec, aspect, trials, _source(fn))


def public_pairs(spec):
    """The published examples of a function, with the `devices` calls copied
    to every device this machine has"""
    pairs = public.examples(spec.assignment)[spec.name]
    out = []
    for call in on_devices([c for c, _ in pairs], available()):
        expected = next(e for c, e in pairs if c.args is call.args)
        if call.device != "cpu":
            expected = copy.copy(expected)
            expected.device = _device_name(call.device)
        out.append((call, expected))
    return out


def _device_name(device):
    return "cuda:0" if device == "cuda" else device


def _source(fn):
    try:
        return inspect.getsource(fn)
    except (OSError, TypeError):
        return None
