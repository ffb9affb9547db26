"""max_pool_from_relu: answers in several styles earn every point, plausible wrong ones
lose the aspects they should, effort-free stubs earn nothing"""
import pytest

from grader.assignments.corpus import check, correct, message, tensor_stubs, wrong

PAIR = """
def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)
"""

# one level of a tree of pairwise maxima (sign 1) or minima (sign -1) of the
# channels of Z, all >= 0: conv, ReLU, conv; v + ReLU(u - v), v - ReLU(v - u)
HALVE = """
def halve(Z, sign):
    m = Z.shape[1]
    A, B = [], []
    for j in range(0, m - 1, 2):
        a = [0.0] * m
        a[j], a[j + 1] = sign, -sign
        v = [0.0] * m
        v[j + 1] = 1.0
        A += [a, v]
    if m % 2:
        last = [0.0] * m
        last[m - 1] = 1.0
        A.append(last)
    for j in range(0, m - 1, 2):
        row = [0.0] * len(A)
        row[j], row[j + 1] = sign, 1.0
        B.append(row)
    if m % 2:
        row = [0.0] * len(A)
        row[-1] = 1.0
        B.append(row)
    opts = dict(dtype=Z.dtype, device=Z.device)
    A = torch.tensor(A, **opts)[:, :, None, None]
    B = torch.tensor(B, **opts)[:, :, None, None]
    return F.conv2d(F.relu(F.conv2d(Z, A)), B)
"""

# the positive and negative parts of every window's entries: 2 n channels
SPLIT = """
def split(X, p_h, p_w):
    n = p_h * p_w
    E = torch.eye(n, dtype=X.dtype, device=X.device).reshape(n, 1, p_h, p_w)
    Z = F.relu(F.conv2d(X.reshape(-1, 1, *X.shape[-2:]), torch.cat([E, -E]), stride=(p_h, p_w)))
    return Z[:, :n], Z[:, n:]
"""

CORRECT = [
    correct("max_pool_from_relu", "positive and negative parts, trees of 1x1 convs (the notebook's)",
            PAIR + HALVE + SPLIT + """
def max_pool_from_relu(X, pool_size):
    p_h, p_w = pair(pool_size)
    P, N = split(X, p_h, p_w)
    while P.shape[1] > 1:
        P, N = halve(P, 1), halve(N, -1)
    D = torch.tensor([1.0, -1.0], dtype=X.dtype, device=X.device).reshape(1, 2, 1, 1)
    Y = F.conv2d(torch.cat([P, N], 1), D)
    return Y.reshape(*X.shape[:-2], *Y.shape[-2:])
    """),
    correct("max_pool_from_relu", "rows first, then columns: two (1, p_w) and (p_h, 1) poolings",
            PAIR + HALVE + """
def pool_rows(X4, k):
    E = torch.eye(k, dtype=X4.dtype, device=X4.device).reshape(k, 1, 1, k)
    Z = F.relu(F.conv2d(X4, torch.cat([E, -E]), stride=(1, k)))
    P, N = Z[:, :k], Z[:, k:]
    while P.shape[1] > 1:
        P, N = halve(P, 1), halve(N, -1)
    D = torch.tensor([1.0, -1.0], dtype=X4.dtype, device=X4.device).reshape(1, 2, 1, 1)
    return F.conv2d(torch.cat([P, N], 1), D)

def max_pool_from_relu(X, pool_size):
    p_h, p_w = pair(pool_size)
    X4 = X.reshape(-1, 1, *X.shape[-2:])
    Y = pool_rows(X4, p_w)                                    # (N, 1, H, W // p_w)
    Y = pool_rows(Y.transpose(-1, -2), p_h).transpose(-1, -2)  # columns as rows
    return Y.reshape(*X.shape[:-2], *Y.shape[-2:])
    """),
    correct("max_pool_from_relu", "kernels from X.new_zeros, skip connections with torch.cat",
            PAIR + """
def max_pool_from_relu(X, pool_size):
    p_h, p_w = pair(pool_size)
    n = p_h * p_w
    lead, (H, W) = X.shape[:-2], X.shape[-2:]
    E = X.new_zeros(2 * n, 1, p_h, p_w)
    for i in range(n):
        E[i, 0, i // p_w, i % p_w] = 1.0
        E[n + i, 0, i // p_w, i % p_w] = -1.0
    Z = F.relu(F.conv2d(X.reshape(-1, 1, H, W), E, stride=(p_h, p_w)))
    groups = [Z[:, :n], Z[:, n:]]           # positive parts, negative parts
    for g, sign in enumerate((1.0, -1.0)):
        Q = groups[g]
        while Q.shape[1] > 1:
            m, half = Q.shape[1], Q.shape[1] // 2
            diff = X.new_zeros(half, m, 1, 1)
            for j in range(half):
                diff[j, 2 * j, 0, 0], diff[j, 2 * j + 1, 0, 0] = sign, -sign
            R = F.relu(F.conv2d(Q, diff))   # ReLU(u - v) or ReLU(v - u)
            out = X.new_zeros((m + 1) // 2, half + m, 1, 1)
            for j in range(half):
                out[j, j, 0, 0] = sign      # + ReLU(u - v) or - ReLU(v - u)
                out[j, half + 2 * j + 1, 0, 0] = 1.0   # + v
            if m % 2:
                out[-1, half + m - 1, 0, 0] = 1.0
            Q = F.conv2d(torch.cat([R, Q], 1), out)
        groups[g] = Q
    last = X.new_zeros(1, 2, 1, 1)
    last[0, 0, 0, 0], last[0, 1, 0, 0] = 1.0, -1.0
    Y = F.conv2d(torch.cat(groups, 1), last)
    return Y.reshape(*lead, *Y.shape[-2:])
    """),
]

