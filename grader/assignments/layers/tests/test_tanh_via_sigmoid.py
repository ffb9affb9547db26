"""tanh_via_sigmoid: answers in several styles earn every point, plausible wrong ones
lose the aspects they should, effort-free stubs earn nothing"""
import pytest
import torch

from grader.assignments.corpus import check, correct, message, stub, tensor_stubs, wrong
from grader.checks import explain, rules
from grader.checks.calls import Call, describe
from grader.plan import expect

CORRECT = [
    correct("tanh_via_sigmoid", "2 sigmoid(2x) - 1", """
        def tanh_via_sigmoid(x):
            return 2 * torch.sigmoid(2 * x) - 1
    """),
    correct("tanh_via_sigmoid", "torch.tanh", """
        def tanh_via_sigmoid(x):
            return torch.tanh(x)
    """),
    correct("tanh_via_sigmoid", "nn.Sigmoid module", """
        def tanh_via_sigmoid(x):
            return nn.Sigmoid()(x * 2).mul(2).sub(1)
    """),
]

WRONG = [
    # numerically naive, values right: exp(800) = inf makes the gradient 0 * inf
    wrong("tanh_via_sigmoid", "2 / (1 + exp(-2x)) - 1: nan gradient where exp overflows", "grad", """
        def tanh_via_sigmoid(x):
            return 2 / (1 + torch.exp(-2 * x)) - 1
    """),
    wrong("tanh_via_sigmoid", "the sources' + 1", "everything", """
        def tanh_via_sigmoid(x):
            return 2 * torch.sigmoid(2 * x) + 1
    """),
    wrong("tanh_via_sigmoid", "sigmoid(x) instead of sigmoid(2x)", "everything", """
        def tanh_via_sigmoid(x):
            return 2 * torch.sigmoid(x) - 1
    """),
    wrong("tanh_via_sigmoid", "(1 - e^-2x) / (1 + e^-2x) overflows", "values", """
        def tanh_via_sigmoid(x):
            e = torch.exp(-2 * x)
            return (1 - e) / (1 + e)
    """),
    wrong("tanh_via_sigmoid", "float32 forced", "dtype", """
        def tanh_via_sigmoid(x):
            return 2 * torch.sigmoid(2 * x.float()) - 1
    """),
]

HEADER = """\
    shape, like = x.shape, x
"""
STUBS = tensor_stubs("tanh_via_sigmoid", HEADER, "x.clone()")
# tanh saturates: sign(x) is right wherever |x| is large, and must not be
# enough to earn the other aspects on those calls alone
STUBS.append(stub("tanh_via_sigmoid", "the sign of x", "    return torch.sign(x)\n"))


@pytest.mark.parametrize("answer", CORRECT + WRONG + STUBS, ids=str)
def test_answer(answer):
    """Does the answer earn what it should (corpus.check)?"""
    check(answer)


def test_naive_tanh_loses_grad_with_a_message_to_act_on():
    """2 / (1 + exp(-2x)) - 1 has the right values but a nan gradient at
    large negative x, where the reference's is 0"""
    text = message(WRONG, "2 / (1 + exp(-2x)) - 1: nan gradient where exp overflows", "grad")
    assert "at large negative inputs (`x`[0] = -400, float32) your gradient of `x` is nan, " \
        "the reference's is 0" in text, text
    assert "overflows" in text and "exp of a large number" in text


def test_a_nan_gradient_of_a_zero_dimensional_input():
    """No index for a 0-d argument; the reference's -0 (tanh saturates at
    -400: 1 - tanh^2 is 0, times a grad_output of -1) is said as 0"""
    call = Call("tanh_via_sigmoid", (torch.tensor(-400.0, dtype=torch.float64),),
                aspects=frozenset({"grad"}), grad=True,
                grad_output=torch.tensor(-1.0, dtype=torch.float64))
    exp = expect(call)
    assert str(exp.grads[0].item()) == "-0.0"
    got = describe(torch.tensor(-1.0, dtype=torch.float64))
    got.grads = [torch.tensor(float("nan"), dtype=torch.float64)]
    assert explain.reason(rules.rule_grad(call, exp, got, ["x"])).startswith(
        "at large negative inputs (`x` = -400, float64) your gradient of `x` is nan, the "
        "reference's is 0: some step of your formula overflows or divides by zero there")
