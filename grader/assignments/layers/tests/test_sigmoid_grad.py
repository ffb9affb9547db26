"""sigmoid_grad: answers in several styles earn every point, plausible wrong ones
lose the aspects they should, effort-free stubs earn nothing"""
import pytest

from grader.assignments.corpus import check, correct, message, tensor_stubs, wrong

CORRECT = [
    correct("sigmoid_grad", "y * (1 - y)", """
        def sigmoid_grad(y):
            return y * (1 - y)
    """),
    correct("sigmoid_grad", "y - y ** 2", """
        def sigmoid_grad(y):
            return y - y ** 2
    """),
    correct("sigmoid_grad", "torch.mul", """
        def sigmoid_grad(y):
            return torch.mul(y, torch.sub(1, y))
    """),
]

WRONG = [
    wrong("sigmoid_grad", "through logs: nan gradient at y = 0 and 1", "grad", """
        def sigmoid_grad(y):
            return torch.exp(torch.log(y) + torch.log1p(-y))
    """),
    wrong("sigmoid_grad", "y taken as the pre-activation x", "everything", """
        def sigmoid_grad(y):
            return torch.sigmoid(y) * (1 - torch.sigmoid(y))
    """),
    wrong("sigmoid_grad", "tanh's formula", "everything", """
        def sigmoid_grad(y):
            return 1 - y ** 2
    """),
    wrong("sigmoid_grad", "computed in place in y", "grad unchanged", """
        def sigmoid_grad(y):
            one_minus_y = 1 - y
            y *= one_minus_y          # saves a tensor
            return y
    """),
    wrong("sigmoid_grad", "numpy", "grad", """
        def sigmoid_grad(y):
            a = y.detach().numpy()
            return torch.tensor(a * (1 - a))
    """),
]

HEADER = """\
    shape, like = y.shape, y
"""
STUBS = tensor_stubs("sigmoid_grad", HEADER, "y.clone()")


@pytest.mark.parametrize("answer", CORRECT + WRONG + STUBS, ids=str)
def test_answer(answer):
    """Does the answer earn what it should (corpus.check)?"""
    check(answer)


def test_unchanged_message_names_the_argument():
    assert "it changed `y` in place" in message(WRONG, "computed in place in y", "unchanged")
