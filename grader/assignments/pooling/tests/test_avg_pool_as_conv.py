"""avg_pool_as_conv: answers in several styles earn every point, plausible wrong ones
lose the aspects they should, effort-free stubs earn nothing"""
import textwrap

import pytest
import torch.nn.functional as F

from grader.assignments.corpus import check, correct, tensor_stubs, wrong
from grader.assignments.testing import load_answer, verdict
from grader.checks.specs import FUNCTIONS

PAIR = """
def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)
"""

CORRECT = [
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
]

WRONG = [
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
    wrong("avg_pool_as_conv", "kernel of ones: sums", "values",
          may="shape dtype devices grad unchanged structure", source=PAIR + """
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
STUBS = tensor_stubs("avg_pool_as_conv", HEADER, "X[..., :h, :w].clone()")


@pytest.mark.parametrize("answer", CORRECT + WRONG + STUBS, ids=str)
def test_answer(answer):
    """Does the answer earn what it should (corpus.check)?"""
    check(answer)


SLICED_AVG = textwrap.dedent('''
    def avg_pool_as_conv(X, pool_size, stride=None, padding=0):
        k = (pool_size, pool_size) if isinstance(pool_size, int) else tuple(pool_size)
        s = k if stride is None else ((stride, stride) if isinstance(stride, int) else stride)
        p = (padding, padding) if isinstance(padding, int) else tuple(padding)
        P = F.pad(X, (p[1], p[1], p[0], p[0]))
        h, w = (P.shape[-2] - k[0]) // s[0] + 1, (P.shape[-1] - k[1]) // s[1] + 1
        parts = [P[..., a:a + (h - 1) * s[0] + 1:s[0], b:b + (w - 1) * s[1] + 1:s[1]]
                 for a in range(k[0]) for b in range(k[1])]
        return torch.stack(parts).mean(0)
''')


def test_an_answer_that_never_convolves_fails_structure():
    fn = load_answer(SLICED_AVG, "avg_pool_as_conv")
    assert verdict("avg_pool_as_conv", "values", fn).passed
    v = verdict("avg_pool_as_conv", "structure", fn, SLICED_AVG)
    assert v.message.endswith("it never runs a convolution (a convolution with a fixed kernel, "
                              "no pooling function or unfold).")


RECURSIVE_AVG = textwrap.dedent('''
    def avg_pool_as_conv(X, pool_size, stride=None, padding=0):
        if isinstance(pool_size, int):
            return avg_pool_as_conv(X, (pool_size, pool_size), stride, padding)
        k_h, k_w = pool_size
        C = X.shape[1]
        K = torch.full((C, 1, k_h, k_w), 1 / (k_h * k_w), dtype=X.dtype, device=X.device)
        return F.conv2d(X, K, stride=stride or pool_size, padding=padding, groups=C)
''')


def test_a_recursive_answer_is_read_once():
    fn = load_answer(RECURSIVE_AVG, "avg_pool_as_conv")
    assert verdict("avg_pool_as_conv", "structure", fn, RECURSIVE_AVG).passed


def test_a_pooling_function_behind_arithmetic_is_named():
    """F.avg_pool2d on X * 1, plus 0: the message names the op and the rule"""
    v = verdict("avg_pool_as_conv", "structure",
                lambda X, k, stride=None, padding=0: F.avg_pool2d(X * 1, k, stride, padding) + 0)
    assert "avg_pool2d" in v.message and FUNCTIONS["avg_pool_as_conv"].how in v.message
