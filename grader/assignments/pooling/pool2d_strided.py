"""pool2d_strided(X, pool_size, stride=None, padding=0, mode='max'): padding,
stride and leading dimensions

X (..., H, W) -> Y (..., H', W'), H' = (H + 2 q_h - p_h) // s_h + 1 (the
same for W), exactly nn.MaxPool2d / nn.AvgPool2d with their defaults: any
number of leading dimensions, pooled independently; stride=None means the
stride equals the window; padding is added on each side, max pooling never
picks a padded position, average pooling counts the padded zeros.
pool_size, stride and padding are an int or a pair. ValueError for an
unknown mode and where the layer raises (padding over half the window, a
window that does not fit).
"""
import torch.nn.functional as F

from grader.assignments.calls import grad_calls, magnitudes, rand, tensor_calls
from grader.assignments.spec import Spec, tensor_aspects

from .windows import KINDS, X4, check_mode, restore, strided_args, windows

SPEC = Spec(tensor_aspects(), column="strided")


def reference(X, pool_size, stride=None, padding=0, mode="max"):
    check_mode(mode)
    X4_, k, s, p = windows(X, pool_size, stride, padding)
    if mode == "max":
        Y = F.max_pool2d(X4_, k, s, p)
    else:
        Y = F.avg_pool2d(X4_, k, s, p, ceil_mode=False, count_include_pad=True)
    return restore(Y, X)


def public():
    """The chapter's worked examples"""
    return (tensor_calls((X4, 3))
            + tensor_calls((X4, 3), {"padding": 1, "stride": 2})
            + tensor_calls((X4, (2, 3)), {"stride": (2, 3), "padding": (0, 1)})
            + tensor_calls((X4[0, 0], (2, 2)), {"mode": "avg"}))


def hidden(rng):
    calls = []
    for i in range(14):
        lead = [(), (2,), (1, 3), (2, 1, 1)][i % 4]
        shape, size, stride, padding = strided_args(rng, lead)
        kwargs = {"stride": stride, "padding": padding}
        for mode in ("max", "avg"):
            X = rand(rng, shape, KINDS[i % 4])
            calls += tensor_calls((X, size), dict(kwargs, mode=mode), grad=False,
                                  noncontig=i % 3 == 1)
            calls += tensor_calls((rand(rng, shape, "distinct"), size), dict(kwargs, mode=mode))[2:]
    # all-negative inputs with padding: a padded position must never win a max
    for i, (size, pad, stride) in enumerate([((3, 2), (1, 1), None), (3, 1, 2),
                                             ((2, 4), (1, 2), 1)]):
        X = rand(rng, (2, 5, 6), "distinct")
        X = X - X.max() - 1
        calls += tensor_calls((X, size), {"stride": stride, "padding": pad, "mode": "max"},
                              noncontig=i == 1)
    # gradients where the numbers are huge or tiny (no ties)
    for scale in (1e30, 1e-30):
        for mode in ("max", "avg"):
            X = magnitudes(rng, (2, 5, 6), scale)
            calls += grad_calls((X, (3, 2)), {"stride": (2, 1), "padding": (1, 1), "mode": mode})
    # padding next to huge negative values: a padding of -1e9 would win the window
    low = -magnitudes(rng, (2, 5, 6), 1e30, positive=True) - 1
    kwargs = {"stride": 2, "padding": 1, "mode": "max"}
    calls += tensor_calls((low, 3), kwargs, grad=False)
    calls += grad_calls((low, 3), kwargs)
    return calls
