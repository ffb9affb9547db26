"""What the pooling references and cases share: the window arguments, the
output size, the worked examples' inputs and the pooling names a structure
rule forbids"""
import torch

from grader.assignments.args import as_pair
from grader.assignments.calls import pick, randint

MODES = ("max", "avg")

# The chapter's examples
X3 = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]], dtype=torch.float64)
X4 = torch.arange(16, dtype=torch.float64).reshape(1, 1, 4, 4)
BAD_MODES = ["min", "MAX", "average", "", "sum"]
KINDS = ["normal", "ints", "large", "normal"]

# Library names a "pooling as a convolution" answer must not use
POOLING_NAMES = ("max_pool", "avg_pool", "maxpool", "avgpool", "adaptive_",
                 "lp_pool", "fractional_max", "unfold", "im2col", "as_strided",
                 "sliding_window")


def check_mode(mode):
    if mode not in MODES:
        raise ValueError(f"unknown pooling mode {mode!r}: use one of {', '.join(map(repr, MODES))}")


def output_hw(input_hw, kernel_size, stride=None, padding=0):
    """(H', W') of nn.MaxPool2d (no dilation, floor mode) on an input of
    spatial size input_hw (H, W); ValueError where nn.MaxPool2d raises
    (padding > kernel_size / 2, output < 1)"""
    H, W = as_pair(input_hw, "input_hw", minimum=1)
    k = as_pair(kernel_size, "kernel_size", minimum=1)
    s = k if stride is None else as_pair(stride, "stride", minimum=1)
    p = as_pair(padding, "padding", minimum=0)
    out = []
    for size, k_, s_, p_ in zip((H, W), k, s, p):
        if p_ > k_ // 2:
            raise ValueError(f"padding={padding} must be at most half of kernel_size={kernel_size}")
        out.append((size + 2 * p_ - k_) // s_ + 1)
    if min(out) < 1:
        raise ValueError(
            f"output size {tuple(out)} is too small: the pooling window does not fit in "
            f"the input {(H, W)}"
        )
    return tuple(out)


def windows(X, pool_size, stride, padding=0):
    """Check X (..., H, W) and the window; return X as (N, 1, H, W), window, stride, padding"""
    if X.dim() < 2:
        raise ValueError(f"X must have shape (..., H, W), got {tuple(X.shape)}")
    k = as_pair(pool_size, "pool_size", minimum=1)
    s = k if stride is None else as_pair(stride, "stride", minimum=1)
    p = as_pair(padding, "padding")
    output_hw(X.shape[-2:], k, s, p)
    return X.reshape(-1, 1, *X.shape[-2:]), k, s, p


def restore(Y, X):
    """(N, 1, H', W') back to X's leading dims: (..., H', W')"""
    return Y.reshape(*X.shape[:-2], *Y.shape[-2:])


# --- drawing cases -------------------------------------------------------------

def pair_or_int(rng, a, b):
    return a if a == b and randint(rng, 0, 1) else (a, b)


def strided_args(rng, lead):
    """X (*lead, H, W), pool_size, stride, padding as nn.MaxPool2d accepts"""
    p_h, p_w = randint(rng, 1, 4), randint(rng, 1, 4)
    pad = (randint(rng, 0, p_h // 2), randint(rng, 0, p_w // 2))
    H = randint(rng, max(1, p_h - 2 * pad[0]), 9)
    W = randint(rng, max(1, p_w - 2 * pad[1]), 9)
    stride = pick(rng, [None, randint(rng, 1, 3), (randint(rng, 1, 3), randint(rng, 1, 3))])
    return (*lead, H, W), pair_or_int(rng, p_h, p_w), stride, pair_or_int(rng, *pad)


def batch(rng):
    """N and C of an (N, C, H, W) input"""
    return randint(rng, 1, 2), randint(rng, 1, 3)
