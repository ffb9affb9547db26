"""max_pool_as_conv: answers in several styles earn every point, plausible wrong ones
lose the aspects they should, effort-free stubs earn nothing"""
import pytest

from grader.assignments.corpus import check, correct, message, tensor_stubs, wrong

PAIR = """
def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)
"""

SOURCE_ONLY = "numpy's sliding_window_view, a convolution mixed in at zero weight"

CORRECT = [
    correct("max_pool_as_conv", "one-hot kernels and a finite mask (the notebook's)", PAIR + """
def max_pool_as_conv(X, pool_size, stride=None, padding=0):
    k_h, k_w = pair(pool_size)
    s = (k_h, k_w) if stride is None else pair(stride)
    p_h, p_w = pair(padding)
    N, C, H, W = X.shape
    n = k_h * k_w
    K = torch.eye(n, dtype=X.dtype, device=X.device).reshape(n, 1, k_h, k_w)
    P = F.pad(X, (p_w, p_w, p_h, p_h), value=float('-inf'))
    finite = torch.isfinite(P)
    G = F.conv2d(torch.where(finite, P, torch.zeros_like(P)).reshape(N * C, 1, *P.shape[-2:]), K, stride=s)
    M = F.conv2d(finite.to(X.dtype).reshape(N * C, 1, *P.shape[-2:]), K, stride=s)
    G = torch.where(M > 0, G, torch.full_like(G, float('-inf')))
    return G.amax(1).reshape(N, C, *G.shape[-2:])
    """),
    correct("max_pool_as_conv", "pad with the dtype's lowest finite value", PAIR + """
def max_pool_as_conv(X, pool_size, stride=None, padding=0):
    k_h, k_w = pair(pool_size)
    p_h, p_w = pair(padding)
    N, C = X.shape[:2]
    low = torch.finfo(X.dtype).min
    P = F.pad(X, (p_w, p_w, p_h, p_h), value=low).flatten(0, 1)[:, None]
    K = torch.eye(k_h * k_w, dtype=X.dtype, device=X.device).reshape(-1, 1, k_h, k_w)
    G = F.conv2d(P, K, stride=(k_h, k_w) if stride is None else stride)
    return G.max(dim=1).values.reshape(N, C, *G.shape[-2:])
    """),
    correct("max_pool_as_conv", "grouped one-hot conv, lowest finite padding", PAIR + """
def max_pool_as_conv(X, pool_size, stride=None, padding=0):
    k_h, k_w = pair(pool_size)
    p_h, p_w = pair(padding)
    N, C, H, W = X.shape
    n = k_h * k_w
    P = F.pad(X, (p_w, p_w, p_h, p_h), value=torch.finfo(X.dtype).min)
    K = torch.eye(n, dtype=X.dtype, device=X.device).reshape(n, 1, k_h, k_w).repeat(C, 1, 1, 1)
    G = F.conv2d(P, K, stride=(k_h, k_w) if stride is None else stride, groups=C)
    return G.reshape(N, C, n, *G.shape[-2:]).amax(2)
    """),
]

