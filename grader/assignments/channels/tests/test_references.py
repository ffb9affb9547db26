"""The channels references against hand-worked examples, a naive loop and nn.Conv2d"""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from grader.assignments.testing import (DEVICES, DTYPES, SETTINGS, assert_untouched, dtypes,
                                        grads, make, seeds)

from ..corr2d import reference as corr2d
from ..corr2d_multi_in import reference as corr2d_multi_in
from ..corr2d_multi_in_out import reference as corr2d_multi_in_out
from ..corr2d_multi_in_out_1x1 import reference as corr2d_multi_in_out_1x1

X_TABLE = torch.stack([torch.arange(9.0).reshape(3, 3), torch.arange(1.0, 10.0).reshape(3, 3)])
K_TABLE = torch.tensor([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]])


def conv_layer(K):
    """nn.Conv2d without bias whose weight is K (c_o, c_i, k_h, k_w)"""
    c_o, c_i, k_h, k_w = K.shape
    layer = nn.Conv2d(c_i, c_o, (k_h, k_w), bias=False).to(K.device, K.dtype)
    with torch.no_grad():
        layer.weight.copy_(K)
    return layer


def naive_corr2d(X, K):
    k_h, k_w = K.shape
    Y = torch.zeros(X.shape[0] - k_h + 1, X.shape[1] - k_w + 1, dtype=X.dtype)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i : i + k_h, j : j + k_w] * K).sum()
    return Y


