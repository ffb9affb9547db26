"""The layers references against nn.Conv2d, ConvTranspose2d, MaxPool2d, Linear and autograd"""

import itertools
import warnings

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from grader.assignments.testing import (
    DEVICES,
    DTYPES,
    SETTINGS,
    assert_untouched,
    dtypes,
    grads,
    make,
    seeds,
    tensors,
)

from ..conv2d_output_shape import reference as conv2d_output_shape
from ..conv_matrix import reference as conv_matrix
from ..conv_transpose2d_output_shape import reference as conv_transpose2d_output_shape
from ..linear import reference as linear
from ..pool2d_output_shape import reference as pool2d_output_shape
from ..sigmoid_grad import reference as sigmoid_grad
from ..tanh_grad import reference as tanh_grad
from ..tanh_via_sigmoid import reference as tanh_via_sigmoid
from ..transposed_conv_via_matrix import reference as transposed_conv_via_matrix

# output shapes: raised-or-not and the shape itself over grids, against the layers


def layer_shape(hw, layer, *args, **kwargs):
    """The output (H, W) of layer(*args, **kwargs) on a zeros (1, 1, H, W) input, or 'raises'"""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return tuple(layer(*args, **kwargs)(torch.zeros(1, 1, *hw)).shape[-2:])
    except (RuntimeError, ValueError, TypeError):
        return "raises"


def our_shape(fn, *args, **kwargs):
    try:
        out = fn(*args, **kwargs)
    except ValueError:
        return "raises"
    assert type(out) is tuple and len(out) == 2 and all(type(v) is int for v in out), out
    return out


def on_axis(axis, value, other):
    """A pair with value on the given axis and a harmless other value on the other one"""
    if value is None:
        return None
    return (value, other) if axis == 0 else (other, value)


@pytest.mark.parametrize("axis", [0, 1])
def test_conv2d_output_shape_grid(axis):
    """Over a grid of settings, is the shape nn.Conv2d's, with a ValueError where it raises?"""
    raised = 0
    for H, k, s, p, d in itertools.product(
        range(0, 6), range(0, 5), range(0, 4), range(-1, 3), range(0, 4)
    ):
        hw, k2, s2, p2, d2 = (
            on_axis(axis, v, o) for v, o in ((H, 5), (k, 2), (s, 1), (p, 0), (d, 1))
        )
        expected = layer_shape(hw, nn.Conv2d, 1, 1, k2, s2, p2, d2, bias=False)
        assert our_shape(conv2d_output_shape, hw, k2, s2, p2, d2) == expected, (hw, k2, s2, p2, d2)
        raised += expected == "raises"
    assert 0 < raised < 6 * 5 * 4 * 4 * 4


@pytest.mark.parametrize("axis", [0, 1])
def test_conv_transpose2d_output_shape_grid(axis):
    """Over a grid with output_padding, is it nn.ConvTranspose2d's shape, raising where it does?"""
    raised = 0
    grid = itertools.product(
        range(0, 5), range(0, 4), range(0, 4), range(-1, 3), range(-1, 3), range(0, 4)
    )
    for H, k, s, p, op, d in grid:
        args = [on_axis(axis, v, o) for v, o in ((H, 3), (k, 2), (s, 1), (p, 0), (op, 0), (d, 1))]
        hw, k2, s2, p2, op2, d2 = args
        expected = layer_shape(
            hw, nn.ConvTranspose2d, 1, 1, k2, s2, p2, op2, dilation=d2, bias=False
        )
        assert our_shape(conv_transpose2d_output_shape, *args) == expected, args
        raised += expected == "raises"
    assert 0 < raised < 5 * 4 * 4 * 4 * 4 * 4


