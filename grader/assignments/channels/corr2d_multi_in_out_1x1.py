"""corr2d_multi_in_out_1x1(X, K): the 1 x 1 convolution as one matrix
multiplication

X (c_i, h, w), K (c_o, c_i, 1, 1) -> Y (c_o, h, w): every pixel is a vector
of c_i features, and Y's pixel is K (as a c_o x c_i matrix) times it.
Structure: a matrix multiplication makes the result; no convolution (nor
corr2d or unfold). ValueError unless X is 3-D and K is (c_o, c_i, 1, 1).
"""
import torch

from grader.assignments.args import check_ndim
from grader.assignments.calls import grad_calls, magnitudes, pick, rand, randint, tensor_calls
from grader.assignments.spec import Spec, tensor_aspects
from grader.checks.ops import CONV_OPS, MATMUL_OPS, POOLING_OPS

from .inputs import F64, KINDS, X_MULTI

SPEC = Spec(tensor_aspects(structure=2), forbidden_ops=CONV_OPS | POOLING_OPS,
            required_ops=MATMUL_OPS, forbidden_names=("conv", "corr2d", "unfold"),
            how="one matrix multiplication, no convolution")
TRACED = {"extra": {"structure"}, "trace": True}


def reference(X, K):
    check_ndim(X, 3, "X", "(c_i, h, w)")
    check_ndim(K, 4, "K", "(c_o, c_i, 1, 1)")
    c_i, h, w = X.shape
    if K.shape[1:] != (c_i, 1, 1):
        raise ValueError(f"K must have shape (c_o, {c_i}, 1, 1), got {tuple(K.shape)}")
    c_o = K.shape[0]
    # (c_o, c_i) @ (c_i, h * w): every pixel is a vector of c_i features
    Y = K.reshape(c_o, c_i) @ X.reshape(c_i, h * w)
    return Y.reshape(c_o, h, w)


def small_example():
    """The chapter's random 3x3x3 input and 2x3x1x1 kernel, fixed by a seed"""
    g = torch.Generator().manual_seed(0)
    X = torch.normal(0, 1, (3, 3, 3), generator=g, dtype=F64)
    K = torch.normal(0, 1, (2, 3, 1, 1), generator=g, dtype=F64)
    return X.round(decimals=2), K.round(decimals=2)


def public():
    """The chapter's worked examples"""
    return (tensor_calls(small_example(), **TRACED)
            + tensor_calls((X_MULTI, torch.tensor([[[[1.0]], [[-1.0]]]], dtype=F64)), **TRACED))


def hidden(rng):
    calls = []
    for i in range(8):
        c_i, c_o = [(3, 2), (1, 4), (4, 1), (2, 5), (5, 3), (1, 1)][i % 6]
        if i % 4 == 3:  # a single pixel, row or column
            h, w = pick(rng, [(1, 1), (1, 5), (4, 1)])
        else:  # at least 2 x 2: a transposed view is then really non-contiguous
            h, w = randint(rng, 2, 7), randint(rng, 2, 7)
        kind = KINDS[i % len(KINDS)]
        X, K = rand(rng, (c_i, h, w), kind), rand(rng, (c_o, c_i, 1, 1), kind)
        calls += tensor_calls((X, K), grad=False, noncontig=i % 4 == 1, **TRACED)
        calls += tensor_calls((rand(rng, (c_i, h, w)), rand(rng, (c_o, c_i, 1, 1))), **TRACED)[2:]
    # gradients where the numbers are huge or tiny, in float32 and float64
    for scale in (1e15, 1e-15):
        calls += grad_calls((magnitudes(rng, (3, 4, 5), scale),
                             magnitudes(rng, (2, 3, 1, 1), scale)), **TRACED)
    return calls
