"""Are the hidden checks right? Correct answers of every style get full marks,
plausible wrong ones lose the aspects they should, and the feedback says why

Each answer in corpus_<assignment>.py is graded in-process exactly as the
grader judges a submission (grading plan + run_call + judge), without the
sandbox, so the whole corpus takes seconds.
"""
import itertools
import os
import warnings

import pytest
import torch
from torch import nn

from grader import cases
from grader.checks.aspects import judge
from grader.checks.calls import run_call
from grader.checks.specs import ASSIGNMENTS, FUNCTIONS, functions_of
from grader.plan import public_trials, trials

from . import corpus_channels, corpus_layers, corpus_pooling
from .corpus_stubs import STUBS
from ._corpus import as_expected, correct, grade, lost

CORPORA = {"channels": corpus_channels, "pooling": corpus_pooling, "layers": corpus_layers}
CORRECT = [impl for c in CORPORA.values() for impl in c.CORRECT]
WRONG = [impl for c in CORPORA.values() for impl in c.WRONG]
OTHER_SEED = 7

# nn.Conv2d(kernel_size=0), asked by answers that let the layer judge the settings
pytestmark = pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Grading uses one thread per worker; so do these tests (and they are faster)"""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


_GRADED = {}


def graded(impl, seed=None):
    """Each answer is graded once and its verdicts shared by the tests;
    except in mutmut's stats run, which maps each test to the code it runs
    (a shared verdict would hide the rules from every test but the first)"""
    key = (impl, seed)
    if key not in _GRADED or os.environ.get("MUTANT_UNDER_TEST") == "stats":
        _GRADED[key] = grade(impl) if seed is None else grade(impl, seed)
    return _GRADED[key]


def report(verdicts, aspects):
    return "\n".join(f"--- {a}:\n{verdicts[a].message}" for a in sorted(aspects))


# --- the corpus covers every function ---------------------------------------

def test_corpus_covers_every_function():
    """Has each of the 20 functions at least 3 correct styles and 3 wrong answers,
    with unique labels, each wrong one naming aspects its function has?"""
    assert len(FUNCTIONS) == 20
    for name, spec in FUNCTIONS.items():
        right = [i for i in CORRECT if i.function == name]
        bad = [i for i in WRONG if i.function == name]
        assert len(right) >= 3, (name, len(right))
        assert len(bad) >= 3, (name, len(bad))
        assert all(i.fails and i.fails <= set(spec.aspects) for i in bad)
        assert all(not i.fails for i in right)
    ids = [i.id for i in CORRECT + WRONG]
    assert len(ids) == len(set(ids))


def test_corpus_puts_each_answer_with_its_assignment():
    for assignment, corpus in CORPORA.items():
        assert {i.assignment for i in corpus.CORRECT + corpus.WRONG} == {assignment}


# --- correct answers: full marks -------------------------------------------------

@pytest.mark.parametrize("impl", CORRECT, ids=lambda i: i.id)
def test_correct_answer_gets_full_marks(impl):
    """Does a correct answer, in this style, earn every point of its function?"""
    verdicts = graded(impl)
    assert not lost(verdicts), report(verdicts, lost(verdicts))
    assert sum(v.points for v in verdicts.values()) == FUNCTIONS[impl.function].points


@pytest.mark.parametrize("impl", CORRECT, ids=lambda i: i.id)
def test_correct_answer_gets_full_marks_on_another_seed(impl):
    """No false failure on other generated cases either"""
    verdicts = graded(impl, OTHER_SEED)
    assert not lost(verdicts), report(verdicts, lost(verdicts))


# --- wrong answers: they lose what they should --------------------------------

@pytest.mark.parametrize("impl", WRONG, ids=lambda i: i.id)
def test_wrong_answer_loses_the_right_aspects(impl):
    """Does a wrong answer lose exactly the aspects its mistake touches?"""
    verdicts = graded(impl)
    got = lost(verdicts)
    assert as_expected(impl, got), (
        f"lost {sorted(got)}, expected {sorted(impl.fails)} (maybe {sorted(impl.may)})\n"
        + report(verdicts, got ^ impl.fails))
    for aspect in got:
        assert verdicts[aspect].points == 0


@pytest.mark.parametrize("impl", WRONG, ids=lambda i: i.id)
def test_wrong_answer_is_caught_on_another_seed(impl):
    """The mistake is found whatever the seed of the hidden cases"""
    got = lost(graded(impl, OTHER_SEED))
    assert impl.fails <= got, sorted(impl.fails - got)


@pytest.mark.parametrize("impl", WRONG, ids=lambda i: i.id)
def test_feedback_is_a_small_concrete_counterexample(impl):
    """Does every lost aspect say what to fix: the function, one call at most
    (never the hidden cases wholesale), and short enough to read?"""
    verdicts = graded(impl)
    for aspect in lost(verdicts):
        text = verdicts[aspect].message
        assert impl.function in text and len(text) < 4000, text
        assert text.count("for the call") <= 1, text
        if aspect in ("values", "stability") and "for the call" in text \
                and "expected:" not in text:  # no value to compare: an error or a shape
            assert "raised" in text or "shape" in text or "returned" in text, text


def test_summary(capsys):
    """wrong implementations caught: N/N; correct alternatives at full marks: M/M"""
    caught = sum(as_expected(i, lost(graded(i))) for i in WRONG)
    full = sum(not lost(graded(i)) for i in CORRECT)
    line = (f"wrong implementations caught: {caught}/{len(WRONG)}; "
            f"correct alternatives at full marks: {full}/{len(CORRECT)}")
    with capsys.disabled():
        print("\n" + line)
    assert caught == len(WRONG) and full == len(CORRECT), line


# --- nothing for nothing: effort-free answers score 0 ---------------------------

def test_stub_corpus_covers_every_function():
    """At least four effort-free stubs for each of the 20 functions"""
    for name in FUNCTIONS:
        assert sum(1 for i in STUBS if i.function == name) >= 4, name
    assert len({i.id for i in STUBS} | {i.id for i in CORRECT + WRONG}) == \
        len(STUBS) + len(CORRECT) + len(WRONG)


@pytest.mark.parametrize("impl", STUBS, ids=lambda i: i.id)
def test_effort_free_stub_scores_nothing(impl):
    """Does a stub with the right shape, dtype and device that computes
    nothing earn 0 points, whatever the seed of the hidden cases?"""
    for seed in (None, OTHER_SEED):
        verdicts = graded(impl, seed)
        earned = {a: v.points for a, v in verdicts.items() if v.points}
        assert not earned, report(verdicts, earned)


def test_not_counted_says_why_in_a_students_words():
    """An aspect left without a right value says so, and what to do"""
    stub = next(i for i in STUBS if i.function == "pool2d" and "zeros" == i.label[6:])
    verdicts = graded(stub)
    for aspect in ("shape", "dtype", "devices", "grad", "unchanged"):
        text = verdicts[aspect].message
        assert text.startswith("`pool2d`: not counted: none of the calls that check this "
                               "returned the right values"), text
        assert "fix the values first" in text
        assert (verdicts[aspect].passed, verdicts[aspect].points, verdicts[aspect].checked,
                verdicts[aspect].max_points, verdicts[aspect].devices,
                verdicts[aspect].grade_id) == (False, 0, 0, 1, ("cpu",), f"pool2d-{aspect}")
    assert verdicts["errors"].message.startswith("`pool2d`: not counted: `errors` counts only")


# --- particular messages -------------------------------------------------------

def message(function, label, aspect):
    impl = next(i for i in WRONG if i.function == function and i.label == label)
    return graded(impl)[aspect].message


def test_values_message_shows_input_expected_and_got():
    text = message("corr2d", "kernel flipped (a true convolution)", "values")
    assert "corr2d(X, K)" in text and "X = " in text and "K = " in text
    assert "expected:" in text and "got:" in text and "first difference at index" in text


def test_gradient_message_names_the_argument():
    assert "`K`" in message("corr2d", "kernel taken as a detached constant", "grad")
    assert "not connected" in message("pool2d", "numpy loops", "grad")


def test_unchanged_message_names_the_argument():
    assert "it changed `y` in place" in message("sigmoid_grad", "computed in place in y",
                                                "unchanged")


def test_structure_message_names_the_forbidden_op():
    text = message("max_pool_as_conv", "getattr(F, 'max_' + 'pool2d')", "structure")
    assert "max_pool2d" in text and "rules out" in text
    text = message("corr2d_multi_in_out_1x1", "broadcast and sum, no matrix product", "structure")
    assert "never runs a matrix multiplication" in text


def test_non_contiguous_input_is_pointed_out():
    text = message("corr2d_multi_in_out_1x1", ".view fails on non-contiguous input", "values")
    assert "non-contiguous" in text and "view size is not compatible" in text


def test_float_sizes_get_a_hint():
    text = message("conv2d_output_shape", "float sizes", "values")
    assert "it returned (24.0, 24.0), a tuple of floats, expected (24, 24): the numbers are " \
        "right, but the result must be a tuple of two Python ints" in text, text


def test_missing_error_says_what_was_expected():
    text = message("conv2d_output_shape", "raises RuntimeError like the layer", "errors")
    assert "RuntimeError" in text and "expected ValueError" in text


# --- warnings and output never cost points ------------------------------------

NOISY = [
    correct("corr2d", "warns and prints", """
        def corr2d(X, K):
            warnings.warn("corr2d: slow loop ahead", UserWarning)
            warnings.warn("deprecated style", DeprecationWarning)
            print("computing corr2d", X.shape, file=sys.stderr)
            print("debug:", K.shape)
            return F.conv2d(X[None, None], K[None, None])[0, 0]
    """),
    correct("conv2d_output_shape", "warns, then raises what the contract asks", """
        def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
            warnings.warn("checking settings", RuntimeWarning)
            print("settings:", input_hw, kernel_size, stride, padding, dilation, file=sys.stderr)
            try:
                layer = nn.Conv2d(1, 1, kernel_size, stride, padding, dilation, bias=False)
                out = layer(torch.zeros(1, 1, *input_hw))
            except RuntimeError as error:
                raise ValueError(str(error)) from None
            return tuple(int(v) for v in out.shape[-2:])
    """),
    correct("softmax_pool2d", "warns on every window", """
        def softmax_pool2d(X, pool_size, stride=None, beta=1.0):
            k = (pool_size, pool_size) if isinstance(pool_size, int) else tuple(pool_size)
            s = k if stride is None else ((stride, stride) if isinstance(stride, int) else stride)
            windows = X.unfold(-2, k[0], s[0]).unfold(-2, k[1], s[1]).flatten(-2)
            for _ in range(windows.shape[-2]):
                warnings.warn("one more window")
            sys.stderr.write("done\\n")
            return (torch.softmax(beta * windows, -1) * windows).sum(-1)
    """),
]


@pytest.mark.parametrize("impl", NOISY, ids=lambda i: i.id)
def test_warnings_and_stderr_keep_full_marks(impl, capfd):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        verdicts = grade(impl)
    assert caught  # the answer did warn
    assert not lost(verdicts), report(verdicts, lost(verdicts))
    assert "corr2d" in capfd.readouterr().err or impl.function != "corr2d"


# --- aspects that must not be earned by doing nothing --------------------------

NOTHING = {
    "raises everywhere": "def f(*args, **kwargs):\n    raise ValueError('no')\n",
    "returns None": "def f(*args, **kwargs):\n    return None\n",
}


@pytest.mark.parametrize("kind", NOTHING)
@pytest.mark.parametrize("function", sorted(FUNCTIONS))
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


def test_visible_errors_check_needs_a_right_value_too():
    """In the notebook, as in the grader, `errors` counts only where some
    value is right: the reference passes the visible check, an answer that
    raises ValueError on every call does not"""
    from grader.checks import CheckFailed, check
    from grader.reference import pool2d
    check("pool2d-errors", pool2d)

    def stub(X, pool_size, mode="max"):
        raise ValueError("no")
    with pytest.raises(CheckFailed, match="not counted"):
        check("pool2d-errors", stub)


def test_visible_check_counts_nothing_for_nothing():
    """A visible check of `shape` fails a stub of the right shape, dtype and
    device, with the rule in the message"""
    from grader.checks import CheckFailed, check

    def stub(X, pool_size, mode="max"):
        return torch.zeros(X.shape[0] - pool_size[0] + 1, X.shape[1] - pool_size[1] + 1,
                           dtype=X.dtype, device=X.device)
    with pytest.raises(CheckFailed) as failed:
        check("pool2d-shape", stub)
    assert "counts only where the values are right" in str(failed.value)


# --- the cases themselves ------------------------------------------------------

def _values(assignment, function):
    return [(c, e.value) for c, e in public_trials(assignment)[function]
            if c.args[0].dtype == torch.float64 and not c.grad]


def test_public_examples_are_the_sources_outputs():
    """The SPEC table's examples, as the visible checks publish them"""
    (c, y), = _values("channels", "corr2d_multi_in")
    assert y.tolist() == [[56, 72], [104, 120]]
    (c, y), = _values("channels", "corr2d_multi_in_out")
    assert y.tolist() == [[[56, 72], [104, 120]], [[76, 100], [148, 172]],
                          [[96, 128], [192, 224]]]
    linear = _values("layers", "linear")
    assert linear[0][1].tolist() == [[6.5, 12.5, 18.5, 24.5]]
    assert linear[0][0].args[1].tolist() == [[k] * 3 for k in (1.0, 2.0, 3.0, 4.0)]
    for call, y in _values("channels", "corr2d_multi_in_out_1x1"):
        X, K = call.args
        general = torch.nn.functional.conv2d(X[None], K)[0]
        assert (y - general).abs().sum() < 1e-6


