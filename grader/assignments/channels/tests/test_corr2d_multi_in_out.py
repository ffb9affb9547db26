"""corr2d_multi_in_out: answers in several styles earn every point, plausible wrong ones
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
    correct("corr2d_multi_in_out", "stack of multi_in (d2l)", CORR2D_LOOP + """
def corr2d_multi_in(X, K):
    return sum(corr2d(x, k) for x, k in zip(X, K))

def corr2d_multi_in_out(X, K):
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)
    """),
    correct("corr2d_multi_in_out", "F.conv2d", """
        def corr2d_multi_in_out(X, K):
            return F.conv2d(X.unsqueeze(0), K).squeeze(0)
    """),
    correct("corr2d_multi_in_out", "einsum on windows", """
        def corr2d_multi_in_out(X, K):
            windows = X.unfold(1, K.shape[2], 1).unfold(2, K.shape[3], 1)
            return torch.einsum('cijab,ocab->oij', windows, K)
    """),
    correct("corr2d_multi_in_out", "im2col and a matrix product", """
        def corr2d_multi_in_out(X, K):
            c_o, c_i, k_h, k_w = K.shape
            h, w = X.shape[1] - k_h + 1, X.shape[2] - k_w + 1
            cols = F.unfold(X[None], (k_h, k_w))[0]          # (c_i k_h k_w, h w)
            return (K.reshape(c_o, -1) @ cols).reshape(c_o, h, w)
    """),
]

WRONG = [
    wrong("corr2d_multi_in_out", "cat instead of stack", "everything", """
        def corr2d_multi_in_out(X, K):
            return torch.cat([F.conv2d(X[None], k[None])[0] for k in K], 0).reshape(-1, X.shape[2] - K.shape[3] + 1)
    """),
    wrong("corr2d_multi_in_out", "K's channel axes mixed by a reshape", "values", """
        def corr2d_multi_in_out(X, K):
            c_o, c_i, k_h, k_w = K.shape
            K = K.reshape(c_i, c_o, k_h, k_w).transpose(0, 1)
            return F.conv2d(X[None], K)[0]
    """),
    wrong("corr2d_multi_in_out", "every output uses input channel 0's kernel", "values", """
        def corr2d_multi_in_out(X, K):
            return torch.stack([F.conv2d(X[None], k[:1].expand_as(k)[None])[0, 0] for k in K])
    """),
    wrong("corr2d_multi_in_out", "numpy for the sum", "grad", """
        def corr2d_multi_in_out(X, K):
            Y = F.conv2d(X[None], K)[0]
            return torch.tensor(Y.detach().numpy())
    """),
]

HEADER = """\
    h, w = X.shape[1] - K.shape[2] + 1, X.shape[2] - K.shape[3] + 1
    shape, like = (K.shape[0], h, w), X
"""
STUBS = tensor_stubs("corr2d_multi_in_out", HEADER, "X[:1, :h, :w].expand(K.shape[0], h, w).clone()")


@pytest.mark.parametrize("answer", CORRECT + WRONG + STUBS, ids=str)
def test_answer(answer):
    """Does the answer earn what it should (corpus.check)?"""
    check(answer)


def test_public_example_is_the_chapters_output():
    (call, y), = public_values("corr2d_multi_in_out")
    assert y.tolist() == [[[56, 72], [104, 120]], [[76, 100], [148, 172]],
                          [[96, 128], [192, 224]]]
