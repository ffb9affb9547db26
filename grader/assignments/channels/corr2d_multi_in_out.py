"""corr2d_multi_in_out(X, K): one multi-input cross-correlation per output
channel

X (c_i, h, w), K (c_o, c_i, k_h, k_w) -> Y (c_o, h - k_h + 1, w - k_w + 1):
output channel o is the multi-input cross-correlation of X with K[o].
ValueError unless X is 3-D and K 4-D.
"""
import torch.nn.functional as F

from grader.assignments.args import check_ndim
from grader.assignments.calls import grad_calls, magnitudes, rand, tensor_calls
from grader.assignments.spec import Spec, tensor_aspects

from .inputs import K_OUT, KINDS, X_MULTI, image_and_kernel

SPEC = Spec(tensor_aspects())


def reference(X, K):
    check_ndim(X, 3, "X", "(c_i, h, w)")
    check_ndim(K, 4, "K", "(c_o, c_i, k_h, k_w)")
    return F.conv2d(X[None], K)[0]


def public():
    """The chapter's worked example"""
    return tensor_calls((X_MULTI, K_OUT))


def hidden(rng):
    calls = []
    # c_o != c_i often
    for i in range(10):
        c_i, c_o = [(1, 3), (2, 1), (3, 2), (2, 4), (1, 1)][i % 5]
        hw, k = image_and_kernel(rng, 6, 3)
        kind = KINDS[i % len(KINDS)]
        X, K = rand(rng, (c_i, *hw), kind), rand(rng, (c_o, c_i, *k), kind)
        calls += tensor_calls((X, K), grad=False, noncontig=i % 3 == 0)
        calls += tensor_calls((rand(rng, (c_i, *hw)), rand(rng, (c_o, c_i, *k))))[2:]
    # gradients where the numbers are huge or tiny, in float32 and float64
    for scale in (1e15, 1e-15):
        calls += grad_calls((magnitudes(rng, (2, 4, 5), scale),
                             magnitudes(rng, (3, 2, 2, 3), scale)))
    return calls
