"""Are the hidden checks right, for every function of every assignment?

Each function's own corpus (grader/assignments/<a>/tests/test_<function>.py)
grades its answers in-process exactly as the grader judges a submission
(grading plan + run_call + judge). These tests hold every function to the
same bar, found by discovery: a corpus of enough answers, nothing earned by
doing nothing, thorough hidden cases that follow the seed, and gradients
checked where the numerics bite.
"""
import itertools

import pytest
import torch

from grader import assignments
from grader.assignments.corpus import (OTHER_SEED, answers_of, as_expected, graded, lost,
                                       report)
from grader.checks.aspects import judge
from grader.checks.calls import run_call
from grader.checks.specs import FUNCTIONS
from grader.plan import trials

# nn.Conv2d(kernel_size=0), asked by answers that let the layer judge the settings
pytestmark = pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")

FUNCTION_NAMES = sorted(FUNCTIONS)
ASSIGNMENT_NAMES = assignments.names()


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Grading uses one thread per worker; so do these tests (and they are faster)"""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _corpus(function):
    found = answers_of(function)
    assert found is not None, (
        f"{function} has no corpus: write grader/assignments/"
        f"{assignments.assignment_of(function)}/tests/test_{function}.py (docs/authoring.md)")
    return found


# --- the corpus covers every function ---------------------------------------

@pytest.mark.parametrize("function", FUNCTION_NAMES)
def test_every_function_has_a_corpus(function):
    """Has the function at least 3 correct styles, 3 wrong answers and 4
    effort-free stubs, with unique labels, each wrong one naming aspects its
    function has, all of them answers to this function?"""
    answers = _corpus(function)
    spec = FUNCTIONS[function]
    right = [a for a in answers if not a.fails and not a.stub]
    bad = [a for a in answers if a.fails]
    stubs = [a for a in answers if a.stub]
    assert len(right) >= 3 and len(bad) >= 3 and len(stubs) >= 4, \
        (len(right), len(bad), len(stubs))
    assert all(a.fails <= set(spec.aspects) for a in bad)
    assert {a.function for a in answers} == {function}
    ids = [a.id for a in answers]
    assert len(ids) == len(set(ids))


def test_summary(capsys):
    """wrong implementations caught: N/N; correct alternatives at full marks: M/M"""
    answers = [a for f in FUNCTION_NAMES for a in _corpus(f)]
    wrong = [a for a in answers if a.fails]
    right = [a for a in answers if not a.fails and not a.stub]
    caught = sum(as_expected(a, lost(graded(a))) for a in wrong)
    full = sum(not lost(graded(a)) for a in right)
    line = (f"wrong implementations caught: {caught}/{len(wrong)}; "
            f"correct alternatives at full marks: {full}/{len(right)}")
    with capsys.disabled():
        print("\n" + line)
    assert caught == len(wrong) and full == len(right), line


# --- nothing for nothing: effort-free answers score 0 ---------------------------

NOTHING = {
    "raises everywhere": "def f(*args, **kwargs):\n    raise ValueError('no')\n",
    "returns None": "def f(*args, **kwargs):\n    return None\n",
}


@pytest.mark.parametrize("kind", NOTHING)
@pytest.mark.parametrize("function", FUNCTION_NAMES)
def test_doing_nothing_earns_nothing(function, kind):
    """An answer that always raises (even the demanded ValueError) or returns
    None earns no point: no `unchanged`, `errors` or `structure` for free"""
    namespace = {}
    exec(NOTHING[kind], namespace)  # noqa: S102
    spec = FUNCTIONS[function]
    pairs = trials(spec.assignment)[function]
    triples = [(c, e, run_call(namespace["f"], c)) for c, e in pairs]
    earned = {a: judge(spec, a, triples, NOTHING[kind]).points for a in spec.aspects}
    assert sum(earned.values()) == 0, earned


def _with_errors_aspect():
    """A function whose results are tensors and whose contract demands an error"""
    return next(s for s in FUNCTIONS.values() if "errors" in s.aspects and "grad" in s.aspects)


def test_not_counted_says_why_in_a_students_words():
    """An aspect left without a right value says so, and what to do (for
    a tensor function with an errors aspect: its zeros stub)"""
    spec = _with_errors_aspect()
    stub = next(a for a in _corpus(spec.name) if a.label == "stub: zeros")
    verdicts = graded(stub)
    for aspect in ("shape", "dtype", "devices", "grad", "unchanged"):
        text = verdicts[aspect].message
        assert text.startswith(f"`{spec.name}`: not counted: none of the calls that check "
                               f"this returned the right values"), text
        assert "fix the values first" in text
        assert (verdicts[aspect].passed, verdicts[aspect].points, verdicts[aspect].checked,
                verdicts[aspect].max_points, verdicts[aspect].devices,
                verdicts[aspect].grade_id) == (False, 0, 0, 1, ("cpu",), f"{spec.name}-{aspect}")
    assert verdicts["errors"].message.startswith(f"`{spec.name}`: not counted: `errors` "
                                                 f"counts only")


def test_visible_errors_check_needs_a_right_value_too():
    """In the notebook, as in the grader, `errors` counts only where some
    value is right: the reference passes the visible check, an answer that
    raises ValueError on every call does not"""
    from grader.checks import CheckFailed, check
    spec = _with_errors_aspect()
    check(f"{spec.name}-errors", assignments.reference(spec.name))

    def stub(*args, **kwargs):
        raise ValueError("no")
    with pytest.raises(CheckFailed, match="not counted"):
        check(f"{spec.name}-errors", stub)


def test_visible_check_counts_nothing_for_nothing():
    """A visible check of `shape` fails a stub of the right shape, dtype and
    device, with the rule in the message"""
    from grader.checks import CheckFailed, check
    spec = _with_errors_aspect()
    reference = assignments.reference(spec.name)

    def stub(*args, **kwargs):
        return torch.zeros_like(reference(*args, **kwargs).detach())
    with pytest.raises(CheckFailed) as failed:
        check(f"{spec.name}-shape", stub)
    assert "counts only where the values are right" in str(failed.value)


# --- the cases themselves ------------------------------------------------------

@pytest.mark.parametrize("function", FUNCTION_NAMES)
def test_hidden_cases_are_thorough(function):
    """Every tensor function sees float32 and float64, non-contiguous inputs,
    gradients, non-square inputs, and more hidden cases than public ones"""
    calls = assignments.hidden_calls(function, 1)
    assert len(calls) > len(assignments.public_calls(function)) and len(calls) >= 15
    tensors = [c for c in calls if c.tensor_positions()]
    if not tensors:
        return
    dtypes = {c.args[c.tensor_positions()[0]].dtype for c in tensors}
    assert dtypes == {torch.float32, torch.float64}
    assert any(c.grad for c in tensors)
    assert sum(1 for c in tensors if "grad" in c.aspects) >= 5
    really = [c for c in tensors if c.noncontig and any(
        min(c.args[i].shape[-2:]) >= 2 for i in c.noncontig)]
    assert len(really) >= 2
    matrices = [c for c in tensors if c.args[c.tensor_positions()[0]].dim() >= 2]
    assert any(c.args[c.tensor_positions()[0]].shape[-1] != c.args[c.tensor_positions()[0]]
               .shape[-2] for c in matrices)


def _same(a, b):
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and \
            a.shape == b.shape and a.dtype == b.dtype and bool(torch.equal(a, b))
    return a == b


@pytest.mark.parametrize("function", FUNCTION_NAMES)
def test_hidden_cases_follow_the_seed(function):
    """The same seed gives the same cases; another seed other cases"""
    one, again, other = (assignments.hidden_calls(function, s) for s in (3, 3, 4))
    flat = lambda calls: [a for c in calls for a in (*c.args, *c.kwargs.values())]  # noqa: E731
    same = lambda a, b: all(_same(x, y) for x, y in itertools.zip_longest(a, b))  # noqa: E731
    assert same(flat(one), flat(again))
    assert not same(flat(one), flat(other))


def test_a_functions_cases_do_not_depend_on_the_others():
    """Each function's hidden cases come from a generator of its own (the
    seed and its name): another function's cases drawn first change nothing"""
    first, second = FUNCTION_NAMES[:2]
    alone = assignments.hidden_calls(second, 3)
    assignments.hidden_calls(first, 3)
    after = assignments.hidden_calls(second, 3)
    flat = lambda calls: [a for c in calls for a in c.args]  # noqa: E731
    assert all(_same(x, y) for x, y in itertools.zip_longest(flat(alone), flat(after)))


