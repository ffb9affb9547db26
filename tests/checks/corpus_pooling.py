"""Answers to the pooling assignment: correct ones written in different
styles, and plausible wrong ones with the aspects they must lose"""
from ._corpus import correct, wrong

PAIR = """
def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)
"""

CORRECT = [
    # pool2d
    correct("pool2d", "loop into zeros (d2l, with dtype)", """
        def pool2d(X, pool_size, mode='max'):
            if mode not in ('max', 'avg'):
                raise ValueError(mode)
            p_h, p_w = pool_size
            Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1), dtype=X.dtype,
                            device=X.device)
            for i in range(Y.shape[0]):
                for j in range(Y.shape[1]):
                    if mode == 'max':
                        Y[i, j] = X[i: i + p_h, j: j + p_w].max()
                    elif mode == 'avg':
                        Y[i, j] = X[i: i + p_h, j: j + p_w].mean()
            return Y
    """),
    correct("pool2d", "F.max_pool2d / F.avg_pool2d with stride 1", """
        def pool2d(X, pool_size, mode='max'):
            pools = {'max': F.max_pool2d, 'avg': F.avg_pool2d}
            if mode not in pools:
                raise ValueError(f'unknown mode {mode!r}')
            return pools[mode](X[None, None], pool_size, stride=1)[0, 0]
    """),
    correct("pool2d", "unfold windows", """
        def pool2d(X, pool_size, mode='max'):
            p_h, p_w = pool_size
            windows = X.unfold(0, p_h, 1).unfold(1, p_w, 1).flatten(-2)
            if mode == 'max':
                return windows.amax(-1)
            if mode == 'avg':
                return windows.mean(-1)
            raise ValueError('mode must be max or avg')
    """),
    correct("pool2d", "shifted slices stacked", """
        def pool2d(X, pool_size, mode='max'):
            if mode != 'max' and mode != 'avg':
                raise ValueError(mode)
            p_h, p_w = pool_size
            h, w = X.shape[0] - p_h + 1, X.shape[1] - p_w + 1
            shifted = torch.stack([X[a:a + h, b:b + w] for a in range(p_h) for b in range(p_w)])
            return shifted.max(0).values if mode == 'max' else shifted.mean(0)
    """),
    # pool2d_strided
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
    # avg_pool_as_conv
    correct("avg_pool_as_conv", "grouped conv (the notebook's)", PAIR + """
def avg_pool_as_conv(X, pool_size, stride=None, padding=0):
    k_h, k_w = pair(pool_size)
    C = X.shape[1]
    K = torch.full((C, 1, k_h, k_w), 1 / (k_h * k_w), dtype=X.dtype, device=X.device)
    return F.conv2d(X, K, stride=pair(stride or (k_h, k_w)), padding=pair(padding), groups=C)
    """),
    correct("avg_pool_as_conv", "channels folded into the batch", PAIR + """
def avg_pool_as_conv(X, pool_size, stride=None, padding=0):
    N, C, H, W = X.shape
    k = pair(pool_size)
    K = torch.ones(1, 1, *k, dtype=X.dtype, device=X.device) / (k[0] * k[1])
    Y = F.conv2d(X.reshape(N * C, 1, H, W), K, stride=k if stride is None else stride,
                 padding=padding)
    return Y.reshape(N, C, *Y.shape[-2:])
    """),
    correct("avg_pool_as_conv", "diagonal (C, C) kernel, explicit zero padding", PAIR + """
def avg_pool_as_conv(X, pool_size, stride=None, padding=0):
    C = X.shape[1]
    (k_h, k_w), (p_h, p_w) = pair(pool_size), pair(padding)
    eye = torch.eye(C, dtype=X.dtype, device=X.device)
    K = eye[:, :, None, None].expand(C, C, k_h, k_w) / (k_h * k_w)
    return F.conv2d(F.pad(X, (p_w, p_w, p_h, p_h)), K, stride=stride or (k_h, k_w))
    """),
    # max_pool_as_conv
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
    # pool_cost
    correct("pool_cost", "floor division", PAIR + """
def pool_cost(c, h, w, pool_size, stride, padding):
    (p_h, p_w), (s_h, s_w), (q_h, q_w) = pair(pool_size), pair(stride), pair(padding)
    return c * ((h + 2 * q_h - p_h) // s_h + 1) * ((w + 2 * q_w - p_w) // s_w + 1) * p_h * p_w
    """),
    correct("pool_cost", "math.floor, loop over axes", PAIR + """
def pool_cost(c, h, w, pool_size, stride, padding):
    cost = c
    for size, p, s, q in zip((h, w), pair(pool_size), pair(stride), pair(padding)):
        cost *= math.floor((size + 2 * q - p) / s + 1) * p
    return cost
    """),
    correct("pool_cost", "the layer's output shape", """
        def pool_cost(c, h, w, pool_size, stride, padding):
            layer = nn.MaxPool2d(pool_size, stride, padding)
            out = layer(torch.zeros(1, c, h, w))
            k = nn.modules.utils._pair(pool_size)
            return int(out.numel()) * k[0] * k[1]
    """),
    # min_pool2d
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
    # softmax_pool2d
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
    # pool2d
    wrong("pool2d", "average that sums", "values", """
        def pool2d(X, pool_size, mode='max'):
            if mode not in ('max', 'avg'):
                raise ValueError(mode)
            windows = X.unfold(0, pool_size[0], 1).unfold(1, pool_size[1], 1)
            return windows.amax((-2, -1)) if mode == 'max' else windows.sum((-2, -1))
    """),
    wrong("pool2d", "mode ignored: always max", "values errors", """
        def pool2d(X, pool_size, mode='max'):
            return F.max_pool2d(X[None, None], pool_size, stride=1)[0, 0]
    """),
    wrong("pool2d", "unknown mode falls back to max", "errors", """
        def pool2d(X, pool_size, mode='max'):
            if mode == 'avg':
                return F.avg_pool2d(X[None, None], pool_size, stride=1)[0, 0]
            return F.max_pool2d(X[None, None], pool_size, stride=1)[0, 0]
    """),
    wrong("pool2d", "unknown mode raises KeyError", "errors", """
        def pool2d(X, pool_size, mode='max'):
            return {'max': F.max_pool2d, 'avg': F.avg_pool2d}[mode](X[None, None], pool_size, 1)[0, 0]
    """),
    wrong("pool2d", "one row and column short", "everything", """
        def pool2d(X, pool_size, mode='max'):
            if mode not in ('max', 'avg'):
                raise ValueError(mode)
            p_h, p_w = pool_size
            Y = torch.zeros((X.shape[0] - p_h, X.shape[1] - p_w), dtype=X.dtype)
            for i in range(Y.shape[0]):
                for j in range(Y.shape[1]):
                    win = X[i:i + p_h, j:j + p_w]
                    Y[i, j] = win.max() if mode == 'max' else win.mean()
            return Y
    """),
    wrong("pool2d", "window transposed (p_w rows, p_h columns)", "values", """
        def pool2d(X, pool_size, mode='max'):
            if mode not in ('max', 'avg'):
                raise ValueError(mode)
            p_h, p_w = pool_size
            Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1), dtype=X.dtype)
            for i in range(Y.shape[0]):
                for j in range(Y.shape[1]):
                    win = X[i:i + p_w, j:j + p_h]
                    Y[i, j] = win.max() if mode == 'max' else win.mean()
            return Y
    """),
    wrong("pool2d", "d2l's float32 zeros", "dtype", """
        def pool2d(X, pool_size, mode='max'):
            if mode not in ('max', 'avg'):
                raise ValueError(mode)
            p_h, p_w = pool_size
            Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
            for i in range(Y.shape[0]):
                for j in range(Y.shape[1]):
                    if mode == 'max':
                        Y[i, j] = X[i: i + p_h, j: j + p_w].max()
                    elif mode == 'avg':
                        Y[i, j] = X[i: i + p_h, j: j + p_w].mean()
            return Y
    """),
    wrong("pool2d", "numpy loops", "grad", """
        def pool2d(X, pool_size, mode='max'):
            if mode not in ('max', 'avg'):
                raise ValueError(mode)
            x = X.detach().numpy()
            p_h, p_w = pool_size
            Y = np.zeros((x.shape[0] - p_h + 1, x.shape[1] - p_w + 1), dtype=x.dtype)
            for i in range(Y.shape[0]):
                for j in range(Y.shape[1]):
                    win = x[i:i + p_h, j:j + p_w]
                    Y[i, j] = win.max() if mode == 'max' else win.mean()
            return torch.from_numpy(Y)
    """),
    # pool2d_strided
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
    # avg_pool_as_conv
    wrong("avg_pool_as_conv", "F.avg_pool2d", "structure", """
        def avg_pool_as_conv(X, pool_size, stride=None, padding=0):
            return F.avg_pool2d(X, pool_size, stride, padding)
    """),
    wrong("avg_pool_as_conv", "nn.AvgPool2d", "structure", """
        def avg_pool_as_conv(X, pool_size, stride=None, padding=0):
            return nn.AvgPool2d(pool_size, stride, padding)(X)
    """),
    wrong("avg_pool_as_conv", "pooling by getattr", "structure", """
        def avg_pool_as_conv(X, pool_size, stride=None, padding=0):
            return getattr(F, 'avg_' + 'pool2d')(X, pool_size, stride, padding)
    """),
    wrong("avg_pool_as_conv", "unfold and mean", "structure", PAIR + """
def avg_pool_as_conv(X, pool_size, stride=None, padding=0):
    (k_h, k_w), (p_h, p_w) = pair(pool_size), pair(padding)
    s_h, s_w = (k_h, k_w) if stride is None else pair(stride)
    P = F.pad(X, (p_w, p_w, p_h, p_h))
    return P.unfold(2, k_h, s_h).unfold(3, k_w, s_w).mean((-2, -1))
    """),
    wrong("avg_pool_as_conv", "kernel of ones: sums", "everything", PAIR + """
def avg_pool_as_conv(X, pool_size, stride=None, padding=0):
    k = pair(pool_size)
    C = X.shape[1]
    K = torch.ones((C, 1, *k), dtype=X.dtype)
    return F.conv2d(X, K, stride=stride or k, padding=padding, groups=C)
    """),
    wrong("avg_pool_as_conv", "channels mixed (no groups)", "values", PAIR + """
def avg_pool_as_conv(X, pool_size, stride=None, padding=0):
    k = pair(pool_size)
    C = X.shape[1]
    K = torch.full((C, C, *k), 1 / (k[0] * k[1] * C), dtype=X.dtype)
    return F.conv2d(X, K, stride=stride or k, padding=padding)
    """),
    wrong("avg_pool_as_conv", "float32 kernel", "values", PAIR + """
def avg_pool_as_conv(X, pool_size, stride=None, padding=0):
    k = pair(pool_size)
    C = X.shape[1]
    K = torch.full((C, 1, *k), 1 / (k[0] * k[1]))
    return F.conv2d(X, K, stride=stride or k, padding=padding, groups=C)
    """),
    # max_pool_as_conv
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
    # pool_cost
    wrong("pool_cost", "padding counted once", "values", PAIR + """
def pool_cost(c, h, w, pool_size, stride, padding):
    (p_h, p_w), (s_h, s_w), (q_h, q_w) = pair(pool_size), pair(stride), pair(padding)
    return c * ((h + q_h - p_h) // s_h + 1) * ((w + q_w - p_w) // s_w + 1) * p_h * p_w
    """),
    wrong("pool_cost", "ceil instead of floor", "values", PAIR + """
def pool_cost(c, h, w, pool_size, stride, padding):
    (p_h, p_w), (s_h, s_w), (q_h, q_w) = pair(pool_size), pair(stride), pair(padding)
    out_h = math.ceil((h + 2 * q_h - p_h) / s_h) + 1
    out_w = math.ceil((w + 2 * q_w - p_w) / s_w) + 1
    return c * out_h * out_w * p_h * p_w
    """),
    wrong("pool_cost", "channels forgotten", "values", PAIR + """
def pool_cost(c, h, w, pool_size, stride, padding):
    (p_h, p_w), (s_h, s_w), (q_h, q_w) = pair(pool_size), pair(stride), pair(padding)
    return ((h + 2 * q_h - p_h) // s_h + 1) * ((w + 2 * q_w - p_w) // s_w + 1) * p_h * p_w
    """),
    wrong("pool_cost", "a float result", "values", PAIR + """
def pool_cost(c, h, w, pool_size, stride, padding):
    (p_h, p_w), (s_h, s_w), (q_h, q_w) = pair(pool_size), pair(stride), pair(padding)
    out_h = (h + 2 * q_h - p_h) // s_h + 1
    out_w = (w + 2 * q_w - p_w) // s_w + 1
    return c * out_h * out_w * p_h * p_w / 1.0
    """),
    wrong("pool_cost", "window and padding names reused (the sources' slip)", "values", PAIR + """
def pool_cost(c, h, w, pool_size, stride, padding):
    (p_h, p_w), (s_h, s_w) = pair(pool_size), pair(stride)
    out_h = (h + 2 * p_h - p_h) // s_h + 1
    out_w = (w + 2 * p_w - p_w) // s_w + 1
    return c * out_h * out_w * p_h * p_w
    """),
    # min_pool2d
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
    # softmax_pool2d
    wrong("softmax_pool2d", "unstable softmax (exp without the max)", "values stability", PAIR + """
def softmax_pool2d(X, pool_size, stride=None, beta=1.0):
    k_h, k_w = pair(pool_size)
    s_h, s_w = (k_h, k_w) if stride is None else pair(stride)
    windows = X.unfold(-2, k_h, s_h).unfold(-2, k_w, s_w).flatten(-2)
    e = torch.exp(beta * windows)
    return (e * windows).sum(-1) / e.sum(-1)
    """),
    wrong("softmax_pool2d", "beta ignored", "values grad stability", PAIR + """
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
