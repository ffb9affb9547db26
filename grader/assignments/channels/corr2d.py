"""corr2d(X, K): 2-D cross-correlation (no kernel flip)

X (h, w), K (k_h, k_w) -> Y (h - k_h + 1, w - k_w + 1), with
Y[i, j] = sum over a, b of X[i + a, j + b] K[a, b]. ValueError unless X and
K are 2-D.
"""
import torch
import torch.nn.functional as F

from grader.assignments.args import check_ndim
from grader.assignments.calls import grad_calls, magnitudes, rand, tensor_calls
from grader.assignments.spec import Spec, tensor_aspects

from .inputs import F64, K2, KINDS, X3, image_and_kernel

SPEC = Spec(tensor_aspects())


def reference(X, K):
    check_ndim(X, 2, "X", "(h, w)")
    check_ndim(K, 2, "K", "(k_h, k_w)")
    return F.conv2d(X[None, None], K[None, None])[0, 0]


def public():
    """The chapter's worked examples"""
    return (tensor_calls((X3, K2))
            + tensor_calls((torch.ones(2, 4, dtype=F64), torch.tensor([[1.0, -1.0]], dtype=F64))))


def hidden(rng):
    calls = []
    # edge cases: a 1 x 1 kernel, a kernel as big as X
    shapes = [((1, 1), (1, 1)), ((5, 3), (5, 3)), ((4, 6), (1, 1)), ((2, 7), (2, 1)),
              ((6, 2), (1, 2))]
    shapes += [image_and_kernel(rng) for _ in range(9)]
    for i, (hw, k) in enumerate(shapes):
        kind = KINDS[i % len(KINDS)]
        X, K = rand(rng, hw, kind), rand(rng, k, kind if kind != "distinct" else "normal")
        calls += tensor_calls((X, K), grad=False, noncontig=i % 3 == 1)
        calls += tensor_calls((rand(rng, hw), rand(rng, k)))[2:]
    # gradients where the numbers are huge or tiny, in float32 and float64
    for scale in (1e15, 1e-15):
        calls += grad_calls((magnitudes(rng, (4, 5), scale), magnitudes(rng, (2, 3), scale)))
    return calls
