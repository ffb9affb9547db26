"""conv2d_im2col(X, K): a convolution as one matrix product (im2col)

X (c_i, h, w), K (c_o, c_i, k_h, k_w) -> Y (c_o, h - k_h + 1, w - k_w + 1),
the values of corr2d_multi_in_out(X, K). Every c_i x k_h x k_w window of X
is copied into a column of a (c_i k_h k_w) x (h' w') matrix by indexing and
reshaping; K reshaped to c_o x (c_i k_h k_w) times that matrix is Y.
Structure: only reshaping, indexing and matrix products touch X and K or
what is computed from them (no convolution, no F.unfold, Tensor.unfold or
as_strided, no arithmetic such as a sum of shifted products), and the result
comes through a matrix product. ValueError unless X is 3-D and K 4-D.
"""
import torch
import torch.nn.functional as F

from grader.assignments.args import check_ndim
from grader.assignments.calls import grad_calls, magnitudes, rand, tensor_calls
from grader.assignments.spec import Spec, tensor_aspects
from grader.checks.ops import CONV_OPS, INDEX_OPS, MATMUL_OPS, POOLING_OPS, RESHAPE_OPS

from .inputs import F64, K_OUT, KINDS, X_MULTI, image_and_kernel

SPEC = Spec(tensor_aspects(structure=2), forbidden_ops=CONV_OPS | POOLING_OPS,
            required_ops=MATMUL_OPS,
            forbidden_names=("conv", "corr2d", "unfold", "im2col", "as_strided",
                             "sliding_window", "numpy", "tolist"),
            how="an im2col matrix built by indexing and reshaping, then one matrix "
                "product; no convolution, unfold or arithmetic on the data",
            column="im2col")
TRACED = {"extra": {"structure"}, "trace": True,
          "only_ops": RESHAPE_OPS | INDEX_OPS | MATMUL_OPS}


def reference(X, K):
    """Equal to corr2d_multi_in_out (the reference may convolve)"""
    check_ndim(X, 3, "X", "(c_i, h, w)")
    check_ndim(K, 4, "K", "(c_o, c_i, k_h, k_w)")
    return F.conv2d(X[None], K)[0]


def public():
    """The chapter's worked example, and a 2 x 3 kernel that tells the
    order of the rows of the im2col matrix apart"""
    K23 = torch.arange(24, dtype=F64).reshape(2, 2, 2, 3) - 12
    return tensor_calls((X_MULTI, K_OUT), **TRACED) + tensor_calls((X_MULTI, K23), **TRACED)


def hidden(rng):
    calls = []
    for i in range(10):
        c_i, c_o = [(1, 3), (2, 1), (3, 2), (2, 4), (4, 3)][i % 5]
        hw, k = image_and_kernel(rng, 7, 4)
        kind = KINDS[i % len(KINDS)]
        X, K = rand(rng, (c_i, *hw), kind), rand(rng, (c_o, c_i, *k), kind)
        # one channel and a 1 x 1 kernel: nothing to sum, and torch.einsum and
        # tensordot then multiply without a matrix product; structure not asked
        traced = TRACED if c_i * k[0] * k[1] > 1 else {}
        calls += tensor_calls((X, K), grad=False, noncontig=i % 3 == 0, **traced)
        calls += tensor_calls((rand(rng, (c_i, *hw)), rand(rng, (c_o, c_i, *k))), **traced)[2:]
    # many channels and a long sum: float32 rounding of c_i k_h k_w products
    calls += tensor_calls((rand(rng, (16, 9, 7)), rand(rng, (5, 16, 3, 3))), grad=False,
                          **TRACED)
    # gradients where the numbers are huge or tiny, in float32 and float64
    for scale in (1e15, 1e-15):
        calls += grad_calls((magnitudes(rng, (2, 4, 5), scale),
                             magnitudes(rng, (3, 2, 2, 3), scale)), **TRACED)
    return calls