LAYERS = {
    "conv2d_output_shape": lambda hw, k, stride=1, padding=0, dilation=1:
        nn.Conv2d(1, 1, k, stride, padding, dilation),
    "conv_transpose2d_output_shape": lambda hw, k, stride=1, padding=0, output_padding=0,
        dilation=1: nn.ConvTranspose2d(1, 1, k, stride, padding, output_padding, dilation=dilation),
    "pool2d_output_shape": lambda hw, k, stride=None, padding=0, dilation=1, ceil_mode=False:
        nn.MaxPool2d(k, stride, padding, dilation, ceil_mode=ceil_mode),
}


@pytest.mark.parametrize("function", sorted(LAYERS))
def test_shape_cases_agree_with_the_layers(function):
    """Every expected output size (or ValueError) is what the real layer does"""
    for call, expected in trials("layers")[function]:
        hw = call.args[0]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                layer = LAYERS[function](*call.args, **call.kwargs)
                got = tuple(layer(torch.zeros(1, 1, *hw)).shape[-2:])
        except (RuntimeError, ValueError):
            got = "fails"
        want = "fails" if call.expect_error else expected.value
        assert got == want, (call.args, call.kwargs)


def test_pool_shape_cases_exercise_ceil_modes_rule():
    """Enough cases where ceil mode rounds up, and where its last-window rule
    takes a window back"""
    up = rule = 0
    for call, expected in trials("layers")["pool2d_output_shape"]:
        if not call.kwargs.get("ceil_mode"):
            continue
        floor = trials_floor(call)
        naive = naive_ceil(call)
        up += expected.value != floor
        rule += expected.value != naive
    assert up >= 8 and rule >= 8, (up, rule)


