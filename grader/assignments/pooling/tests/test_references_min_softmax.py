"""min_pool2d and softmax_pool2d's references against naive loops, the formula and the nn pooling layers"""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from grader.assignments.testing import DTYPES, SETTINGS, grads, make

from ..min_pool2d import reference as min_pool2d
from ..softmax_pool2d import reference as softmax_pool2d
from .test_references import naive, per_image, settings_


# min_pool2d


@SETTINGS
@given(settings_())
def test_min_pool2d_matches_loop_and_negated_max_layer(s):
    """Is min_pool2d each window's minimum (padding +inf) and -nn.MaxPool2d(-X), gradients too?"""
    X = s["X"].requires_grad_()
    stride = s["k"] if s["stride"] is None else s["stride"]
    Y = min_pool2d(X, s["pool_size"], s["stride"], s["padding"])
    expected = -per_image(nn.MaxPool2d(s["k"], stride=stride, padding=s["p"]), -X)
    torch.testing.assert_close(Y, expected)
    s_pair = stride if isinstance(stride, tuple) else (stride, stride)
    images = X.detach().reshape(-1, *X.shape[-2:])
    loops = [naive(image, s["k"], s_pair, s["p"], math.inf, torch.min) for image in images]
    torch.testing.assert_close(Y.detach(), torch.stack(loops).reshape(Y.shape))
    upstream = torch.randn_like(Y)
    torch.testing.assert_close(grads(Y, upstream, X)[0], grads(expected, upstream, X)[0])


@pytest.mark.parametrize("value", [5.0, -5.0])
def test_min_pool2d_padding_never_wins(value):
    """With padding, is a constant image pooled to that constant (never 0 or -inf)?"""
    Y = min_pool2d(torch.full((2, 3, 3), value), 3, stride=1, padding=1)
    torch.testing.assert_close(Y, torch.full((2, 3, 3), value))


# softmax_pool2d


def naive_softmax_pool(X, k, s, beta):
    """sum_i softmax(beta x)_i x_i over each window of X (H, W), written with exp"""

    def reduce(v):
        e = torch.exp(beta * v - (beta * v).max())
        return (e / e.sum() * v).sum()

    return naive(X, k, s, (0, 0), 0.0, reduce)


@SETTINGS
@given(settings_(padded=False), st.floats(-5, 5))
def test_softmax_pool2d_matches_formula(s, beta):
    """Is each window sum_i softmax(beta x)_i x_i, gradients included?"""
    X = s["X"].to(torch.float64).requires_grad_()
    stride = s["k"] if s["stride"] is None else s["stride"]
    s_pair = stride if isinstance(stride, tuple) else (stride, stride)
    Y = softmax_pool2d(X, s["pool_size"], s["stride"], beta)
    images = X.reshape(-1, *X.shape[-2:])
    expected = torch.stack(
        [naive_softmax_pool(image, s["k"], s_pair, beta) for image in images]
    ).reshape(Y.shape)
    torch.testing.assert_close(Y, expected)
    upstream = torch.randn_like(Y)
    torch.testing.assert_close(grads(Y, upstream, X)[0], grads(expected, upstream, X)[0])


@SETTINGS
@given(settings_(padded=False))
def test_softmax_pool2d_beta_zero_is_average(s):
    """Is beta = 0 average pooling (nn.AvgPool2d with the same window and stride)?"""
    stride = s["k"] if s["stride"] is None else s["stride"]
    expected = per_image(nn.AvgPool2d(s["k"], stride=stride), s["X"])
    torch.testing.assert_close(softmax_pool2d(s["X"], s["pool_size"], s["stride"], 0.0), expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "scale, beta", [(1.0, 1e4), (1.0, 1e38), (1e30, 1e30), (1e30, 1.0), (1.0, math.inf)]
)
def test_softmax_pool2d_large_beta_is_max_or_min(dtype, scale, beta):
    """For huge |beta x| (exp overflows) is it finite, max for beta > 0 and min for beta < 0?"""
    X = (
        torch.randperm(7 * 8, generator=torch.Generator().manual_seed(0)).reshape(7, 8).to(dtype)
        * scale
    )
    X.requires_grad_()
    for sign, layer in ((1, nn.MaxPool2d((2, 3))), (-1, lambda T: -nn.MaxPool2d((2, 3))(-T))):
        Y = softmax_pool2d(X, (2, 3), beta=sign * beta)
        assert torch.isfinite(Y).all()
        torch.testing.assert_close(Y, layer(X[None, None])[0, 0])
        (gX,) = torch.autograd.grad(Y.sum(), X)
        assert torch.isfinite(gX).all()


@pytest.mark.parametrize("beta", [-3.0, 0.0, 0.7, 4.0])
def test_softmax_pool2d_gradcheck(beta):
    """Does autograd's numerical gradient check pass in float64?"""
    X = make((2, 5, 4), seed=1).requires_grad_()
    assert torch.autograd.gradcheck(lambda T: softmax_pool2d(T, (2, 3), (1, 1), beta), (X,))
