"""corr2d_multi_in: answers in several styles earn every point, plausible wrong ones
lose the aspects they should, effort-free stubs earn nothing"""
import pytest

from grader.assignments.corpus import check, correct, tensor_stubs, wrong
from grader.assignments.testing import public_values

CORR2D_LOOP = """
def corr2d(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=X.dtype, device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
"""

CORRECT = [
    correct("corr2d_multi_in", "sum of loop corr2d (d2l)", CORR2D_LOOP + """
def corr2d_multi_in(X, K):
    return sum(corr2d(x, k) for x, k in zip(X, K))
    """),
    correct("corr2d_multi_in", "F.conv2d", """
        def corr2d_multi_in(X, K):
            return F.conv2d(X[None], K[None])[0, 0]
    """),
    correct("corr2d_multi_in", "stack then sum", CORR2D_LOOP + """
def corr2d_multi_in(X, K):
    return torch.stack([corr2d(X[c], K[c]) for c in range(X.shape[0])]).sum(0)
    """),
    correct("corr2d_multi_in", "shift and add over channels", """
        def corr2d_multi_in(X, K):
            c, k_h, k_w = K.shape
            h, w = X.shape[1] - k_h + 1, X.shape[2] - k_w + 1
            Y = 0
            for a in range(k_h):
                for b in range(k_w):
                    Y = Y + (K[:, a, b, None, None] * X[:, a:a + h, b:b + w]).sum(0)
            return Y
    """),
    correct("corr2d_multi_in", "einsum on windows", """
        def corr2d_multi_in(X, K):
            windows = X.unfold(1, K.shape[1], 1).unfold(2, K.shape[2], 1)
            return torch.einsum('cijab,cab->ij', windows, K)
    """),
]

WRONG = [
    wrong("corr2d_multi_in", "channels of K reversed", "values", CORR2D_LOOP + """
def corr2d_multi_in(X, K):
    return sum(corr2d(x, k) for x, k in zip(X, K.flip(0)))
    """),
    wrong("corr2d_multi_in", "mean over channels instead of sum", "values", """
        def corr2d_multi_in(X, K):
            return F.conv2d(X[:, None], K[:, None]).mean(0)[0]
    """),
    wrong("corr2d_multi_in", "no sum: one map per channel", "everything", """
        def corr2d_multi_in(X, K):
            return F.conv2d(X[None], K[:, None], groups=X.shape[0])[0]
    """),
    wrong("corr2d_multi_in", "only the first channel", "values", CORR2D_LOOP + """
def corr2d_multi_in(X, K):
    return corr2d(X[0], K[0])
    """),
    wrong("corr2d_multi_in", "float32 forced", "dtype", """
        def corr2d_multi_in(X, K):
            return F.conv2d(X[None].float(), K[None].float())[0, 0]
    """),
]

HEADER = """\
    h, w = X.shape[1] - K.shape[1] + 1, X.shape[2] - K.shape[2] + 1
    shape, like = (h, w), X
"""
STUBS = tensor_stubs("corr2d_multi_in", HEADER, "X[0, :h, :w].clone()")


@pytest.mark.parametrize("answer", CORRECT + WRONG + STUBS, ids=str)
def test_answer(answer):
    """Does the answer earn what it should (corpus.check)?"""
    check(answer)


def test_public_example_is_the_chapters_output():
    (call, y), = public_values("corr2d_multi_in")
    assert y.tolist() == [[56, 72], [104, 120]]