# b + ReLU(a - b) with b = ReLU(b) - ReLU(-b), a tree over the window's
# entries: right for ordinary values, 0 where an ordinary maximum shares its
# window with -1e20
NAIVE = PAIR + """
def max_pool_from_relu(X, pool_size):
    p_h, p_w = pair(pool_size)
    n = p_h * p_w
    opts = dict(dtype=X.dtype, device=X.device)
    E = torch.eye(n, **opts).reshape(n, 1, p_h, p_w)
    Z = F.conv2d(X.reshape(-1, 1, *X.shape[-2:]), E, stride=(p_h, p_w))
    while Z.shape[1] > 1:
        m = Z.shape[1]
        A, B = [], []
        for j in range(0, m - 1, 2):
            d, v = [0.0] * m, [0.0] * m
            d[j], d[j + 1], v[j + 1] = 1.0, -1.0, 1.0
            A += [d, v, [-x for x in v]]
        if m % 2:
            v = [0.0] * m
            v[m - 1] = 1.0
            A += [v, [-x for x in v]]
        for j in range(m // 2):
            row = [0.0] * len(A)
            row[3 * j], row[3 * j + 1], row[3 * j + 2] = 1.0, 1.0, -1.0
            B.append(row)
        if m % 2:
            row = [0.0] * len(A)
            row[-2], row[-1] = 1.0, -1.0
            B.append(row)
        A = torch.tensor(A, **opts)[:, :, None, None]
        B = torch.tensor(B, **opts)[:, :, None, None]
        Z = F.conv2d(F.relu(F.conv2d(Z, A)), B)
    return Z.reshape(*X.shape[:-2], *Z.shape[-2:])
"""

WINDOWS = PAIR + """
def windows(X, p_h, p_w):
    # the n entries of each window as n channels: (N, n, H', W')
    n = p_h * p_w
    E = torch.eye(n, dtype=X.dtype, device=X.device).reshape(n, 1, p_h, p_w)
    return F.conv2d(X.reshape(-1, 1, *X.shape[-2:]), E, stride=(p_h, p_w))
"""

