"""pool2d_strided: answers in several styles earn every point, plausible wrong ones
lose the aspects they should, effort-free stubs earn nothing"""
import pytest

from grader.assignments.corpus import check, correct, tensor_stubs, wrong

PAIR = """
def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)
"""

CORRECT = [
    correct("pool2d_strided", "F.*_pool2d on (N, 1, H, W)", """
        def pool2d_strided(X, pool_size, stride=None, padding=0, mode='max'):
            if mode not in ('max', 'avg'):
                raise ValueError(mode)
            pool = F.max_pool2d if mode == 'max' else F.avg_pool2d
            Y = pool(X.reshape(-1, 1, *X.shape[-2:]), pool_size, stride, padding)
            return Y.reshape(*X.shape[:-2], *Y.shape[-2:])
    """),
    correct("pool2d_strided", "nn layers on a flattened batch", """
        def pool2d_strided(X, pool_size, stride=None, padding=0, mode='max'):
            layer = {'max': nn.MaxPool2d, 'avg': nn.AvgPool2d}[mode](pool_size, stride, padding)
            Y = layer(X.flatten(0, -3) if X.dim() > 2 else X[None])
            return Y.reshape(X.shape[:-2] + Y.shape[-2:])
    """),
    correct("pool2d_strided", "padded loops", PAIR + """
def pool2d_strided(X, pool_size, stride=None, padding=0, mode='max'):
    (k_h, k_w), (p_h, p_w) = pair(pool_size), pair(padding)
    s_h, s_w = (k_h, k_w) if stride is None else pair(stride)
    P = F.pad(X, (p_w, p_w, p_h, p_h), value=float('-inf') if mode == 'max' else 0.0)
    rows = []
    for i in range((P.shape[-2] - k_h) // s_h + 1):
        row = []
        for j in range((P.shape[-1] - k_w) // s_w + 1):
            win = P[..., i * s_h:i * s_h + k_h, j * s_w:j * s_w + k_w]
            row.append(win.amax((-2, -1)) if mode == 'max' else win.mean((-2, -1)))
        rows.append(torch.stack(row, -1))
    return torch.stack(rows, -2)
    """),
    correct("pool2d_strided", "unfold with padding (the notebook's)", PAIR + """
def pool2d_strided(X, pool_size, stride=None, padding=0, mode='max'):
    (k_h, k_w), (p_h, p_w) = pair(pool_size), pair(padding)
    s_h, s_w = (k_h, k_w) if stride is None else pair(stride)
    fill = float('-inf') if mode == 'max' else 0.0
    P = F.pad(X, (p_w, p_w, p_h, p_h), value=fill)
    windows = P.unfold(-2, k_h, s_h).unfold(-2, k_w, s_w).flatten(-2)
    return windows.amax(-1) if mode == 'max' else windows.mean(-1)
    """),
]

WRONG = [
    wrong("pool2d_strided", "zeros as padding under max", "values grad", PAIR + """
def pool2d_strided(X, pool_size, stride=None, padding=0, mode='max'):
    (k_h, k_w), (p_h, p_w) = pair(pool_size), pair(padding)
    s_h, s_w = (k_h, k_w) if stride is None else pair(stride)
    P = F.pad(X, (p_w, p_w, p_h, p_h))
    windows = P.unfold(-2, k_h, s_h).unfold(-2, k_w, s_w).flatten(-2)
    if mode not in ('max', 'avg'):
        raise ValueError(mode)
    return windows.amax(-1) if mode == 'max' else windows.mean(-1)
    """),
    wrong("pool2d_strided", "average leaves the padding out", "values", """
        def pool2d_strided(X, pool_size, stride=None, padding=0, mode='max'):
            Z = X.reshape(-1, 1, *X.shape[-2:])
            if mode == 'max':
                Y = F.max_pool2d(Z, pool_size, stride, padding)
            else:
                Y = F.avg_pool2d(Z, pool_size, stride, padding, count_include_pad=False)
            return Y.reshape(*X.shape[:-2], *Y.shape[-2:])
    """),
    wrong("pool2d_strided", "stride ignored", "values shape", may="grad", source="""
        def pool2d_strided(X, pool_size, stride=None, padding=0, mode='max'):
            Z = X.reshape(-1, 1, *X.shape[-2:])
            pool = F.max_pool2d if mode == 'max' else F.avg_pool2d
            Y = pool(Z, pool_size, None, padding)
            return Y.reshape(*X.shape[:-2], *Y.shape[-2:])
    """),
    wrong("pool2d_strided", "stride None taken as 1", "values shape", """
        def pool2d_strided(X, pool_size, stride=None, padding=0, mode='max'):
            Z = X.reshape(-1, 1, *X.shape[-2:])
            pool = F.max_pool2d if mode == 'max' else F.avg_pool2d
            Y = pool(Z, pool_size, stride or 1, padding)
            return Y.reshape(*X.shape[:-2], *Y.shape[-2:])
    """),
    wrong("pool2d_strided", "padding on one side only", "values shape", source=PAIR + """
def pool2d_strided(X, pool_size, stride=None, padding=0, mode='max'):
    (k_h, k_w), (p_h, p_w) = pair(pool_size), pair(padding)
    s_h, s_w = (k_h, k_w) if stride is None else pair(stride)
    P = F.pad(X, (p_w, 0, p_h, 0), value=float('-inf') if mode == 'max' else 0.0)
    windows = P.unfold(-2, k_h, s_h).unfold(-2, k_w, s_w).flatten(-2)
    return windows.amax(-1) if mode == 'max' else windows.mean(-1)
    """),
    wrong("pool2d_strided", "only (N, C, H, W) inputs", "values", """
        def pool2d_strided(X, pool_size, stride=None, padding=0, mode='max'):
            pool = F.max_pool2d if mode == 'max' else F.avg_pool2d
            return pool(X, pool_size, stride, padding)
    """),
    wrong("pool2d_strided", "float32 forced", "dtype", """
        def pool2d_strided(X, pool_size, stride=None, padding=0, mode='max'):
            Z = X.reshape(-1, 1, *X.shape[-2:]).to(torch.float32)
            pool = F.max_pool2d if mode == 'max' else F.avg_pool2d
            Y = pool(Z, pool_size, stride, padding)
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
STUBS = tensor_stubs("pool2d_strided", HEADER, "X[..., :h, :w].clone()")


@pytest.mark.parametrize("answer", CORRECT + WRONG + STUBS, ids=str)
def test_answer(answer):
    """Does the answer earn what it should (corpus.check)?"""
    check(answer)
