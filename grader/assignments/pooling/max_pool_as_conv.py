"""max_pool_as_conv(X, pool_size, stride=None, padding=0): max pooling from a
convolution

X (N, C, H, W) -> F.max_pool2d(X, pool_size, stride, padding), (N, C, H', W'):
a convolution with p_h p_w fixed one-hot kernels gathers each window's
elements into channels, then a max over those channels. A padded position
never wins the max, even where a whole window is negative. Structure: a
convolution makes the result; no pooling function and no unfold. Arguments
as pool2d_strided's.
"""
import torch.nn.functional as F

from grader.assignments.args import check_ndim
from grader.assignments.calls import grad_calls, magnitudes, rand, tensor_calls
from grader.assignments.spec import Spec, tensor_aspects
from grader.checks.ops import CONV_OPS, POOLING_OPS

from .windows import KINDS, POOLING_NAMES, X4, batch, strided_args, windows

SPEC = Spec(tensor_aspects(values=2, structure=2), forbidden_ops=POOLING_OPS,
            required_ops=CONV_OPS, forbidden_names=POOLING_NAMES,
            how="a convolution with fixed one-hot kernels, then a max over channels; "
                "no pooling function or unfold",
            column="max_conv")
TRACED = {"extra": {"structure"}, "trace": True}


def reference(X, pool_size, stride=None, padding=0):
    """Equal to F.max_pool2d (the reference may use it)"""
    check_ndim(X, 4, "X", "(N, C, H, W)")
    _, k, s, p = windows(X, pool_size, stride, padding)
    return F.max_pool2d(X, k, s, p)


def public():
    """The chapter's worked examples"""
    return (tensor_calls((X4, 2), **TRACED)
            + tensor_calls((X4, 3), {"stride": 2, "padding": 1}, **TRACED))


def hidden(rng):
    calls = []
    for i in range(10):
        shape, size, stride, padding = strided_args(rng, batch(rng))
        kwargs = {"stride": stride, "padding": padding}
        calls += tensor_calls((rand(rng, shape, KINDS[i % 4]), size), kwargs, grad=False,
                              noncontig=i % 4 == 3, **TRACED)
        calls += tensor_calls((rand(rng, shape, "distinct"), size), kwargs, **TRACED)[2:]
    # all-negative inputs with padding: a padded position must never win a max
    for i, (size, pad, stride) in enumerate([((3, 2), (1, 1), None), (3, 1, 2),
                                             ((2, 4), (1, 2), 1)]):
        X = rand(rng, (1, 2, 5, 6), "distinct")
        X = X - X.max() - 1
        calls += tensor_calls((X, size), {"stride": stride, "padding": pad},
                              noncontig=i == 1, **TRACED)
    # gradients where the numbers are huge or tiny (no ties)
    for scale in (1e30, 1e-30):
        X = magnitudes(rng, (1, 2, 5, 6), scale)
        calls += grad_calls((X, 3), {"stride": 2, "padding": 1}, **TRACED)
    # padding next to huge negative values: a padding of -1e9 would win the window
    low = -magnitudes(rng, (1, 2, 5, 6), 1e30, positive=True) - 1
    kwargs = {"stride": 2, "padding": 1}
    calls += tensor_calls((low, 3), kwargs, grad=False, **TRACED)
    calls += grad_calls((low, 3), kwargs, **TRACED)
    return calls
