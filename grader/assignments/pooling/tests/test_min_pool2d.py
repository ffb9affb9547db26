"""min_pool2d: answers in several styles earn every point, plausible wrong ones
lose the aspects they should, effort-free stubs earn nothing"""
import pytest

from grader.assignments.corpus import check, correct, tensor_stubs, wrong

PAIR = """
def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)
"""

CORRECT = [
    correct("min_pool2d", "-max_pool2d(-X)", """
        def min_pool2d(X, pool_size, stride=None, padding=0):
            Y = -F.max_pool2d(-X.reshape(-1, 1, *X.shape[-2:]), pool_size, stride, padding)
            return Y.reshape(*X.shape[:-2], *Y.shape[-2:])
    """),
    correct("min_pool2d", "+inf padding, unfold, amin", PAIR + """
def min_pool2d(X, pool_size, stride=None, padding=0):
    (k_h, k_w), (p_h, p_w) = pair(pool_size), pair(padding)
    s_h, s_w = (k_h, k_w) if stride is None else pair(stride)
    P = F.pad(X, (p_w, p_w, p_h, p_h), value=float('inf'))
    return P.unfold(-2, k_h, s_h).unfold(-2, k_w, s_w).amin((-2, -1))
    """),
    correct("min_pool2d", "nn.MaxPool2d on the negated input", """
        def min_pool2d(X, pool_size, stride=None, padding=0):
            pool = nn.MaxPool2d(pool_size, stride=stride, padding=padding)
            flat = X.reshape(-1, *X.shape[-2:])          # (N, H, W): pooled as channels
            Y = -pool(-flat)
            return Y.reshape(X.shape[:-2] + Y.shape[-2:])
    """),
]

WRONG = [
    wrong("min_pool2d", "zeros as padding", "values grad", PAIR + """
def min_pool2d(X, pool_size, stride=None, padding=0):
    (k_h, k_w), (p_h, p_w) = pair(pool_size), pair(padding)
    s_h, s_w = (k_h, k_w) if stride is None else pair(stride)
    P = F.pad(X, (p_w, p_w, p_h, p_h))
    return P.unfold(-2, k_h, s_h).unfold(-2, k_w, s_w).amin((-2, -1))
    """),
    wrong("min_pool2d", "-max_pool2d(X): one sign short", "everything", """
        def min_pool2d(X, pool_size, stride=None, padding=0):
            Y = -F.max_pool2d(X.reshape(-1, 1, *X.shape[-2:]), pool_size, stride, padding)
            return Y.reshape(*X.shape[:-2], *Y.shape[-2:])
    """),
    wrong("min_pool2d", "negates its input in place and back", "grad", """
        def min_pool2d(X, pool_size, stride=None, padding=0):
            X.neg_()
            Y = -F.max_pool2d(X.reshape(-1, 1, *X.shape[-2:]), pool_size, stride, padding)
            X.neg_()
            return Y.reshape(*X.shape[:-2], *Y.shape[-2:])
    """),
    wrong("min_pool2d", "negates its input in place", "grad unchanged", """
        def min_pool2d(X, pool_size, stride=None, padding=0):
            X.neg_()  # -X without a copy
            Y = F.max_pool2d(X.reshape(-1, 1, *X.shape[-2:]), pool_size, stride, padding)
            return -Y.reshape(*X.shape[:-2], *Y.shape[-2:])
    """),
    wrong("min_pool2d", "stride defaults to 1", "values shape", """
        def min_pool2d(X, pool_size, stride=None, padding=0):
            Y = -F.max_pool2d(-X.reshape(-1, 1, *X.shape[-2:]), pool_size, stride or 1, padding)
            return Y.reshape(*X.shape[:-2], *Y.shape[-2:])
    """),
]

HEADER = """\
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)
    k = pair(pool_size)
    s = k if stride is None else pair(stride)
    p = pair(padding)
    h = (X.shape[-2] + 2 * p[0] - k[0]) // s[0] + 1
    w = (X.shape[-1] + 2 * p[1] - k[1]) // s[1] + 1
    shape, like = (*X.shape[:-2], h, w), X
"""
STUBS = tensor_stubs("min_pool2d", HEADER, "X[..., :h, :w].clone()")


@pytest.mark.parametrize("answer", CORRECT + WRONG + STUBS, ids=str)
def test_answer(answer):
    """Does the answer earn what it should (corpus.check)?"""
    check(answer)
