"""corr2d_multi_in(X, K): cross-correlation summed over the input channels

X (c_i, h, w), K (c_i, k_h, k_w) -> Y (h - k_h + 1, w - k_w + 1): the sum
over the channels of each channel's 2-D cross-correlation with its own
kernel. ValueError unless X and K are 3-D.
"""
import torch.nn.functional as F

from grader.assignments.args import check_ndim
from grader.assignments.calls import grad_calls, magnitudes, rand, tensor_calls
from grader.assignments.spec import Spec, tensor_aspects

from .inputs import K_MULTI, KINDS, X_MULTI, image_and_kernel

SPEC = Spec(tensor_aspects())


def reference(X, K):
    check_ndim(X, 3, "X", "(c_i, h, w)")
    check_ndim(K, 3, "K", "(c_i, k_h, k_w)")
    return F.conv2d(X[None], K[None])[0, 0]


def public():
    """The chapter's worked example"""
    return tensor_calls((X_MULTI, K_MULTI))


def hidden(rng):
    calls = []
    for i in range(10):
        c_i = [1, 2, 3, 4][i % 4]
        hw, k = image_and_kernel(rng, 7, 3)
        kind = KINDS[i % len(KINDS)]
        X, K = rand(rng, (c_i, *hw), kind), rand(rng, (c_i, *k), kind)
        calls += tensor_calls((X, K), grad=False, noncontig=i % 3 == 2)
        calls += tensor_calls((rand(rng, (c_i, *hw)), rand(rng, (c_i, *k))))[2:]
    # gradients where the numbers are huge or tiny, in float32 and float64
    for scale in (1e15, 1e-15):
        calls += grad_calls((magnitudes(rng, (2, 4, 5), scale),
                             magnitudes(rng, (2, 2, 3), scale)))
    return calls