WRONG = [
    wrong("max_pool_from_relu", "naive b + ReLU(a - b): cancels beside -1e20", "stability",
          NAIVE),
    wrong("max_pool_from_relu", "ReLU and Python + and - on slices (not layers)", "structure",
          PAIR + """
def max_pool_from_relu(X, pool_size):
    p_h, p_w = pair(pool_size)
    H, W = X.shape[-2] // p_h * p_h, X.shape[-1] // p_w * p_w
    P, N = F.relu(X[..., :H, :W]), F.relu(-X[..., :H, :W])
    def tree(Q, sign):
        parts = [Q[..., a::p_h, b::p_w] for a in range(p_h) for b in range(p_w)]
        while len(parts) > 1:
            nxt = [v + sign * F.relu(sign * (u - v)) for u, v in zip(parts[::2], parts[1::2])]
            parts = nxt + parts[len(nxt) * 2:]
        return parts[0]
    return tree(P, 1) - tree(N, -1)
    """),
    wrong("max_pool_from_relu", "F.max_pool2d", "structure", """
        def max_pool_from_relu(X, pool_size):
            Y = F.max_pool2d(X.reshape(-1, 1, *X.shape[-2:]), pool_size)
            return Y.reshape(*X.shape[:-2], *Y.shape[-2:])
    """),
    wrong("max_pool_from_relu", "the window entries as channels, then amax", "structure",
          WINDOWS + """
def max_pool_from_relu(X, pool_size):
    Y = windows(X, *pair(pool_size)).amax(1)
    return Y.reshape(*X.shape[:-2], *Y.shape[-2:])
    """),
    wrong("max_pool_from_relu", "the window entries as channels, then torch.max", "structure",
          WINDOWS + """
def max_pool_from_relu(X, pool_size):
    Y = torch.max(windows(X, *pair(pool_size)), dim=1).values
    return Y.reshape(*X.shape[:-2], *Y.shape[-2:])
    """),
    wrong("max_pool_from_relu", "the window entries as channels, sorted", "structure",
          WINDOWS + """
def max_pool_from_relu(X, pool_size):
    Y = windows(X, *pair(pool_size)).sort(dim=1).values[:, -1]
    return Y.reshape(*X.shape[:-2], *Y.shape[-2:])
    """),
    wrong("max_pool_from_relu", "F.unfold and a max, then an identity convolution", "structure",
          PAIR + """
def max_pool_from_relu(X, pool_size):
    p_h, p_w = pair(pool_size)
    H, W = X.shape[-2:]
    cols = F.unfold(X.reshape(-1, 1, H, W), (p_h, p_w), stride=(p_h, p_w))
    Y = cols.amax(1).reshape(-1, 1, H // p_h, W // p_w)
    Y = F.conv2d(Y, torch.ones(1, 1, 1, 1, dtype=X.dtype, device=X.device))
    return Y.reshape(*X.shape[:-2], H // p_h, W // p_w)
    """),
    wrong("max_pool_from_relu", "a NumPy detour, then a convolution", "structure grad",
          PAIR + """
def max_pool_from_relu(X, pool_size):
    p_h, p_w = pair(pool_size)
    H, W = X.shape[-2] // p_h, X.shape[-1] // p_w
    A = X.detach().cpu().numpy()[..., :H * p_h, :W * p_w]
    A = A.reshape(*A.shape[:-2], H, p_h, W, p_w).max(axis=(-3, -1))
    Y = torch.from_numpy(np.ascontiguousarray(A)).to(X.device).reshape(-1, 1, H, W)
    Y = F.conv2d(Y, torch.ones(1, 1, 1, 1, dtype=X.dtype, device=X.device))
    return Y.reshape(*X.shape[:-2], H, W)
    """),
    wrong("max_pool_from_relu", "clamp(min=0) instead of ReLU", "structure",
          PAIR + HALVE.replace("F.relu(", "torch.clamp(min=0, input=") + SPLIT + """
def max_pool_from_relu(X, pool_size):
    p_h, p_w = pair(pool_size)
    P, N = split(X, p_h, p_w)
    while P.shape[1] > 1:
        P, N = halve(P, 1), halve(N, -1)
    D = torch.tensor([1.0, -1.0], dtype=X.dtype, device=X.device).reshape(1, 2, 1, 1)
    Y = F.conv2d(torch.cat([P, N], 1), D)
    return Y.reshape(*X.shape[:-2], *Y.shape[-2:])
    """),
    wrong("max_pool_from_relu", "stride 1: overlapping windows", "values shape stability",
          PAIR + HALVE + """
def max_pool_from_relu(X, pool_size):
    p_h, p_w = pair(pool_size)
    n = p_h * p_w
    E = torch.eye(n, dtype=X.dtype, device=X.device).reshape(n, 1, p_h, p_w)
    Z = F.relu(F.conv2d(X.reshape(-1, 1, *X.shape[-2:]), torch.cat([E, -E])))
    P, N = Z[:, :n], Z[:, n:]
    while P.shape[1] > 1:
        P, N = halve(P, 1), halve(N, -1)
    D = torch.tensor([1.0, -1.0], dtype=X.dtype, device=X.device).reshape(1, 2, 1, 1)
    Y = F.conv2d(torch.cat([P, N], 1), D)
    return Y.reshape(*X.shape[:-2], *Y.shape[-2:])
    """),
    wrong("max_pool_from_relu", "only the positive parts: negative maxima become 0", "values",
          may="shape dtype devices grad unchanged structure",
          source=PAIR + HALVE + SPLIT + """
def max_pool_from_relu(X, pool_size):
    p_h, p_w = pair(pool_size)
    P, _ = split(X, p_h, p_w)
    while P.shape[1] > 1:
        P = halve(P, 1)
    return P.reshape(*X.shape[:-2], *P.shape[-2:])
    """),
    wrong("max_pool_from_relu", "computes in float32", "dtype", PAIR + HALVE + SPLIT + """
def max_pool_from_relu(X, pool_size):
    p_h, p_w = pair(pool_size)
    P, N = split(X.float(), p_h, p_w)
    while P.shape[1] > 1:
        P, N = halve(P, 1), halve(N, -1)
    D = torch.tensor([1.0, -1.0]).reshape(1, 2, 1, 1)
    Y = F.conv2d(torch.cat([P, N], 1), D)
    return Y.reshape(*X.shape[:-2], *Y.shape[-2:])
    """),
    wrong("max_pool_from_relu", "detached from the input", "grad", PAIR + HALVE + SPLIT + """
def max_pool_from_relu(X, pool_size):
    p_h, p_w = pair(pool_size)
    P, N = split(X.detach(), p_h, p_w)
    while P.shape[1] > 1:
        P, N = halve(P, 1), halve(N, -1)
    D = torch.tensor([1.0, -1.0], dtype=X.dtype, device=X.device).reshape(1, 2, 1, 1)
    Y = F.conv2d(torch.cat([P, N], 1), D)
    return Y.reshape(*X.shape[:-2], *Y.shape[-2:])
    """),
]

HEADER = """\
    k = (pool_size, pool_size) if isinstance(pool_size, int) else tuple(pool_size)
    h, w = X.shape[-2] // k[0], X.shape[-1] // k[1]
    shape, like = (*X.shape[:-2], h, w), X
"""
STUBS = tensor_stubs("max_pool_from_relu", HEADER, "X[..., :h, :w].clone()")


@pytest.mark.parametrize("answer", CORRECT + WRONG + STUBS, ids=str)
def test_answer(answer):
    """Does the answer earn what it should (corpus.check)?"""
    check(answer)


def test_structure_message_names_the_foreign_op():
    """Does the structure message name the op that touched the data?"""
    text = message(WRONG, "the window entries as channels, then amax", "structure")
    assert "amax" in text and "rules out" in text


def test_stability_message_shows_the_lost_maximum():
    """Does the naive answer's message show a window with -1e20 in it?"""
    text = message(WRONG, "naive b + ReLU(a - b): cancels beside -1e20", "stability")
    assert "e+20" in text and "expected:" in text
