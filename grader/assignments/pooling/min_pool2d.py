"""min_pool2d(X, pool_size, stride=None, padding=0): min pooling

X (..., H, W) -> the minimum of each window, (..., H', W'), shapes and
arguments as pool2d_strided's: -max_pool(-X), so a padded position never
wins.
"""
import torch.nn.functional as F

from grader.assignments.calls import grad_calls, magnitudes, rand, tensor_calls
from grader.assignments.spec import Spec, tensor_aspects

from .windows import KINDS, X4, restore, strided_args, windows

SPEC = Spec(tensor_aspects(values=2), column="min_pool")


def reference(X, pool_size, stride=None, padding=0):
    X4_, k, s, p = windows(X, pool_size, stride, padding)
    # max pooling pads with -inf, so the negated padding is +inf
    return restore(-F.max_pool2d(-X4_, k, s, p), X)


def public():
    """The chapter's worked examples"""
    return tensor_calls((X4, 2)) + tensor_calls((X4[0, 0] - 8, 3), {"stride": 1, "padding": 1})


def hidden(rng):
    calls = []
    for i in range(14):
        lead = [(), (2,), (1, 3), (2, 1, 1)][i % 4]
        shape, size, stride, padding = strided_args(rng, lead)
        kwargs = {"stride": stride, "padding": padding}
        calls += tensor_calls((rand(rng, shape, KINDS[i % 4]), size), kwargs, grad=False,
                              noncontig=i % 3 == 2)
        calls += tensor_calls((rand(rng, shape, "distinct") + 100, size), kwargs)[2:]
    # gradients where the numbers are huge or tiny (no ties)
    for scale in (1e30, 1e-30):
        X = magnitudes(rng, (2, 5, 6), scale)
        calls += grad_calls((X, (2, 3)), {"stride": 1, "padding": (1, 1)})
    # padding next to huge positive values: a padding of +1e9 would win the window
    high = magnitudes(rng, (2, 5, 6), 1e30, positive=True) + 1
    kwargs = {"stride": 2, "padding": 1}
    calls += tensor_calls((high, 3), kwargs, grad=False)
    calls += grad_calls((high, 3), kwargs)
    return calls
