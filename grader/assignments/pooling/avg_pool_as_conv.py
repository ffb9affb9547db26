"""avg_pool_as_conv(X, pool_size, stride=None, padding=0): average pooling is
a convolution

X (N, C, H, W) -> F.avg_pool2d(X, pool_size, stride, padding), (N, C, H', W'),
computed by a convolution with a fixed kernel holding 1 / (p_h p_w)
everywhere, on each channel separately. Structure: a convolution makes the
result; no pooling function and no unfold, however the call is spelled.
Arguments as pool2d_strided's.
"""
import torch.nn.functional as F

from grader.assignments.args import check_ndim
from grader.assignments.calls import grad_calls, magnitudes, rand, tensor_calls
from grader.assignments.spec import Spec, tensor_aspects
from grader.checks.ops import CONV_OPS, POOLING_OPS

from .windows import KINDS, POOLING_NAMES, X4, batch, strided_args, windows

SPEC = Spec(tensor_aspects(values=2, structure=2), forbidden_ops=POOLING_OPS,
            required_ops=CONV_OPS, forbidden_names=POOLING_NAMES,
            how="a convolution with a fixed kernel, no pooling function or unfold",
            column="avg_conv")
TRACED = {"extra": {"structure"}, "trace": True}


def reference(X, pool_size, stride=None, padding=0):
    """Equal to F.avg_pool2d (the reference may use it)"""
    check_ndim(X, 4, "X", "(N, C, H, W)")
    _, k, s, p = windows(X, pool_size, stride, padding)
    return F.avg_pool2d(X, k, s, p)


def public():
    """The chapter's worked examples"""
    return (tensor_calls((X4, 2), **TRACED)
            + tensor_calls((X4, 3), {"stride": 1, "padding": 1}, **TRACED))


def hidden(rng):
    calls = []
    for i in range(10):
        shape, size, stride, padding = strided_args(rng, batch(rng))
        kwargs = {"stride": stride, "padding": padding}
        calls += tensor_calls((rand(rng, shape, KINDS[i % 4]), size), kwargs, grad=False,
                              noncontig=i % 4 == 3, **TRACED)
        calls += tensor_calls((rand(rng, shape, "distinct"), size), kwargs, **TRACED)[2:]
    # gradients where the numbers are huge or tiny
    for scale in (1e30, 1e-30):
        X = magnitudes(rng, (1, 2, 5, 6), scale)
        calls += grad_calls((X, 3), {"stride": 2, "padding": 1}, **TRACED)
    return calls
