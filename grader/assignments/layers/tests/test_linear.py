"""linear: answers in several styles earn every point, plausible wrong ones
lose the aspects they should, effort-free stubs earn nothing"""
import pytest

from grader.assignments.corpus import check, correct, tensor_stubs, wrong
from grader.assignments.testing import changed_reference, public_values, verdict

CORRECT = [
    correct("linear", "x @ weight.T + bias", """
        def linear(x, weight, bias=None):
            y = x @ weight.T
            if bias is not None:
                y = y + bias
            return y
    """),
    correct("linear", "F.linear", """
        def linear(x, weight, bias=None):
            return F.linear(x, weight, bias)
    """),
    correct("linear", "einsum", """
        def linear(x, weight, bias=None):
            y = torch.einsum('...i,oi->...o', x, weight)
            return y if bias is None else y + bias
    """),
    correct("linear", "row by row on the flattened batch", """
        def linear(x, weight, bias=None):
            rows = x.reshape(-1, x.shape[-1])
            out = torch.stack([weight @ r + (0 if bias is None else bias) for r in rows])
            return out.reshape(*x.shape[:-1], weight.shape[0])
    """),
    correct("linear", "addmm on 2-D", """
        def linear(x, weight, bias=None):
            flat = x.reshape(-1, x.shape[-1])
            if bias is None:
                bias = torch.zeros(weight.shape[0], dtype=x.dtype, device=x.device)
            return torch.addmm(bias, flat, weight.t()).reshape(*x.shape[:-1], -1)
    """),
]

WRONG = [
    wrong("linear", "weight not transposed", "values", may="shape dtype devices grad unchanged",
          source="""
        def linear(x, weight, bias=None):
            y = x @ weight
            return y if bias is None else y + bias
    """),
    wrong("linear", "bias ignored", "values grad", """
        def linear(x, weight, bias=None):
            return x @ weight.T
    """),
    wrong("linear", "only 2-D x", "values", """
        def linear(x, weight, bias=None):
            y = torch.mm(x, weight.t())
            return y if bias is None else y + bias
    """),
    wrong("linear", "`if bias:` on a tensor", "values", """
        def linear(x, weight, bias=None):
            y = x @ weight.T
            if bias:
                y = y + bias
            return y
    """),
    wrong("linear", "weight.data cuts its gradient", "grad", """
        def linear(x, weight, bias=None):
            y = x @ weight.data.T
            return y if bias is None else y + bias
    """),
]

HEADER = """\
    shape, like = (*x.shape[:-1], weight.shape[0]), x
"""
STUBS = tensor_stubs("linear", HEADER, "x[..., :1].expand(*shape).clone()")


@pytest.mark.parametrize("answer", CORRECT + WRONG + STUBS, ids=str)
def test_answer(answer):
    """Does the answer earn what it should (corpus.check)?"""
    check(answer)


def test_public_example_is_the_sources_output():
    examples = public_values("linear")
    assert examples[0][1].tolist() == [[6.5, 12.5, 18.5, 24.5]]
    assert examples[0][0].args[1].tolist() == [[k] * 3 for k in (1.0, 2.0, 3.0, 4.0)]


def test_results_just_inside_and_outside_float64s_tolerance():
    """Through judge: a float64 linear off by 1e-8 relative keeps `values`,
    one off by 1e-6 loses it"""
    inside = changed_reference("linear", lambda Y, *a: Y * (1 + 1e-8))
    outside = changed_reference("linear", lambda Y, *a: Y * (1 + 1e-6))
    assert verdict("linear", "values", inside).passed
    assert not verdict("linear", "values", outside).passed
