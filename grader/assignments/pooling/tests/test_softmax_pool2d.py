"""softmax_pool2d: answers in several styles earn every point, plausible wrong ones
lose the aspects they should, effort-free stubs earn nothing"""
import pytest

from grader.assignments.corpus import (assert_noisy_keeps_full_marks, check, correct, tensor_stubs,
                                       wrong)

PAIR = """
def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)
"""

CORRECT = [
    correct("softmax_pool2d", "unfold and torch.softmax (the notebook's)", PAIR + """
def softmax_pool2d(X, pool_size, stride=None, beta=1.0):
    k_h, k_w = pair(pool_size)
    s_h, s_w = (k_h, k_w) if stride is None else pair(stride)
    windows = X.unfold(-2, k_h, s_h).unfold(-2, k_w, s_w).flatten(-2)
    weights = torch.softmax(beta * windows, dim=-1)
    return (weights * windows).sum(-1)
    """),
    correct("softmax_pool2d", "exp after subtracting the window max", PAIR + """
def softmax_pool2d(X, pool_size, stride=None, beta=1.0):
    k = pair(pool_size)
    s = k if stride is None else pair(stride)
    Z = X.reshape(-1, 1, *X.shape[-2:])
    cols = F.unfold(Z, k, stride=s)                        # (N, k_h k_w, L)
    z = beta * cols
    e = torch.exp(z - z.amax(1, keepdim=True))
    Y = (e * cols).sum(1) / e.sum(1)
    h, w = (X.shape[-2] - k[0]) // s[0] + 1, (X.shape[-1] - k[1]) // s[1] + 1
    return Y.reshape(*X.shape[:-2], h, w)
    """),
    correct("softmax_pool2d", "loops with logsumexp", PAIR + """
def softmax_pool2d(X, pool_size, stride=None, beta=1.0):
    k_h, k_w = pair(pool_size)
    s_h, s_w = (k_h, k_w) if stride is None else pair(stride)
    rows = []
    for i in range(0, X.shape[-2] - k_h + 1, s_h):
        row = []
        for j in range(0, X.shape[-1] - k_w + 1, s_w):
            win = X[..., i:i + k_h, j:j + k_w].flatten(-2)
            logw = beta * win - torch.logsumexp(beta * win, dim=-1, keepdim=True)
            row.append((logw.exp() * win).sum(-1))
        rows.append(torch.stack(row, -1))
    return torch.stack(rows, -2)
    """),
]

WRONG = [
    wrong("softmax_pool2d", "unstable softmax (exp without the max)", "values stability", PAIR + """
def softmax_pool2d(X, pool_size, stride=None, beta=1.0):
    k_h, k_w = pair(pool_size)
    s_h, s_w = (k_h, k_w) if stride is None else pair(stride)
    windows = X.unfold(-2, k_h, s_h).unfold(-2, k_w, s_w).flatten(-2)
    e = torch.exp(beta * windows)
    return (e * windows).sum(-1) / e.sum(-1)
    """),
    wrong("softmax_pool2d", "beta ignored", "values stability", may="grad", source=PAIR + """
def softmax_pool2d(X, pool_size, stride=None, beta=1.0):
    k_h, k_w = pair(pool_size)
    s_h, s_w = (k_h, k_w) if stride is None else pair(stride)
    windows = X.unfold(-2, k_h, s_h).unfold(-2, k_w, s_w).flatten(-2)
    return (torch.softmax(windows, -1) * windows).sum(-1)
    """),
    wrong("softmax_pool2d", "weights averaged instead of summed", "values stability", may="shape dtype devices grad unchanged", source=PAIR + """
def softmax_pool2d(X, pool_size, stride=None, beta=1.0):
    k_h, k_w = pair(pool_size)
    s_h, s_w = (k_h, k_w) if stride is None else pair(stride)
    windows = X.unfold(-2, k_h, s_h).unfold(-2, k_w, s_w).flatten(-2)
    return (torch.softmax(beta * windows, -1) * windows).mean(-1)
    """),
    wrong("softmax_pool2d", "softmax over the window's rows only", "values stability", PAIR + """
def softmax_pool2d(X, pool_size, stride=None, beta=1.0):
    k_h, k_w = pair(pool_size)
    s_h, s_w = (k_h, k_w) if stride is None else pair(stride)
    windows = X.unfold(-2, k_h, s_h).unfold(-2, k_w, s_w)
    return (torch.softmax(beta * windows, -1) * windows).sum(-1).mean(-1)
    """),
    wrong("softmax_pool2d", "stride ignored", "values shape stability", PAIR + """
def softmax_pool2d(X, pool_size, stride=None, beta=1.0):
    k_h, k_w = pair(pool_size)
    windows = X.unfold(-2, k_h, k_h).unfold(-2, k_w, k_w).flatten(-2)
    return (torch.softmax(beta * windows, -1) * windows).sum(-1)
    """),
]

HEADER = """\
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)
    k = pair(pool_size)
    s = k if stride is None else pair(stride)
    p = (0, 0)
    h = (X.shape[-2] + 2 * p[0] - k[0]) // s[0] + 1
    w = (X.shape[-1] + 2 * p[1] - k[1]) // s[1] + 1
    shape, like = (*X.shape[:-2], h, w), X
"""
STUBS = tensor_stubs("softmax_pool2d", HEADER, "X[..., :h, :w].clone()")


@pytest.mark.parametrize("answer", CORRECT + WRONG + STUBS, ids=str)
def test_answer(answer):
    """Does the answer earn what it should (corpus.check)?"""
    check(answer)


NOISY = correct("softmax_pool2d", "warns on every window", """
    def softmax_pool2d(X, pool_size, stride=None, beta=1.0):
        k = (pool_size, pool_size) if isinstance(pool_size, int) else tuple(pool_size)
        s = k if stride is None else ((stride, stride) if isinstance(stride, int) else stride)
        windows = X.unfold(-2, k[0], s[0]).unfold(-2, k[1], s[1]).flatten(-2)
        for _ in range(windows.shape[-2]):
            warnings.warn("one more window")
        sys.stderr.write("done\\n")
        return (torch.softmax(beta * windows, -1) * windows).sum(-1)
""")


def test_warnings_and_stderr_keep_full_marks():
    """Warnings and output never cost points"""
    assert_noisy_keeps_full_marks(NOISY)
