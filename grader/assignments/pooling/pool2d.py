"""pool2d(X, pool_size, mode='max'): max and average pooling by hand

X (h, w), pool_size (p_h, p_w) or an int -> Y (h - p_h + 1, w - p_w + 1):
the maximum (mode='max') or the mean (mode='avg') of each p_h x p_w window,
stride 1, no padding. Any other mode raises ValueError. The result keeps X's
dtype and device, is differentiable, and X is left unchanged.
"""
from grader.assignments.args import check_ndim
from grader.assignments.calls import (error_call, grad_calls, magnitudes, rand, randint,
                                      tensor_calls)
from grader.assignments.spec import Spec, tensor_aspects

from .pool2d_strided import reference as strided
from .windows import BAD_MODES, KINDS, X3, check_mode

SPEC = Spec(tensor_aspects(errors=1))


def reference(X, pool_size, mode="max"):
    check_mode(mode)
    check_ndim(X, 2, "X", "(h, w)")
    return strided(X, pool_size, stride=1, mode=mode)


def public():
    """The chapter's worked examples"""
    return (tensor_calls((X3, (2, 2))) + tensor_calls((X3, (2, 2), "avg"))
            + [error_call((X3, (2, 2), "min"))])


def hidden(rng):
    calls = []
    for i in range(10):
        h, w = randint(rng, 1, 7), randint(rng, 1, 7)
        size = randint(rng, 1, h), randint(rng, 1, w)
        for mode in ("max", "avg"):
            X = rand(rng, (h, w), KINDS[i % 4])
            calls += tensor_calls((X, size, mode), grad=False, noncontig=i % 3 == 0)
            calls += tensor_calls((rand(rng, (h, w), "distinct"), size, mode))[2:]
    calls += [error_call((rand(rng, (4, 4)), (2, 2), m)) for m in BAD_MODES]
    # gradients where the numbers are huge or tiny (no ties: max's gradient
    # there is any of several right answers)
    for scale in (1e30, 1e-30):
        for mode in ("max", "avg"):
            calls += grad_calls((magnitudes(rng, (5, 6), scale), (2, 3), mode))
    return calls
