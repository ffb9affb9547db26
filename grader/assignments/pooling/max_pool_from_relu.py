"""max_pool_from_relu(X, pool_size): max pooling from convolutions and ReLU

X (..., H, W) -> F.max_pool2d's result with stride = window and no padding,
(..., H // p_h, W // p_w), computed from convolutions (fixed kernels and
biases), ReLU and reshaping only: max(a, b) = b + ReLU(a - b), a tree of
pairwise maxima, one convolution and one ReLU per level. pool_size is an int
or a pair (p_h, p_w). Structure: no other op touches the input's data or
anything computed from it (not even + or -: those are convolutions too), and
the result comes through a convolution. Stability: an ordinary maximum
beside huge negative values in its window comes out right (the naive formula
cancels to 0; splitting values into positive and negative parts first does
not).
"""
from dataclasses import replace

import torch
import torch.nn.functional as F

from grader.assignments.calls import grad_calls, magnitudes, pick, rand, randint, tensor_calls
from grader.assignments.spec import Spec, tensor_aspects
from grader.checks.ops import CONV_OPS, INDEX_OPS, POOLING_OPS, RELU_OPS, RESHAPE_OPS

from .windows import KINDS, POOLING_NAMES, X4, pair_or_int, restore, windows

# the ops a network of convolution and ReLU layers is made of
LAYER_OPS = CONV_OPS | RELU_OPS | RESHAPE_OPS | INDEX_OPS
SPEC = Spec(tensor_aspects(values=2, structure=2, stability=1), forbidden_ops=POOLING_OPS,
            required_ops=CONV_OPS,
            forbidden_names=POOLING_NAMES + ("numpy", "array", "tolist"),
            how="only convolutions, ReLU and reshaping may touch the input's data",
            column="max_relu")
TRACED = {"extra": {"structure"}, "trace": True, "only_ops": LAYER_OPS}


def reference(X, pool_size):
    """Equal to F.max_pool2d with stride = window (the reference may use it)"""
    X4_, k, _, _ = windows(X, pool_size, None)
    return restore(F.max_pool2d(X4_, k), X)


def public():
    """The chapter's 4 x 4 example with a 2 x 2 window, a 3 x 3 window on a
    7 x 6 input with both signs, and for stability a 4 x 4 input of -1e20
    with one ordinary maximum per 2 x 2 window"""
    X76 = torch.arange(42, dtype=torch.float64).reshape(7, 6) % 11 - 5
    huge = torch.full((4, 4), -1e20, dtype=torch.float64)
    huge[0, 0], huge[1, 3], huge[3, 0], huge[2, 2] = 1.0, 2.5, 0.5, 3.0
    return (tensor_calls((X4, 2), **TRACED) + tensor_calls((X76, (3, 3)), **TRACED)
            + _stability(tensor_calls((huge, 2), grad=False, **TRACED)))


def hidden(rng):
    calls = []
    for i in range(12):
        lead = [(), (2,), (1, 3), (2, 1, 1)][i % 4]
        p_h, p_w = randint(rng, 1, 4), randint(rng, 1, 4)
        if p_h * p_w == 1:  # a 1 x 1 window returns its input: not a test
            p_w = 2
        H, W = randint(rng, p_h, 9), randint(rng, p_w, 9)  # often not multiples
        size = pair_or_int(rng, p_h, p_w)
        X = rand(rng, (*lead, H, W), KINDS[i % 4])
        calls += tensor_calls((X, size), grad=False, noncontig=i % 3 == 2, **TRACED)
        # gradients where the maximum is unique and nonzero: ReLU'(0) = 0
        # makes a tie or a zero maximum route its gradient differently
        calls += tensor_calls((magnitudes(rng, (*lead, H, W), 1.0), size), **TRACED)[2:]
    calls += grad_calls((magnitudes(rng, (2, 6, 6), 1.0), 3), **TRACED)
    calls += grad_calls((magnitudes(rng, (5, 8), 1e3), (2, 4)), **TRACED)
    # stability: windows whose maximum is ordinary while the rest is about
    # -1e20; b + ReLU(a - b) then returns 0 where the maximum is a
    for i, (shape, size) in enumerate([((6, 8), 2), ((2, 6, 9), (3, 3)), ((7, 4), (2, 4)),
                                       ((1, 9, 6), (3, 2))]):
        calls += _stability_calls(rng, shape, size, noncontig=i == 1)
    return calls


def _stability_calls(rng, shape, size, noncontig):
    """float32 and float64 calls judged for stability (and structure) only"""
    X = -1e20 * (1 + torch.rand(shape, generator=rng, dtype=torch.float64))
    p_h, p_w = (size, size) if isinstance(size, int) else size
    for i in range(shape[-2] // p_h):
        for j in range(shape[-1] // p_w):
            a, b = randint(rng, 0, p_h - 1), randint(rng, 0, p_w - 1)
            X[..., i * p_h + a, j * p_w + b] = pick(rng, [0.5, 1.0, 2.0, 3.0]) \
                + float(torch.rand((), generator=rng, dtype=torch.float64))
    return _stability(tensor_calls((X, size), grad=False, noncontig=noncontig, **TRACED))


def _stability(calls):
    """The calls, judged for stability (and structure) only"""
    return [replace(c, aspects=frozenset({"stability", "structure"})) for c in calls]
