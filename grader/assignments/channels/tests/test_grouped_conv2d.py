"""grouped_conv2d: answers in several styles earn every point, plausible wrong ones
lose the aspects they should, effort-free stubs earn nothing"""
import pytest

from grader.assignments.corpus import check, correct, message, tensor_stubs, wrong

CHECKS = """
    c_i, c_o = X.shape[0], K.shape[0]
    if c_i % groups or c_o % groups:
        raise ValueError(f"groups={groups} must divide c_i={c_i} and c_o={c_o}")
    if K.shape[1] != c_i // groups:
        raise ValueError(f"K must have {c_i // groups} input channels, got {K.shape[1]}")
"""

CORRECT = [
    correct("grouped_conv2d", "one F.conv2d per group, torch.cat (the notebook's)",
            "def grouped_conv2d(X, K, groups):" + CHECKS + """
    Xs, Ks = X.chunk(groups, 0), K.chunk(groups, 0)
    return torch.cat([F.conv2d(x[None], k)[0] for x, k in zip(Xs, Ks)], 0)
    """),
    correct("grouped_conv2d", "the block-diagonal kernel, one convolution",
            "def grouped_conv2d(X, K, groups):" + CHECKS + """
    n_i, n_o = c_i // groups, c_o // groups
    W = torch.zeros(c_o, c_i, *K.shape[2:], dtype=K.dtype, device=K.device)
    for j in range(groups):
        W[j * n_o:(j + 1) * n_o, j * n_i:(j + 1) * n_i] = K[j * n_o:(j + 1) * n_o]
    return F.conv2d(X[None], W)[0]
    """),
    correct("grouped_conv2d", "its own corr2d_multi_in_out per group (loops)", """
def corr2d(X, K):
    k_h, k_w = K.shape
    Y = torch.zeros(X.shape[0] - k_h + 1, X.shape[1] - k_w + 1, dtype=X.dtype, device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + k_h, j:j + k_w] * K).sum()
    return Y

def corr2d_multi_in_out(X, K):
    return torch.stack([sum(corr2d(x, k) for x, k in zip(X, k_o)) for k_o in K])

def grouped_conv2d(X, K, groups):""" + CHECKS + """
    n_i, n_o = c_i // groups, c_o // groups
    return torch.cat([corr2d_multi_in_out(X[j * n_i:(j + 1) * n_i], K[j * n_o:(j + 1) * n_o])
                      for j in range(groups)])
    """),
    correct("grouped_conv2d", "index ranges, a list of convolutions",
            "def grouped_conv2d(X, K, groups):" + CHECKS + """
    n_i, n_o = c_i // groups, c_o // groups
    outs = []
    for j in range(groups):
        k = K[j * n_o:(j + 1) * n_o]
        out = F.conv2d(X[None, j * n_i:(j + 1) * n_i], k)
        outs.append(out[0])
    return torch.cat(outs)
    """),
]

WRONG = [
    wrong("grouped_conv2d", "F.conv2d(..., groups=groups)", "structure",
          "def grouped_conv2d(X, K, groups):" + CHECKS + """
    return F.conv2d(X[None], K, groups=groups)[0]
    """),
    wrong("grouped_conv2d", "groups passed by position", "structure",
          "def grouped_conv2d(X, K, groups):" + CHECKS + """
    return F.conv2d(X[None], K, None, 1, 0, 1, groups)[0]
    """),
    wrong("grouped_conv2d", "nn.Conv2d(groups=...) with the weights set", "structure grad",
          "def grouped_conv2d(X, K, groups):" + CHECKS + """
    layer = nn.Conv2d(c_i, c_o, K.shape[2:], groups=groups, bias=False).to(X.dtype)
    with torch.no_grad():
        layer.weight.copy_(K)
    return layer(X[None])[0]
    """),
    wrong("grouped_conv2d", "no checks: a group size that does not divide", "errors", """
        def grouped_conv2d(X, K, groups):
            Xs, Ks = X.chunk(groups, 0), K.chunk(groups, 0)
            return torch.cat([F.conv2d(x[None], k)[0] for x, k in zip(Xs, Ks)], 0)
    """),
    wrong("grouped_conv2d", "input groups taken every g-th channel (X[j::g])", "values",
          may="shape dtype devices grad unchanged structure errors",
          source="def grouped_conv2d(X, K, groups):" + CHECKS + """
    n_o = c_o // groups
    return torch.cat([F.conv2d(X[None, j::groups], K[j * n_o:(j + 1) * n_o])[0]
                      for j in range(groups)], 0)
    """),
    wrong("grouped_conv2d", "output groups interleaved (Y[j::g])", "values",
          may="shape dtype devices grad unchanged structure errors",
          source="def grouped_conv2d(X, K, groups):" + CHECKS + """
    n_i, n_o = c_i // groups, c_o // groups
    Y = torch.cat([F.conv2d(X[None, j * n_i:(j + 1) * n_i], K[j::groups])[0]
                   for j in range(groups)], 0)
    return Y
    """),
    wrong("grouped_conv2d", "every output sees every input group (sums the groups)", "values",
          may="shape dtype devices grad unchanged structure errors",
          source="def grouped_conv2d(X, K, groups):" + CHECKS + """
    n_i = c_i // groups
    Y = sum(F.conv2d(X[None, j * n_i:(j + 1) * n_i], K) for j in range(groups))
    return Y[0]
    """),
    wrong("grouped_conv2d", "computes in float32", "dtype",
          "def grouped_conv2d(X, K, groups):" + CHECKS + """
    Xs, Ks = X.float().chunk(groups, 0), K.float().chunk(groups, 0)
    return torch.cat([F.conv2d(x[None], k)[0] for x, k in zip(Xs, Ks)], 0)
    """),
    wrong("grouped_conv2d", "the kernel detached", "grad",
          "def grouped_conv2d(X, K, groups):" + CHECKS + """
    Xs, Ks = X.chunk(groups, 0), K.detach().chunk(groups, 0)
    return torch.cat([F.conv2d(x[None], k)[0] for x, k in zip(Xs, Ks)], 0)
    """),
]

HEADER = """\
    h, w = X.shape[-2] - K.shape[-2] + 1, X.shape[-1] - K.shape[-1] + 1
    shape, like = (K.shape[0], h, w), X
"""
STUBS = tensor_stubs("grouped_conv2d", HEADER,
                     "X[:1, :h, :w].expand(K.shape[0], h, w).clone()")


@pytest.mark.parametrize("answer", CORRECT + WRONG + STUBS, ids=str)
def test_answer(answer):
    """Does the answer earn what it should (corpus.check)?"""
    check(answer)


def test_structure_message_names_the_grouped_convolution():
    text = message(WRONG, "groups passed by position", "structure")
    assert "grouped_convolution" in text and "rules out" in text