@pytest.mark.parametrize("ceil_mode", [False, True])
@pytest.mark.parametrize("axis", [0, 1])
def test_pool2d_output_shape_grid(axis, ceil_mode):
    """Over a grid with dilation, ceil_mode: is it nn.MaxPool2d's shape, raising where it does?"""
    raised = 0
    grid = itertools.product(
        range(0, 8), range(0, 5), [None, 0, 1, 2, 3], range(-1, 4), range(0, 4)
    )
    for H, k, s, p, d in grid:
        hw, k2, s2, p2, d2 = (
            on_axis(axis, v, o) for v, o in ((H, 3), (k, 1), (s, 1), (p, 0), (d, 1))
        )
        expected = layer_shape(hw, nn.MaxPool2d, k2, s2, p2, d2, ceil_mode=ceil_mode)
        got = our_shape(pool2d_output_shape, hw, k2, s2, p2, d2, ceil_mode)
        assert got == expected, (hw, k2, s2, p2, d2, ceil_mode)
        raised += expected == "raises"
    assert 0 < raised < 8 * 5 * 5 * 5 * 4


def test_pool2d_output_shape_ceil_examples():
    """Does ceil mode round up, but drop a last window that would start in the right padding?"""
    assert pool2d_output_shape((4, 4), (2, 3), (2, 3), (1, 1)) == (3, 2)
    assert pool2d_output_shape((5, 5), 2, 2, 0, ceil_mode=True) == (3, 3)
    # ceil((5 + 2 - 2) / 2) + 1 = 4 windows, but the 4th would start at 6 >= 5 + 1: dropped
    assert pool2d_output_shape((5, 5), 2, 2, 1, ceil_mode=True) == (3, 3)
    assert pool2d_output_shape((5, 5), 2, 2, 1, ceil_mode=False) == (3, 3)
    assert pool2d_output_shape((6, 6), 2, 2, 1, ceil_mode=True) == (4, 4)


@st.composite
def conv_settings(draw, transposed=False):
    """Valid non-square nn.Conv2d (or ConvTranspose2d) settings, written as ints, tuples or lists"""
    k, s, p, d = ((draw(st.integers(1, 4)), draw(st.integers(1, 4))) for _ in range(4))
    if transposed:
        op = tuple(draw(st.integers(0, max(s_, d_) - 1)) for s_, d_ in zip(s, d))
        hw = tuple(draw(st.integers(1, 12)) for _ in range(2))
    else:
        op = None
        hw = tuple(
            draw(st.integers(max(1, d_ * (k_ - 1) + 1 - 2 * p_), 15)) for k_, p_, d_ in zip(k, p, d)
        )
    args = [hw, k, s, p] + ([op] if transposed else []) + [d]
    return [
        v[0] if v[0] == v[1] and draw(st.booleans()) else draw(st.sampled_from([tuple, list]))(v)
        for v in args
    ]


@SETTINGS
@given(conv_settings())
def test_conv2d_output_shape_non_square(args):
    """With different settings per axis, is the shape nn.Conv2d's?"""
    hw, k, s, p, d = args
    hw2 = hw if isinstance(hw, (tuple, list)) else (hw, hw)
    assert our_shape(conv2d_output_shape, *args) == layer_shape(hw2, nn.Conv2d, 1, 1, k, s, p, d)


@SETTINGS
@given(conv_settings(transposed=True))
def test_conv_transpose2d_output_shape_non_square(args):
    """With different settings per axis, is the shape nn.ConvTranspose2d's?"""
    hw, k, s, p, op, d = args
    hw2 = hw if isinstance(hw, (tuple, list)) else (hw, hw)
    expected = layer_shape(hw2, nn.ConvTranspose2d, 1, 1, k, s, p, op, dilation=d)
    assert our_shape(conv_transpose2d_output_shape, *args) == expected


@pytest.mark.parametrize(
    "fn", [conv2d_output_shape, conv_transpose2d_output_shape, pool2d_output_shape]
)
@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(kernel_size=True), TypeError),
        (dict(kernel_size=2.0), TypeError),
        (dict(kernel_size=(2, 2, 2)), ValueError),
        (dict(stride="1"), TypeError),
        (dict(padding=(1,)), ValueError),
        (dict(dilation=[1, False]), TypeError),
        (dict(input_hw=(8, 8, 8)), ValueError),
    ],
)
def test_shape_functions_reject_bad_pairs(fn, kwargs, error):
    """Is a bool, a float, a string or a wrong length refused with a message naming the argument?"""
    args = dict(input_hw=(8, 8), kernel_size=2) | kwargs
    with pytest.raises(error, match=next(iter(kwargs))):
        fn(**args)


