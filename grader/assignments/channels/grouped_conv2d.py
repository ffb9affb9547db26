"""grouped_conv2d(X, K, groups): a grouped convolution as g separate ones

X (c_i, h, w), K (c_o, c_i / g, k_h, k_w) -> Y (c_o, h - k_h + 1,
w - k_w + 1), equal to F.conv2d(X[None], K, groups=g)[0]: the input channels
fall into g consecutive groups of c_i / g, the output channels into g groups
of c_o / g, and output group j sees input group j only (block-diagonal
weights). ValueError when c_i or c_o is not divisible by g, or K.shape[1] is
not c_i / g, or X is not 3-D or K not 4-D. Structure: no convolution with
groups other than 1 (g convolutions of one group each, or one convolution
with the block-diagonal kernel, or any other way).
"""
import torch
import torch.nn.functional as F

from grader.assignments.args import as_int, check_ndim
from grader.assignments.calls import error_call, grad_calls, magnitudes, rand, tensor_calls
from grader.assignments.spec import Spec, tensor_aspects
from grader.checks.ops import GROUPED_CONV_OPS

from .inputs import K2, KINDS, X_MULTI, image_and_kernel

SPEC = Spec(tensor_aspects(errors=1, structure=2), forbidden_ops=GROUPED_CONV_OPS,
            how="g separate convolutions (or block-diagonal weights), no groups= "
                "passed to a built-in convolution",
            column="grouped")
TRACED = {"extra": {"structure"}, "trace": True}


def reference(X, K, groups):
    check_ndim(X, 3, "X", "(c_i, h, w)")
    check_ndim(K, 4, "K", "(c_o, c_i / groups, k_h, k_w)")
    g = as_int(groups, "groups")
    c_i, c_o = X.shape[0], K.shape[0]
    if g < 1 or c_i % g or c_o % g:
        raise ValueError(f"groups={g} must divide both c_i={c_i} and c_o={c_o}")
    if K.shape[1] != c_i // g:
        raise ValueError(f"K must have shape (c_o, c_i / groups = {c_i // g}, k_h, k_w), "
                         f"got {tuple(K.shape)}")
    return F.conv2d(X[None], K, groups=g)[0]


def public():
    """The chapter's two-channel input in two groups of one: output channels
    0 and 1 see input channel 0 only, 2 and 3 input channel 1"""
    K = torch.stack([K2, -K2, K2 + 1, K2.t()])[:, None]   # (4, 1, 2, 2)
    return (tensor_calls((X_MULTI, K, 2), **TRACED)
            + [error_call((X_MULTI, K[:3], 2))])   # 3 output channels, 2 groups


def hidden(rng):
    calls = []
    setups = [(4, 6, 2), (6, 3, 3), (2, 2, 2), (3, 6, 1), (8, 4, 4), (4, 8, 4), (6, 6, 3),
              (1, 3, 1), (6, 4, 2), (4, 4, 4)]
    for i, (c_i, c_o, g) in enumerate(setups):
        hw, k = image_and_kernel(rng, 6, 3)
        kind = KINDS[i % len(KINDS)]
        X, K = rand(rng, (c_i, *hw), kind), rand(rng, (c_o, c_i // g, *k), kind)
        calls += tensor_calls((X, K, g), grad=False, noncontig=i % 3 == 0, **TRACED)
        calls += tensor_calls((rand(rng, (c_i, *hw)), rand(rng, (c_o, c_i // g, *k)), g),
                              **TRACED)[2:]
    # groups that do not divide c_i or c_o, and kernels of the wrong width
    for c_i, c_o, g, width in [(4, 6, 3, 1), (6, 4, 3, 2), (5, 5, 2, 2), (4, 6, 2, 4),
                               (6, 6, 2, 2)]:
        calls.append(error_call((rand(rng, (c_i, 4, 4)), rand(rng, (c_o, width, 2, 2)), g)))
    # gradients where the numbers are huge or tiny, in float32 and float64
    for scale in (1e15, 1e-15):
        calls += grad_calls((magnitudes(rng, (4, 4, 5), scale),
                             magnitudes(rng, (6, 2, 2, 3), scale), 2), **TRACED)
    return calls
