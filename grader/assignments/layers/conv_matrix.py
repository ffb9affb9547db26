"""conv_matrix(K, input_hw): the convolution as a matrix

The dense matrix C with corr2d(X, K).flatten() == C @ X.flatten():
K (k_h, k_w), input_hw (h, w) -> C (h' w', h w), h' = h - k_h + 1,
w' = w - k_w + 1. C has K's dtype and device and is differentiable with
respect to K. ValueError unless K is 2-D and fits in the input.
"""
import torch
import torch.nn.functional as F

from grader.assignments.args import as_pair, check_ndim
from grader.assignments.calls import grad_calls, magnitudes, rand, randint, tensor_calls
from grader.assignments.spec import Spec, tensor_aspects

from .draws import F64, KINDS

SPEC = Spec(tensor_aspects())


def reference(K, input_hw):
    check_ndim(K, 2, "K", "(k_h, k_w)")
    h, w = as_pair(input_hw, "input_hw", minimum=1)
    k_h, k_w = K.shape
    if k_h > h or k_w > w:
        raise ValueError(f"K {tuple(K.shape)} is bigger than the input {(h, w)}")
    # column j of C is the cross-correlation of the j-th unit image with K
    E = torch.eye(h * w, dtype=K.dtype, device=K.device).reshape(h * w, 1, h, w)
    columns = F.conv2d(E, K[None, None]).reshape(h * w, -1)
    return columns.T.contiguous()


def public():
    """Small worked examples, as in the chapter"""
    K = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=F64)
    return (tensor_calls((K, (3, 3)))
            + tensor_calls((torch.tensor([[1.0, -1.0]], dtype=F64), (2, 3))))


def hidden(rng):
    calls = []
    for i in range(10):
        k_h, k_w = randint(rng, 1, 4), randint(rng, 1, 4)
        h, w = randint(rng, k_h, 6), randint(rng, k_w, 6)
        K = rand(rng, (k_h, k_w), KINDS[i % len(KINDS)])
        calls += tensor_calls((K, (h, w)), grad=False, noncontig=i % 3 == 1)
        calls += tensor_calls((rand(rng, (k_h, k_w)), (h, w)))[2:]
    # gradients where the numbers are huge or tiny, in float32 and float64
    for scale in (1e15, 1e-15):
        calls += grad_calls((magnitudes(rng, (2, 3), scale), (4, 5)))
    return calls