# the convolution matrix and the transposed convolution


@st.composite
def image_and_kernel(draw):
    k_h, k_w = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    h, w = draw(st.integers(k_h, 7)), draw(st.integers(k_w, 7))
    dtype = draw(dtypes)
    return draw(tensors((h, w), dtype)), draw(tensors((k_h, k_w), dtype))


def conv_layer(K, transposed=False):
    layer = (nn.ConvTranspose2d if transposed else nn.Conv2d)(1, 1, K.shape, bias=False)
    layer = layer.to(K.device, K.dtype)
    with torch.no_grad():
        layer.weight.copy_(K)
    return layer


@SETTINGS
@given(image_and_kernel())
def test_conv_matrix_times_image_is_conv2d(problem):
    """Is C @ X.flatten() nn.Conv2d's output on X, and C of shape (h' w', h w) with K's dtype?"""
    X, K = problem
    C = conv_matrix(K, X.shape)
    expected = conv_layer(K)(X[None, None])[0, 0]
    assert C.shape == (expected.numel(), X.numel()) and C.dtype == K.dtype
    torch.testing.assert_close(C @ X.flatten(), expected.flatten())


@SETTINGS
@given(image_and_kernel())
def test_conv_matrix_rows_are_shifted_kernels(problem):
    """Is row (i, j) of C the kernel placed at (i, j) of an h x w image, zeros elsewhere?"""
    X, K = problem
    (h, w), (k_h, k_w) = X.shape, K.shape
    C = conv_matrix(K, [h, w]).reshape(h - k_h + 1, w - k_w + 1, h, w)
    for i, j in itertools.product(range(h - k_h + 1), range(w - k_w + 1)):
        expected = torch.zeros(h, w, dtype=K.dtype)
        expected[i : i + k_h, j : j + k_w] = K
        torch.testing.assert_close(C[i, j], expected, rtol=0, atol=0)


@SETTINGS
@given(image_and_kernel())
def test_transposed_conv_via_matrix_matches_layer(problem):
    """Does transposed_conv_via_matrix equal nn.ConvTranspose2d, gradients for Y and K included?"""
    Y, K = (T.clone().requires_grad_() for T in problem)
    layer = conv_layer(K.detach(), transposed=True)
    Yl = Y.detach().clone().requires_grad_()
    out, expected = transposed_conv_via_matrix(Y, K), layer(Yl[None, None])[0, 0]
    assert out.shape == (Y.shape[0] + K.shape[0] - 1, Y.shape[1] + K.shape[1] - 1)
    torch.testing.assert_close(out, expected)
    upstream = torch.randn_like(out)
    for ours, theirs in zip(
        grads(out, upstream, Y, K), grads(expected, upstream, Yl, layer.weight)
    ):
        torch.testing.assert_close(ours, theirs.reshape(ours.shape))


def test_conv_matrix_rejects_kernel_bigger_than_input():
    """Is a kernel bigger than the image a ValueError?"""
    with pytest.raises(ValueError):
        conv_matrix(torch.ones(3, 2), (2, 5))


def test_conv_matrix_and_transposed_gradcheck():
    """Does autograd's numerical gradient check pass in float64 for K (and Y)?"""
    K, Y = make((2, 3), seed=1).requires_grad_(), make((3, 2), seed=2).requires_grad_()
    assert torch.autograd.gradcheck(lambda K: conv_matrix(K, (4, 5)), (K,))
    assert torch.autograd.gradcheck(transposed_conv_via_matrix, (Y, K))


# linear


def test_linear_table_example():
    """Does linear reproduce the sources' nn.Linear(3, 4) example [[6.5, 12.5, 18.5, 24.5]]?"""
    weight = torch.arange(1.0, 5.0)[:, None].expand(4, 3)
    Y = linear(torch.tensor([[1.0, 2.0, 3.0]]), weight, torch.full((4,), 0.5))
    torch.testing.assert_close(Y, torch.tensor([[6.5, 12.5, 18.5, 24.5]]))


