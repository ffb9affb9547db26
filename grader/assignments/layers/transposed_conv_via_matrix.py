"""transposed_conv_via_matrix(Y, K): the transposed convolution as the
transposed matrix

Stride 1, no padding: Y (h, w), K (k_h, k_w) -> (h + k_h - 1, w + k_w - 1),
the reshaped C^T @ Y.flatten() where C is the convolution matrix of K for
that output shape (so C @ X.flatten() is corr2d(X, K)); equal to
F.conv_transpose2d(Y[None, None], K[None, None])[0, 0]. ValueError unless Y
and K are 2-D.
"""
import torch

from grader.assignments.args import check_ndim
from grader.assignments.calls import grad_calls, magnitudes, rand, randint, tensor_calls
from grader.assignments.spec import Spec, tensor_aspects

from .conv_matrix import reference as conv_matrix
from .draws import F64, KINDS

SPEC = Spec(tensor_aspects())


def reference(Y, K):
    check_ndim(Y, 2, "Y", "(h, w)")
    check_ndim(K, 2, "K", "(k_h, k_w)")
    out_hw = (Y.shape[0] + K.shape[0] - 1, Y.shape[1] + K.shape[1] - 1)
    C = conv_matrix(K, out_hw)
    return (C.T @ Y.reshape(-1)).reshape(out_hw)


def public():
    """Small worked examples, as in the chapter"""
    return tensor_calls((torch.tensor([[0.0, 1.0], [2.0, 3.0]], dtype=F64),
                         torch.tensor([[0.0, 1.0], [2.0, 3.0]], dtype=F64)))


def hidden(rng):
    calls = []
    for i in range(10):
        h, w = randint(rng, 1, 5), randint(rng, 1, 5)
        k_h, k_w = randint(rng, 1, 4), randint(rng, 1, 4)
        kind = KINDS[i % len(KINDS)]
        Y, K = rand(rng, (h, w), kind), rand(rng, (k_h, k_w), kind)
        calls += tensor_calls((Y, K), grad=False, noncontig=i % 3 == 2)
        calls += tensor_calls((rand(rng, (h, w)), rand(rng, (k_h, k_w))))[2:]
    # gradients where the numbers are huge or tiny, in float32 and float64
    for scale in (1e15, 1e-15):
        calls += grad_calls((magnitudes(rng, (3, 4), scale), magnitudes(rng, (2, 3), scale)))
    return calls
