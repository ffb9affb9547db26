"""Reference answers for the assignment `pooling`"""

import math

import torch
import torch.nn.functional as F

from ._args import _check_ndim, _int, _pair
from .layers import pool2d_output_shape

MODES = ("max", "avg")


def _check_mode(mode):
    if mode not in MODES:
        raise ValueError(f"unknown pooling mode {mode!r}: use one of {', '.join(map(repr, MODES))}")


def _windows(X, pool_size, stride, padding=0):
    """Check X (..., H, W) and the window; return X as (N, 1, H, W), window, stride, padding"""
    if X.dim() < 2:
        raise ValueError(f"X must have shape (..., H, W), got {tuple(X.shape)}")
    k = _pair(pool_size, "pool_size", minimum=1)
    s = k if stride is None else _pair(stride, "stride", minimum=1)
    p = _pair(padding, "padding")
    pool2d_output_shape(X.shape[-2:], k, s, p)
    return X.reshape(-1, 1, *X.shape[-2:]), k, s, p


def _restore(Y, X):
    """(N, 1, H', W') back to X's leading dims: (..., H', W')"""
    return Y.reshape(*X.shape[:-2], *Y.shape[-2:])


def pool2d(X, pool_size, mode="max"):
    """Max or average pooling with stride 1 and no padding

    X (h, w), pool_size p or (p_h, p_w) -> Y (h - p_h + 1, w - p_w + 1)
    """
    _check_mode(mode)
    _check_ndim(X, 2, "X", "(h, w)")
    return pool2d_strided(X, pool_size, stride=1, mode=mode)


def pool2d_strided(X, pool_size, stride=None, padding=0, mode="max"):
    """nn.MaxPool2d / nn.AvgPool2d with their defaults, on any leading dims

    X (..., H, W) -> Y (..., H', W'), H' = (H + 2 p - p_h) // s_h + 1; stride=None means
    stride = pool_size; padding per side; max ignores the padding, avg counts the padded zeros
    """
    _check_mode(mode)
    X4, k, s, p = _windows(X, pool_size, stride, padding)
    if mode == "max":
        Y = F.max_pool2d(X4, k, s, p)
    else:
        Y = F.avg_pool2d(X4, k, s, p, ceil_mode=False, count_include_pad=True)
    return _restore(Y, X)


def avg_pool_as_conv(X, pool_size, stride=None, padding=0):
    """Average pooling of X (N, C, H, W), equal to F.avg_pool2d (the reference may use it)"""
    _check_ndim(X, 4, "X", "(N, C, H, W)")
    _, k, s, p = _windows(X, pool_size, stride, padding)
    return F.avg_pool2d(X, k, s, p)


def max_pool_as_conv(X, pool_size, stride=None, padding=0):
    """Max pooling of X (N, C, H, W), equal to F.max_pool2d (the reference may use it)"""
    _check_ndim(X, 4, "X", "(N, C, H, W)")
    _, k, s, p = _windows(X, pool_size, stride, padding)
    return F.max_pool2d(X, k, s, p)


def pool_cost(c, h, w, pool_size, stride, padding):
    """Window elements a pooling layer visits: c * out_h * out_w * p_h * p_w

    out_h = (h + 2 pad_h - p_h) // s_h + 1 with pad_h per side, as nn.MaxPool2d;
    stride=None means stride = pool_size; returns a Python int
    """
    c = _int(c, "c")
    if c < 0:
        raise ValueError(f"c must be >= 0, got {c}")
    p_h, p_w = _pair(pool_size, "pool_size", minimum=1)
    s = (p_h, p_w) if stride is None else _pair(stride, "stride", minimum=1)
    out_h, out_w = pool2d_output_shape((h, w), (p_h, p_w), s, _pair(padding, "padding"))
    return c * out_h * out_w * p_h * p_w


def min_pool2d(X, pool_size, stride=None, padding=0):
    """Minimum over each window, -max_pool(-X); the padding never wins

    X (..., H, W) -> Y (..., H', W'), shapes and arguments as pool2d_strided
    """
    X4, k, s, p = _windows(X, pool_size, stride, padding)
    # max pooling pads with -inf, so the negated padding is +inf
    return _restore(-F.max_pool2d(-X4, k, s, p), X)


def softmax_pool2d(X, pool_size, stride=None, beta=1.0):
    """Each window -> sum_i softmax(beta x)_i x_i, no padding

    X (..., H, W) -> Y (..., H', W'), H' = (H - p_h) // s_h + 1; beta = 0 is average
    pooling, beta -> +inf max pooling (beta = +inf is exactly max), beta -> -inf min
    """
    X4, k, s, _ = _windows(X, pool_size, stride)
    if math.isinf(beta):
        Y = F.max_pool2d(X4, k, s) if beta > 0 else -F.max_pool2d(-X4, k, s)
        return _restore(Y, X)
    cols = F.unfold(X4, k, stride=s)  # (N, p_h * p_w, L)
    # subtract the window max of beta * x (a constant per window, so no gradient
    # is lost): the exponents are <= 0 and cannot overflow, however large beta * x
    top = cols.amax(dim=1, keepdim=True) if beta >= 0 else cols.amin(dim=1, keepdim=True)
    weights = torch.softmax(beta * (cols - top.detach()), dim=1)
    Y = (weights * cols).sum(dim=1)
    out_h, out_w = pool2d_output_shape(X.shape[-2:], k, s)
    return _restore(Y.reshape(-1, 1, out_h, out_w), X)