@SETTINGS
@given(
    st.lists(st.integers(1, 3), max_size=3),
    st.integers(1, 5),
    st.integers(1, 5),
    st.booleans(),
    dtypes,
    seeds,
    st.booleans(),
)
def test_linear_matches_layer(leading, n_in, n_out, with_bias, dtype, seed, contiguous):
    """Does linear equal nn.Linear with the same parameters, gradients included?"""
    layer = nn.Linear(n_in, n_out, bias=with_bias).to(dtype)
    x = make((*leading, n_in), dtype, seed=seed, contiguous=contiguous).requires_grad_()
    weight = layer.weight.detach().clone().requires_grad_()
    bias = layer.bias.detach().clone().requires_grad_() if with_bias else None
    out, expected = linear(x, weight, bias), layer(x)
    torch.testing.assert_close(out, expected)
    upstream = torch.randn_like(out)
    ours = grads(out, upstream, x, weight, *([bias] if with_bias else []))
    theirs = grads(expected, upstream, x, *layer.parameters())
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b)


# activations


@pytest.mark.parametrize("dtype", DTYPES)
def test_activation_gradients_match_autograd(dtype):
    """Are y (1 - y) and 1 - y^2 autograd's derivatives of sigmoid and tanh at y = act(x)?"""
    x = torch.linspace(-8, 8, 101, dtype=dtype, requires_grad=True)
    for act, grad_fn in ((torch.sigmoid, sigmoid_grad), (torch.tanh, tanh_grad)):
        y = act(x)
        (expected,) = torch.autograd.grad(y.sum(), x)
        torch.testing.assert_close(grad_fn(y.detach()), expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_tanh_via_sigmoid_is_tanh(dtype):
    """Is 2 sigmoid(2x) - 1 tanh (0 at 0, not the sources' 2), with tanh's gradient?"""
    x = torch.cat(
        [torch.linspace(-30, 30, 201, dtype=dtype), torch.zeros(1, dtype=dtype)]
    ).requires_grad_()
    y = tanh_via_sigmoid(x)
    torch.testing.assert_close(y, torch.tanh(x), atol=1e-6, rtol=1e-6)
    assert y[-1] == 0
    (g,) = torch.autograd.grad(y.sum(), x)
    torch.testing.assert_close(g, 1 - torch.tanh(x.detach()) ** 2, atol=1e-6, rtol=1e-5)


def test_activations_gradcheck():
    """Does autograd's numerical gradient check pass in float64?"""
    y = torch.rand(7, dtype=torch.float64, requires_grad=True)
    for fn in (sigmoid_grad, tanh_grad, tanh_via_sigmoid):
        assert torch.autograd.gradcheck(fn, (y,))


# every tensor-returning layers function: dtype, device, inputs

TENSOR_CALLS = {
    "conv_matrix": lambda X, K: conv_matrix(K, X.shape[-2:]),
    "transposed_conv_via_matrix": lambda X, K: transposed_conv_via_matrix(X, K),
    "linear": lambda X, K: linear(X, K, K[:, 0]),
    "sigmoid_grad": lambda X, K: sigmoid_grad(torch.sigmoid(X)),
    "tanh_grad": lambda X, K: tanh_grad(X),
    "tanh_via_sigmoid": lambda X, K: tanh_via_sigmoid(X),
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", TENSOR_CALLS)
def test_keeps_dtype_device_and_inputs(name, dtype, device):
    """Is the output of the input's dtype and device, differentiable, with the inputs unchanged?"""
    X = make((4, 5), dtype, device, contiguous=False)
    K = make((3, 5), dtype, device, seed=1, contiguous=False)
    out = assert_untouched(TENSOR_CALLS[name], X, K)
    assert out.dtype == dtype and out.device == X.device
    out = TENSOR_CALLS[name](X.clone().requires_grad_(), K.clone().requires_grad_())
    assert out.requires_grad