@st.composite
def problems(draw, c_o=None, one_by_one=False):
    """(X (c_i, h, w), K (c_o, c_i, k_h, k_w)) with non-square shapes"""
    c_i = draw(st.integers(1, 3))
    c_o = draw(st.integers(1, 3)) if c_o is None else c_o
    k_h, k_w = (1, 1) if one_by_one else (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    h, w = draw(st.integers(k_h, 7)), draw(st.integers(k_w, 7))
    dtype, seed = draw(dtypes), draw(seeds)
    kind = draw(st.sampled_from(["normal", "ints"]))
    X = make((c_i, h, w), dtype, seed=seed, kind=kind, contiguous=draw(st.booleans()))
    K = make((c_o, c_i, k_h, k_w), dtype, seed=seed + 1, kind=kind, contiguous=draw(st.booleans()))
    return X, K


def test_corr2d_hand_example():
    """Does corr2d give d2l's [[19, 25], [37, 43]] for X = 0..8 and K = [[0, 1], [2, 3]]?"""
    Y = corr2d(torch.arange(9.0).reshape(3, 3), torch.tensor([[0.0, 1.0], [2.0, 3.0]]))
    torch.testing.assert_close(Y, torch.tensor([[19.0, 25.0], [37.0, 43.0]]))


@SETTINGS
@given(problems(c_o=1))
def test_corr2d_is_an_unflipped_sliding_sum(problem):
    """Is corr2d the sliding window sum of X * K, without flipping K?"""
    X, K = problem[0][0], problem[1][0, 0]
    torch.testing.assert_close(corr2d(X, K), naive_corr2d(X, K))


@SETTINGS
@given(problems(c_o=1))
def test_corr2d_matches_conv2d_layer(problem):
    """Does corr2d equal nn.Conv2d(1, 1) with the same weight, shape and dtype included?"""
    X, K = problem[0][:1], problem[1][:, :1]
    expected = conv_layer(K)(X[None])[0, 0]
    torch.testing.assert_close(corr2d(X[0], K[0, 0]), expected)


def test_corr2d_multi_in_table_example():
    """Does corr2d_multi_in reproduce the sources' [[56, 72], [104, 120]]?"""
    torch.testing.assert_close(
        corr2d_multi_in(X_TABLE, K_TABLE), torch.tensor([[56.0, 72.0], [104.0, 120.0]])
    )


@SETTINGS
@given(problems(c_o=1))
def test_corr2d_multi_in_matches_conv2d_layer(problem):
    """Does corr2d_multi_in equal nn.Conv2d(c_i, 1) with the same weight?"""
    X, K = problem
    expected = conv_layer(K)(X[None])[0, 0]
    torch.testing.assert_close(corr2d_multi_in(X, K[0]), expected)


def test_corr2d_multi_in_out_table_example():
    """Does corr2d_multi_in_out with K stacked (K, K + 1, K + 2) reproduce the sources' output?"""
    K = torch.stack([K_TABLE, K_TABLE + 1, K_TABLE + 2])
    expected = torch.tensor(
        [
            [[56.0, 72.0], [104.0, 120.0]],
            [[76.0, 100.0], [148.0, 172.0]],
            [[96.0, 128.0], [192.0, 224.0]],
        ]
    )
    torch.testing.assert_close(corr2d_multi_in_out(X_TABLE, K), expected)


@SETTINGS
@given(problems())
def test_corr2d_multi_in_out_matches_conv2d_layer(problem):
    """Does corr2d_multi_in_out equal nn.Conv2d(c_i, c_o) with the same weight?"""
    X, K = problem
    torch.testing.assert_close(corr2d_multi_in_out(X, K), conv_layer(K)(X[None])[0])


def test_1x1_table_example():
    """Do the 1x1 matmul and the general version differ by less than 1e-6 on the sources' shapes?"""
    torch.manual_seed(0)
    X, K = torch.normal(0, 1, (3, 3, 3)), torch.normal(0, 1, (2, 3, 1, 1))
    assert float((corr2d_multi_in_out_1x1(X, K) - corr2d_multi_in_out(X, K)).abs().sum()) < 1e-6


@SETTINGS
@given(problems(one_by_one=True))
def test_1x1_matches_conv2d_layer(problem):
    """Does corr2d_multi_in_out_1x1 equal a 1x1 nn.Conv2d with the same weight?"""
    X, K = problem
    torch.testing.assert_close(corr2d_multi_in_out_1x1(X, K), conv_layer(K)(X[None])[0])


# each function as a call on (X (c_i, h, w), K (c_o, c_i, k_h, k_w)) and the layer's matching output
CALLS = {
    "corr2d": (lambda X, K: corr2d(X[0], K[0, 0]), lambda out: out[0, 0], 1, 1),
    "corr2d_multi_in": (lambda X, K: corr2d_multi_in(X, K[0]), lambda out: out[0, 0], 2, 1),
    "corr2d_multi_in_out": (corr2d_multi_in_out, lambda out: out[0], 2, 3),
    "corr2d_multi_in_out_1x1": (corr2d_multi_in_out_1x1, lambda out: out[0], 2, 3),
}


def small_problem(name, dtype, device, seed=0):
    _, _, c_i, c_o = CALLS[name]
    k = (1, 1) if name.endswith("1x1") else (2, 3)
    X = make((c_i, 4, 5), dtype, device, seed=seed)
    K = make((c_o, c_i, *k), dtype, device, seed=seed + 1)
    return X, K


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", CALLS)
def test_gradients_match_conv2d_layer(name, dtype, device):
    """Do the gradients w.r.t. X and K equal nn.Conv2d's w.r.t. its input and weight?"""
    call, pick, _, _ = CALLS[name]
    X, K = small_problem(name, dtype, device)
    layer = conv_layer(K)
    Xl = X.clone().requires_grad_()
    out_layer = pick(layer(Xl[None]))
    X.requires_grad_()
    K.requires_grad_()
    out = call(X, K)
    upstream = torch.randn_like(out)
    gX, gK = grads(out, upstream, X, K)
    gXl, gW = grads(out_layer, upstream, Xl, layer.weight)
    torch.testing.assert_close(gX, gXl)
    torch.testing.assert_close(gK, gW)


@pytest.mark.parametrize("name", CALLS)
def test_gradcheck(name):
    """Does autograd's numerical gradient check pass in float64 for X and K?"""
    call = CALLS[name][0]
    X, K = small_problem(name, torch.float64, "cpu")
    assert torch.autograd.gradcheck(call, (X.requires_grad_(), K.requires_grad_()))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", CALLS)
def test_keeps_dtype_device_and_inputs(name, dtype, device):
    """Is the output of X's dtype and device, with the inputs left unchanged?"""
    X, K = small_problem(name, dtype, device)
    out = assert_untouched(CALLS[name][0], X, K)
    assert out.dtype == dtype and out.device == X.device


@pytest.mark.parametrize(
    "fn, X_shape, K_shape",
    [
        (corr2d, (1, 4, 4), (2, 2)),
        (corr2d, (4, 4), (1, 2, 2)),
        (corr2d_multi_in, (4, 4), (2, 2)),
        (corr2d_multi_in, (2, 4, 4), (1, 2, 2, 2)),
        (corr2d_multi_in_out, (2, 4, 4), (2, 2, 2)),
        (corr2d_multi_in_out_1x1, (2, 4, 4), (3, 2, 3, 3)),
        (corr2d_multi_in_out_1x1, (2, 4, 4), (3, 4, 1, 1)),
        (corr2d_multi_in_out_1x1, (2, 4, 4), (3, 2, 1)),
    ],
)
def test_bad_shapes_raise_value_error(fn, X_shape, K_shape):
    """Is a wrong number of dims, a non-1x1 kernel or a channel mismatch a ValueError?"""
    with pytest.raises(ValueError, match="must have shape"):
        fn(torch.zeros(X_shape), torch.zeros(K_shape))
