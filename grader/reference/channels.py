"""Reference answers for the assignment `channels` (multiple input and output channels)"""

import torch.nn.functional as F

from ._args import _check_ndim


def corr2d(X, K):
    """2-D cross-correlation (no kernel flip)

    X (h, w), K (k_h, k_w) -> Y (h - k_h + 1, w - k_w + 1)
    """
    _check_ndim(X, 2, "X", "(h, w)")
    _check_ndim(K, 2, "K", "(k_h, k_w)")
    return F.conv2d(X[None, None], K[None, None])[0, 0]


def corr2d_multi_in(X, K):
    """Cross-correlation summed over the input channels

    X (c_i, h, w), K (c_i, k_h, k_w) -> Y (h - k_h + 1, w - k_w + 1)
    """
    _check_ndim(X, 3, "X", "(c_i, h, w)")
    _check_ndim(K, 3, "K", "(c_i, k_h, k_w)")
    return F.conv2d(X[None], K[None])[0, 0]


def corr2d_multi_in_out(X, K):
    """One multi-input cross-correlation per output channel

    X (c_i, h, w), K (c_o, c_i, k_h, k_w) -> Y (c_o, h - k_h + 1, w - k_w + 1)
    """
    _check_ndim(X, 3, "X", "(c_i, h, w)")
    _check_ndim(K, 4, "K", "(c_o, c_i, k_h, k_w)")
    return F.conv2d(X[None], K)[0]


def corr2d_multi_in_out_1x1(X, K):
    """1x1 convolution as one matrix multiplication

    X (c_i, h, w), K (c_o, c_i, 1, 1) -> Y (c_o, h, w)
    """
    _check_ndim(X, 3, "X", "(c_i, h, w)")
    _check_ndim(K, 4, "K", "(c_o, c_i, 1, 1)")
    c_i, h, w = X.shape
    if K.shape[1:] != (c_i, 1, 1):
        raise ValueError(f"K must have shape (c_o, {c_i}, 1, 1), got {tuple(K.shape)}")
    c_o = K.shape[0]
    # (c_o, c_i) @ (c_i, h * w): every pixel is a vector of c_i features
    Y = K.reshape(c_o, c_i) @ X.reshape(c_i, h * w)
    return Y.reshape(c_o, h, w)