WRONG = [
    # numerically naive: (X - low) + low loses ordinary values beside huge ones
    wrong("max_pool_as_conv", "below-min padding by a shift: X - low cancels next to huge values", "values grad", source=PAIR + """
def max_pool_as_conv(X, pool_size, stride=None, padding=0):
    k_h, k_w = pair(pool_size)
    p_h, p_w = pair(padding)
    N, C, H, W = X.shape
    n = k_h * k_w
    low = (X.min() - 1).detach()
    P = F.pad(X - low, (p_w, p_w, p_h, p_h)) + low     # padding = low < every value
    K = torch.eye(n, dtype=X.dtype, device=X.device).reshape(n, 1, k_h, k_w).repeat(C, 1, 1, 1)
    G = F.conv2d(P, K, stride=(k_h, k_w) if stride is None else stride, groups=C)
    return G.reshape(N, C, n, *G.shape[-2:]).amax(2)
    """),
    wrong("max_pool_as_conv", "F.max_pool2d", "structure", """
        def max_pool_as_conv(X, pool_size, stride=None, padding=0):
            return F.max_pool2d(X, pool_size, stride, padding)
    """),
    wrong("max_pool_as_conv", "torch.max_pool2d", "structure", """
        def max_pool_as_conv(X, pool_size, stride=None, padding=0):
            return torch.max_pool2d(X, pool_size, stride or pool_size, padding)
    """),
    wrong("max_pool_as_conv", "nn.MaxPool2d", "structure", """
        def max_pool_as_conv(X, pool_size, stride=None, padding=0):
            layer = nn.MaxPool2d(pool_size, stride, padding)
            return layer(X)
    """),
    wrong("max_pool_as_conv", "getattr(F, 'max_' + 'pool2d')", "structure", """
        def max_pool_as_conv(X, pool_size, stride=None, padding=0):
            return getattr(F, 'max_' + 'pool2d')(X, pool_size, stride, padding)
    """),
    wrong("max_pool_as_conv", "F.__dict__ lookup of the pooling function", "structure", """
        def max_pool_as_conv(X, pool_size, stride=None, padding=0):
            name = ''.join(['max', '_pool', '2d'])
            return vars(F)[name](X, pool_size, stride, padding)
    """),
    wrong("max_pool_as_conv", "a dummy convolution, then F.max_pool2d", "structure", """
        def max_pool_as_conv(X, pool_size, stride=None, padding=0):
            X = F.conv2d(X, torch.ones(X.shape[1], 1, 1, 1, dtype=X.dtype), groups=X.shape[1])
            return F.max_pool2d(X, pool_size, stride, padding)
    """),
    wrong("max_pool_as_conv", "F.unfold and a max", "structure", PAIR + """
def max_pool_as_conv(X, pool_size, stride=None, padding=0):
    k = pair(pool_size)
    s = k if stride is None else pair(stride)
    N, C, H, W = X.shape
    P = F.pad(X, (pair(padding)[1],) * 2 + (pair(padding)[0],) * 2, value=float('-inf'))
    cols = F.unfold(P.reshape(N * C, 1, *P.shape[-2:]), k, stride=s)
    h, w = (P.shape[-2] - k[0]) // s[0] + 1, (P.shape[-1] - k[1]) // s[1] + 1
    return cols.amax(1).reshape(N, C, h, w)
    """),
    wrong("max_pool_as_conv", "strided slices and a max, no convolution", "structure", PAIR + """
def max_pool_as_conv(X, pool_size, stride=None, padding=0):
    (k_h, k_w), (p_h, p_w) = pair(pool_size), pair(padding)
    s_h, s_w = (k_h, k_w) if stride is None else pair(stride)
    P = F.pad(X, (p_w, p_w, p_h, p_h), value=float('-inf'))
    h, w = (P.shape[-2] - k_h) // s_h + 1, (P.shape[-1] - k_w) // s_w + 1
    parts = [P[..., a:a + (h - 1) * s_h + 1:s_h, b:b + (w - 1) * s_w + 1:s_w]
             for a in range(k_h) for b in range(k_w)]
    return torch.stack(parts).amax(0)
    """),
    wrong("max_pool_as_conv", "zero padding in the convolution", "values", may="grad", source=PAIR + """
def max_pool_as_conv(X, pool_size, stride=None, padding=0):
    k_h, k_w = pair(pool_size)
    N, C, H, W = X.shape
    n = k_h * k_w
    K = torch.eye(n, dtype=X.dtype).reshape(n, 1, k_h, k_w)
    G = F.conv2d(X.reshape(N * C, 1, H, W), K, stride=stride or (k_h, k_w), padding=padding)
    return G.amax(1).reshape(N, C, *G.shape[-2:])
    """),
    wrong("max_pool_as_conv", SOURCE_ONLY, "grad structure", """
def max_pool_as_conv(X, pool_size, stride=None, padding=0):
    from numpy.lib.stride_tricks import sliding_window_view
    k = (pool_size, pool_size) if isinstance(pool_size, int) else tuple(pool_size)
    s = k if stride is None else ((stride, stride) if isinstance(stride, int) else tuple(stride))
    p = (padding, padding) if isinstance(padding, int) else tuple(padding)
    show = F.conv2d(X, torch.ones(X.shape[1], 1, 1, 1, dtype=X.dtype), groups=X.shape[1])
    P = np.pad(X.detach().numpy(), ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])),
               constant_values=-np.inf)
    Y = sliding_window_view(P, k, axis=(2, 3))[:, :, ::s[0], ::s[1]].max(axis=(-2, -1))
    # mixed in at zero weight, so that the trace sees the convolution's data
    # in the result (it follows data per storage)
    return torch.from_numpy(np.ascontiguousarray(Y)).to(X.dtype) + 0 * show.sum()
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
STUBS = tensor_stubs("max_pool_as_conv", HEADER, "X[..., :h, :w].clone()")


@pytest.mark.parametrize("answer", CORRECT + WRONG + STUBS, ids=str)
def test_answer(answer):
    """Does the answer earn what it should (corpus.check)?"""
    check(answer)


def test_structure_message_names_the_forbidden_op():
    text = message(WRONG, "getattr(F, 'max_' + 'pool2d')", "structure")
    assert "max_pool2d" in text and "rules out" in text


def test_an_answer_caught_only_by_the_source_check():
    """It pools with numpy's sliding_window_view and mixes a convolution's
    output in at zero weight (so the op trace, which follows data, sees a
    convolution make the result): only reading the code finds that, and says
    what this exercise rules out (its corpus entry: it keeps its values and loses
    structure, and grad: numpy's arrays carry none)"""
    assert message(WRONG, SOURCE_ONLY, "structure") == (
        "`max_pool_as_conv`: your code uses `sliding_window_view`, which this exercise "
        "rules out (a convolution with fixed one-hot kernels, then a max over channels; "
        "no pooling function or unfold)")