def _settings(call):
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)  # noqa: E731
    k = pair(call.args[1])
    s = k if call.kwargs.get("stride") is None else pair(call.kwargs["stride"])
    return (pair(call.args[0]), k, s, pair(call.kwargs.get("padding", 0)),
            pair(call.kwargs.get("dilation", 1)))


def trials_floor(call):
    hw, k, s, p, d = _settings(call)
    return tuple((n + 2 * p_ - d_ * (k_ - 1) - 1) // s_ + 1
                 for n, k_, s_, p_, d_ in zip(hw, k, s, p, d))


def naive_ceil(call):
    hw, k, s, p, d = _settings(call)
    return tuple(-(-(n + 2 * p_ - d_ * (k_ - 1) - 1) // s_) + 1
                 for n, k_, s_, p_, d_ in zip(hw, k, s, p, d))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_hidden_cases_are_thorough(assignment):
    """Every tensor function sees float32 and float64, non-contiguous inputs,
    gradients, non-square inputs, and more hidden cases than public ones"""
    hidden = cases.hidden(assignment, 1)
    public = cases.public(assignment)
    for spec in functions_of(assignment):
        calls = hidden[spec.name]
        assert len(calls) > len(public[spec.name]) and len(calls) >= 15, spec.name
        tensors = [c for c in calls if c.tensor_positions()]
        if not tensors:
            continue
        dtypes = {c.args[c.tensor_positions()[0]].dtype for c in tensors}
        assert dtypes == {torch.float32, torch.float64}, spec.name
        assert any(c.grad for c in tensors), spec.name
        assert sum(1 for c in tensors if "grad" in c.aspects) >= 5, spec.name
        really = [c for c in tensors if c.noncontig and any(
            min(c.args[i].shape[-2:]) >= 2 for i in c.noncontig)]
        assert len(really) >= 2, spec.name
        if spec.name not in ("sigmoid_grad", "tanh_grad", "tanh_via_sigmoid", "linear"):
            assert any(c.args[0].shape[-1] != c.args[0].shape[-2] for c in tensors), spec.name


def _same(a, b):
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and \
            a.shape == b.shape and a.dtype == b.dtype and bool(torch.equal(a, b))
    return a == b


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_hidden_cases_follow_the_seed(assignment):
    """The same seed gives the same cases; another seed other cases"""
    one, again, other = (cases.hidden(assignment, s) for s in (3, 3, 4))
    flat = lambda d: [a for calls in d.values() for c in calls for a in c.args]  # noqa: E731
    same = lambda a, b: all(_same(x, y) for x, y in itertools.zip_longest(a, b))  # noqa: E731
    assert same(flat(one), flat(again))
    assert not same(flat(one), flat(other))


def _hard(call):
    """Does a call hold huge (|x| >= 20) or tiny (0 < |x| <= 1e-6) inputs?"""
    for i in call.tensor_positions():
        x = call.args[i].double().abs()
        if bool((x >= 20).any()) or bool(((x > 0) & (x <= 1e-6)).any()):
            return True
    return False


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_gradients_are_checked_where_the_numerics_bite(assignment):
    """Has every differentiable function hidden gradient cases with huge or
    tiny inputs in float32 and in float64?"""
    hidden = cases.hidden(assignment, 1)
    for spec in functions_of(assignment):
        if "grad" not in spec.aspects:
            continue
        hard = {c.args[c.tensor_positions()[0]].dtype for c in hidden[spec.name]
                if c.grad and _hard(c)}
        assert hard == {torch.float32, torch.float64}, (spec.name, hard)


@pytest.mark.parametrize("seed", [None, OTHER_SEED])
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_gradients_are_finite_on_every_case(assignment, seed):
    """A nan or inf gradient fails only where the reference's is finite: is
    it finite on every gradient case?"""
    plan = trials(assignment) if seed is None else trials(assignment, seed)
    for name, pairs in plan.items():
        for call, expected in pairs:
            if call.grad:
                assert all(g is None or bool(torch.isfinite(g).all()) for g in expected.grads), \
                    (name, call.args)


def test_naive_tanh_loses_grad_with_a_message_to_act_on():
    """The issue's example: 2 / (1 + exp(-2x)) - 1 has the right values but a
    nan gradient at large negative x, where the reference's is 0"""
    text = message("tanh_via_sigmoid", "2 / (1 + exp(-2x)) - 1: nan gradient where exp overflows",
                   "grad")
    assert "at large negative inputs (`x`[0] = -400, float32) your gradient of `x` is nan, " \
        "the reference's is 0" in text, text
    assert "overflows" in text and "exp of a large number" in text
