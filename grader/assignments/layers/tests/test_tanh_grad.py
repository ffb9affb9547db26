"""tanh_grad: answers in several styles earn every point, plausible wrong ones
lose the aspects they should, effort-free stubs earn nothing"""
import pytest

from grader.assignments.corpus import check, correct, tensor_stubs, wrong

CORRECT = [
    correct("tanh_grad", "1 - y * y", """
        def tanh_grad(y):
            return 1 - y * y
    """),
    correct("tanh_grad", "(1 - y)(1 + y)", """
        def tanh_grad(y):
            return (1 - y) * (1 + y)
    """),
    correct("tanh_grad", "1 - torch.square(y)", """
        def tanh_grad(y):
            return torch.ones_like(y) - torch.square(y)
    """),
]

WRONG = [
    wrong("tanh_grad", "1 / cosh(atanh(y))^2: nan gradient at y = +-1", "grad", """
        def tanh_grad(y):
            return 1 / torch.cosh(torch.atanh(y)) ** 2
    """),
    wrong("tanh_grad", "y taken as the pre-activation x", "everything", """
        def tanh_grad(y):
            return 1 - torch.tanh(y) ** 2
    """),
    wrong("tanh_grad", "sign slip: 1 + y^2", "everything", """
        def tanh_grad(y):
            return 1 + y ** 2
    """),
    wrong("tanh_grad", "y squared in place", "grad unchanged", """
        def tanh_grad(y):
            return 1 - y.pow_(2)
    """),
    wrong("tanh_grad", "detached", "grad", """
        def tanh_grad(y):
            return 1 - y.detach() ** 2
    """),
]

HEADER = """\
    shape, like = y.shape, y
"""
STUBS = tensor_stubs("tanh_grad", HEADER, "y.clone()")


@pytest.mark.parametrize("answer", CORRECT + WRONG + STUBS, ids=str)
def test_answer(answer):
    """Does the answer earn what it should (corpus.check)?"""
    check(answer)