def _hard(call):
    """Does a call hold huge (|x| >= 20) or tiny (0 < |x| <= 1e-6) inputs?"""
    for i in call.tensor_positions():
        x = call.args[i].double().abs()
        if bool((x >= 20).any()) or bool(((x > 0) & (x <= 1e-6)).any()):
            return True
    return False


@pytest.mark.parametrize("function", FUNCTION_NAMES)
def test_gradients_are_checked_where_the_numerics_bite(function):
    """Has every differentiable function hidden gradient cases with huge or
    tiny inputs in float32 and in float64?"""
    if "grad" not in FUNCTIONS[function].aspects:
        return
    hard = {c.args[c.tensor_positions()[0]].dtype for c in assignments.hidden_calls(function, 1)
            if c.grad and _hard(c)}
    assert hard == {torch.float32, torch.float64}, hard


@pytest.mark.parametrize("seed", [None, OTHER_SEED])
@pytest.mark.parametrize("assignment", ASSIGNMENT_NAMES)
def test_reference_gradients_are_finite_on_every_case(assignment, seed):
    """A nan or inf gradient fails only where the reference's is finite: is
    it finite on every gradient case?"""
    plan = trials(assignment) if seed is None else trials(assignment, seed)
    for name, pairs in plan.items():
        for call, expected in pairs:
            if call.grad:
                assert all(g is None or bool(torch.isfinite(g).all()) for g in expected.grads), \
                    (name, call.args)
