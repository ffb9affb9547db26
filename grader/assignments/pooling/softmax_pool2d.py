"""softmax_pool2d(X, pool_size, stride=None, beta=1.0): softmax pooling

X (..., H, W) -> Y (..., H', W'), H' = (H - p_h) // s_h + 1 (no padding):
each window's elements weighted by their softmax, sum_i softmax(beta x)_i x_i.
beta = 0 is average pooling, beta -> +inf max pooling (beta = +inf is
exactly max), beta -> -inf min pooling. The result stays finite however
large |beta x| is (subtract the window's maximum of beta x before exp).
"""
import math

import torch
import torch.nn.functional as F

from grader.assignments.calls import grad_calls, magnitudes, rand, randint, tensor_calls
from grader.assignments.spec import Spec, tensor_aspects

from .windows import KINDS, X3, output_hw, restore, strided_args, windows

SPEC = Spec(tensor_aspects(values=2, stability=1), column="softmax")


def reference(X, pool_size, stride=None, beta=1.0):
    X4_, k, s, _ = windows(X, pool_size, stride)
    if math.isinf(beta):
        Y = F.max_pool2d(X4_, k, s) if beta > 0 else -F.max_pool2d(-X4_, k, s)
        return restore(Y, X)
    cols = F.unfold(X4_, k, stride=s)  # (N, p_h * p_w, L)
    # subtract the window max of beta * x (a constant per window, so no gradient
    # is lost): the exponents are <= 0 and cannot overflow, however large beta * x
    top = cols.amax(dim=1, keepdim=True) if beta >= 0 else cols.amin(dim=1, keepdim=True)
    weights = torch.softmax(beta * (cols - top.detach()), dim=1)
    Y = (weights * cols).sum(dim=1)
    out_h, out_w = output_hw(X.shape[-2:], k, s)
    return restore(Y.reshape(-1, 1, out_h, out_w), X)


def public():
    """The chapter's worked examples"""
    # a stride of 1 too: with the window's stride X3 pools to one number,
    # which proves nothing for the other aspects (nothing for nothing)
    return (tensor_calls((X3, (2, 2)))
            + tensor_calls((X3, (2, 2)), {"stride": 1})
            + tensor_calls((X3, (2, 2)), {"beta": 0.0})
            + tensor_calls((X3 * 100, (2, 2)), {"beta": 10.0}, extra={"stability"},
                           grad=False))


def hidden(rng):
    calls = []
    for i, beta in enumerate([0.0, 1.0, -1.0, 2.5, 50.0, -50.0, 1.0, 0.5, 3.0, -2.0]):
        lead = [(), (2,), (1, 2)][i % 3]
        shape, size, stride, _ = strided_args(rng, lead)
        k = (size, size) if isinstance(size, int) else size
        if i % 2 == 1:  # overlapping or sparse windows: a stride unlike the window
            stride = (randint(rng, 1, 3), randint(rng, 1, 3))
            stride = stride if stride != k else (k[0] + 1, k[1])
        shape = (*lead, max(shape[-2], k[0] + 2), max(shape[-1], k[1] + 2))  # no padding
        X = rand(rng, shape, KINDS[i % 4] if KINDS[i % 4] != "large" else "normal")
        calls += tensor_calls((X, size), {"stride": stride, "beta": beta}, noncontig=i % 2 == 0)
    # stability: |beta x| in the thousands overflows exp unless the window's
    # max is subtracted; the values are 25 apart, so the weights are one-hot
    # whatever the rounding of beta x in float32 (fair to every stable method)
    for beta, stride in ((10.0, None), (-10.0, None), (1000.0, None), (-3.0, (1, 2))):
        X = rand(rng, (5, 6), "distinct") * 100
        calls += tensor_calls((X, (2, 3)), {"stride": stride, "beta": beta},
                              extra={"stability"}, grad=False)
    # near exp's overflow: beta x about 1000 overflows a float64 exp; the
    # window's values close enough for every weight to count. float64 only:
    # in float32, near its overflow (beta x about 90), rounding beta x moves
    # a stable method's gradient by more than the tolerance
    near = 100 + torch.randperm(24, generator=rng).double().reshape(4, 6) / 24
    for beta in (10.0, -10.0):
        calls += grad_calls((near, (2, 3)), {"beta": beta}, dtypes=(torch.float64,))
        calls += grad_calls((-near, (2, 2)), {"beta": beta}, dtypes=(torch.float64,))
    calls += grad_calls((magnitudes(rng, (4, 6), 1e4), (2, 2)), {"beta": 0.02})
    ties = rand(rng, (5, 6), "ints")  # many repeats: windows with equal values
    calls += grad_calls((ties, (2, 3)), {"stride": 1, "beta": 2.0})
    return calls
