"""Reference answers for the assignment `layers`: output shapes, convolution matrix, activations"""

import torch
import torch.nn.functional as F

from ._args import _check_ndim, _pair


def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
    """(H_out, W_out) of nn.Conv2d on an input of spatial size input_hw (H, W)

    H_out = (H + 2 p_h - d_h (k_h - 1) - 1) // s_h + 1, the same for W; every
    argument is an int or a pair; ValueError where nn.Conv2d would fail
    """
    H, W = _pair(input_hw, "input_hw", minimum=1)
    k = _pair(kernel_size, "kernel_size", minimum=1)
    s = _pair(stride, "stride", minimum=1)
    p = _pair(padding, "padding", minimum=0)
    d = _pair(dilation, "dilation", minimum=1)
    out = []
    for size, k_, s_, p_, d_ in zip((H, W), k, s, p, d):
        # the dilated kernel must fit in the padded input
        if d_ * (k_ - 1) + 1 > size + 2 * p_:
            raise ValueError(
                f"kernel_size={kernel_size} with dilation={dilation} is bigger than the "
                f"input {(H, W)} padded by {padding}"
            )
        out.append((size + 2 * p_ - d_ * (k_ - 1) - 1) // s_ + 1)
    return tuple(out)


def conv_transpose2d_output_shape(
    input_hw, kernel_size, stride=1, padding=0, output_padding=0, dilation=1
):
    """(H_out, W_out) of nn.ConvTranspose2d on an input of spatial size input_hw (H, W)

    H_out = (H - 1) s_h - 2 p_h + d_h (k_h - 1) + output_padding_h + 1, the same for W;
    ValueError where nn.ConvTranspose2d would fail
    """
    H, W = _pair(input_hw, "input_hw", minimum=1)
    k = _pair(kernel_size, "kernel_size", minimum=1)
    s = _pair(stride, "stride", minimum=1)
    p = _pair(padding, "padding", minimum=0)
    op = _pair(output_padding, "output_padding", minimum=0)
    d = _pair(dilation, "dilation", minimum=1)
    out = []
    for size, k_, s_, p_, op_, d_ in zip((H, W), k, s, p, op, d):
        if op_ >= s_ and op_ >= d_:
            raise ValueError(
                f"output_padding={output_padding} must be smaller than either "
                f"stride={stride} or dilation={dilation}"
            )
        out.append((size - 1) * s_ - 2 * p_ + d_ * (k_ - 1) + op_ + 1)
    if min(out) < 1:
        raise ValueError(f"output size {tuple(out)} is too small (padding={padding})")
    return tuple(out)


def pool2d_output_shape(input_hw, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """(H_out, W_out) of nn.MaxPool2d on an input of spatial size input_hw (H, W)

    H_out = floor or ceil of (H + 2 p_h - d_h (k_h - 1) - 1) / s_h, plus 1; in ceil
    mode a last window that would start at or beyond H + p_h (past the input and
    its left padding) is dropped; stride=None means stride = kernel_size;
    ValueError where nn.MaxPool2d raises (padding > kernel_size / 2, output < 1)
    """
    H, W = _pair(input_hw, "input_hw", minimum=1)
    k = _pair(kernel_size, "kernel_size", minimum=1)
    s = k if stride is None else _pair(stride, "stride", minimum=1)
    p = _pair(padding, "padding", minimum=0)
    d = _pair(dilation, "dilation", minimum=1)
    out = []
    for size, k_, s_, p_, d_ in zip((H, W), k, s, p, d):
        if p_ > k_ // 2:
            raise ValueError(f"padding={padding} must be at most half of kernel_size={kernel_size}")
        span = size + 2 * p_ - d_ * (k_ - 1) - 1
        n = (-(-span // s_) if ceil_mode else span // s_) + 1
        # ceil mode: the last window must start inside the input or the left padding
        if ceil_mode and (n - 1) * s_ >= size + p_:
            n -= 1
        out.append(n)
    if min(out) < 1:
        raise ValueError(
            f"output size {tuple(out)} is too small: the pooling window does not fit in "
            f"the input {(H, W)}"
        )
    return tuple(out)


def conv_matrix(K, input_hw):
    """Dense matrix C with corr2d(X, K).flatten() == C @ X.flatten()

    K (k_h, k_w), input_hw (h, w) -> C (h' w', h w) with h' = h - k_h + 1,
    w' = w - k_w + 1; dtype and device of K; differentiable w.r.t. K
    """
    _check_ndim(K, 2, "K", "(k_h, k_w)")
    h, w = _pair(input_hw, "input_hw", minimum=1)
    k_h, k_w = K.shape
    if k_h > h or k_w > w:
        raise ValueError(f"K {tuple(K.shape)} is bigger than the input {(h, w)}")
    # column j of C is the cross-correlation of the j-th unit image with K
    E = torch.eye(h * w, dtype=K.dtype, device=K.device).reshape(h * w, 1, h, w)
    columns = F.conv2d(E, K[None, None]).reshape(h * w, -1)
    return columns.T.contiguous()


def transposed_conv_via_matrix(Y, K):
    """Transposed convolution (stride 1, no padding) as C^T @ vec(Y)

    Y (h, w), K (k_h, k_w) -> (h + k_h - 1, w + k_w - 1), where C = conv_matrix(K, that shape);
    equals F.conv_transpose2d(Y[None, None], K[None, None])[0, 0]
    """
    _check_ndim(Y, 2, "Y", "(h, w)")
    _check_ndim(K, 2, "K", "(k_h, k_w)")
    out_hw = (Y.shape[0] + K.shape[0] - 1, Y.shape[1] + K.shape[1] - 1)
    C = conv_matrix(K, out_hw)
    return (C.T @ Y.reshape(-1)).reshape(out_hw)


def linear(x, weight, bias=None):
    """x (..., in), weight (out, in), bias (out,) or None -> x weight^T + bias (..., out)"""
    return F.linear(x, weight, bias)


def sigmoid_grad(y):
    """d sigmoid / dx written through the output y = sigmoid(x): y (1 - y), same shape as y"""
    return y * (1 - y)


def tanh_grad(y):
    """d tanh / dx written through the output y = tanh(x): 1 - y^2, same shape as y"""
    return 1 - y * y


def tanh_via_sigmoid(x):
    """tanh(x) = 2 sigmoid(2x) - 1, same shape as x"""
    return 2 * torch.sigmoid(2 * x) - 1
