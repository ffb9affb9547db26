"""The pooling references against the sources' examples, naive loops and the nn pooling layers"""

import itertools
import warnings

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from grader.assignments.testing import (DEVICES, DTYPES, SETTINGS, assert_untouched, dtypes,
                                        grads, make, seeds)

from ..avg_pool_as_conv import reference as avg_pool_as_conv
from ..max_pool_as_conv import reference as max_pool_as_conv
from ..min_pool2d import reference as min_pool2d
from ..pool2d import reference as pool2d
from ..pool2d_strided import reference as pool2d_strided
from ..pool_cost import reference as pool_cost
from ..softmax_pool2d import reference as softmax_pool2d

X16 = torch.arange(16.0).reshape(1, 1, 4, 4)
LAYERS = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


def arg(draw, pair):
    """An int or a pair, as a caller may write it: 2, (2, 3) or [2, 3]"""
    if pair[0] == pair[1] and draw(st.booleans()):
        return pair[0]
    return draw(st.sampled_from([tuple, list]))(pair)


@st.composite
def settings_(draw, padded=True, lead=True):
    """A valid pooling problem: X (..., H, W) and the window, stride and padding arguments"""
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    p = tuple(draw(st.integers(0, k_ // 2)) if padded else 0 for k_ in k)
    H, W = (draw(st.integers(max(1, k_ - 2 * p_), 9)) for k_, p_ in zip(k, p))
    stride = draw(
        st.one_of(st.none(), st.integers(1, 4), st.tuples(st.integers(1, 4), st.integers(1, 4)))
    )
    leading = tuple(draw(st.lists(st.integers(1, 3), max_size=3))) if lead else ()
    X = make(
        leading + (H, W),
        draw(dtypes),
        seed=draw(seeds),
        kind=draw(st.sampled_from(["normal", "ints"])),
        contiguous=draw(st.booleans()),
    )
    return dict(X=X, pool_size=arg(draw, k), stride=stride, padding=arg(draw, p), k=k, p=p)


def per_image(layer, X):
    """layer on each (H, W) image of X (..., H, W) separately, stacked back to (..., H', W')"""
    images = [
        layer(X[idx][None, None])[0, 0] for idx in itertools.product(*map(range, X.shape[:-2]))
    ]
    return torch.stack(images).reshape(*X.shape[:-2], *images[0].shape)


def naive_windows(X, k, s, p, fill):
    """Every window of X (H, W) padded with fill, as a list of rows of flat tensors"""
    Xp = F.pad(X, (p[1], p[1], p[0], p[0]), value=fill)
    rows = range(0, Xp.shape[0] - k[0] + 1, s[0])
    cols = range(0, Xp.shape[1] - k[1] + 1, s[1])
    return [[Xp[i : i + k[0], j : j + k[1]].reshape(-1) for j in cols] for i in rows]


def naive(X, k, s, p, fill, reduce):
    return torch.stack(
        [torch.stack([reduce(v) for v in row]) for row in naive_windows(X, k, s, p, fill)]
    )


# the sources' examples


def test_pool2d_table_examples():
    """Does pool2d give [[4, 5], [7, 8]] (max) and [[2, 3], [5, 6]] (avg) on X = 0..8?"""
    X = torch.arange(9.0).reshape(3, 3)
    torch.testing.assert_close(pool2d(X, (2, 2)), torch.tensor([[4.0, 5.0], [7.0, 8.0]]))
    torch.testing.assert_close(pool2d(X, (2, 2), "avg"), torch.tensor([[2.0, 3.0], [5.0, 6.0]]))


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        (dict(pool_size=3), [[10.0]]),
        (dict(pool_size=3, padding=1, stride=2), [[5.0, 7.0], [13.0, 15.0]]),
        (dict(pool_size=(2, 3), stride=(2, 3), padding=(0, 1)), [[5.0, 7.0], [13.0, 15.0]]),
        (
            dict(pool_size=(2, 3), padding=(1, 1), stride=(2, 3)),
            [[1.0, 3.0], [9.0, 11.0], [13.0, 15.0]],
        ),
    ],
)
def test_pool2d_strided_table_examples(kwargs, expected):
    """Does pool2d_strided reproduce the sources' nn.MaxPool2d outputs on arange(16)?"""
    torch.testing.assert_close(pool2d_strided(X16, **kwargs), torch.tensor([[expected]]))


def test_pool2d_strided_table_channels():
    """Is each channel of cat(X, X + 1) pooled on its own, as in the sources?"""
    Y = pool2d_strided(torch.cat((X16, X16 + 1), 1), 3, padding=1, stride=2)
    torch.testing.assert_close(
        Y, torch.tensor([[[[5.0, 7.0], [13.0, 15.0]], [[6.0, 8.0], [14.0, 16.0]]]])
    )


# pool2d


@SETTINGS
@given(settings_(padded=False, lead=False), st.sampled_from(["max", "avg"]))
def test_pool2d_matches_layer_and_loop(s, mode):
    """Does pool2d equal nn.MaxPool2d / nn.AvgPool2d with stride 1 and a naive window loop?"""
    X, k = s["X"], s["k"]
    Y = pool2d(X, s["pool_size"], mode)
    torch.testing.assert_close(Y, LAYERS[mode](k, stride=1)(X[None, None])[0, 0])
    reduce = torch.max if mode == "max" else torch.mean
    torch.testing.assert_close(Y, naive(X, k, (1, 1), (0, 0), 0.0, reduce))


@pytest.mark.parametrize("mode", ["min", "MAX", "Avg", "mean", "average", "", None, 1])
def test_pool2d_rejects_unknown_mode(mode):
    """Is any mode but 'max' and 'avg' a ValueError that names it and the allowed ones?"""
    for call in (lambda: pool2d(X16[0, 0], 2, mode), lambda: pool2d_strided(X16, 2, mode=mode)):
        with pytest.raises(ValueError) as info:
            call()
        message = str(info.value)
        assert repr(mode) in message and "'max'" in message and "'avg'" in message


# pool2d_strided


@SETTINGS
@given(settings_(), st.sampled_from(["max", "avg"]))
def test_pool2d_strided_matches_layer(s, mode):
    """Does pool2d_strided equal the nn layer on each image of X (..., H, W), gradients included?"""
    X = s["X"].requires_grad_()
    stride = s["k"] if s["stride"] is None else s["stride"]
    layer = LAYERS[mode](s["k"], stride=stride, padding=s["p"])
    Y = pool2d_strided(X, s["pool_size"], s["stride"], s["padding"], mode)
    expected = per_image(layer, X)
    torch.testing.assert_close(Y, expected)
    upstream = torch.randn_like(Y)
    torch.testing.assert_close(grads(Y, upstream, X)[0], grads(expected, upstream, X)[0])


def test_pool2d_strided_padding_max_ignores_avg_counts():
    """Does max ignore the padding while avg counts the padded zeros (count_include_pad)?"""
    X = -torch.ones(2, 2)
    torch.testing.assert_close(pool2d_strided(X, 2, padding=1), -torch.ones(2, 2))
    torch.testing.assert_close(
        pool2d_strided(X, 2, padding=1, mode="avg"), torch.full((2, 2), -0.25)
    )


def test_pool2d_strided_empty_leading_dim():
    """Does a zero-sized leading dim give an empty output of the right shape?"""
    assert pool2d_strided(torch.zeros(0, 3, 5, 4), 2).shape == (0, 3, 2, 2)


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("axis", [0, 1])
def test_pool2d_strided_raises_where_layer_raises(mode, axis):
    """Over a grid of small settings, is there a ValueError exactly where the layer raises?"""
    grid = itertools.product(range(0, 6), range(0, 5), [None, 0, 1, 2, 3], range(-1, 4))
    for size, k, s, p in grid:

        def pair(v, other):
            return None if v is None else ((v, other) if axis == 0 else (other, v))

        hw, k2, s2, p2 = pair(size, 3), pair(k, 1), pair(s, 1), pair(p, 0)
        X = torch.zeros(1, 1, *hw)
        try:
            expected = LAYERS[mode](k2, stride=s2, padding=p2)(X).shape
        except (RuntimeError, ValueError, TypeError):
            expected = "raises"
        try:
            got = pool2d_strided(X, k2, s2, p2, mode).shape
        except ValueError:
            got = "raises"
        assert got == expected, (hw, k2, s2, p2)


BAD_PAIRS = [
    (True, TypeError),
    (2.0, TypeError),
    ("2", TypeError),
    ((2, True), TypeError),
    ([2, 2.5], TypeError),
    ((2, 2, 2), ValueError),
    ((2,), ValueError),
    ([], ValueError),
    (-1, ValueError),
    ((2, -1), ValueError),
]


@pytest.mark.parametrize("name", ["pool_size", "stride", "padding"])
@pytest.mark.parametrize("value, error", BAD_PAIRS)
def test_bad_pairs_raise(name, value, error):
    """Are a bool, float, string, wrong length or negative int refused, naming the argument?"""
    kwargs = dict(pool_size=2, stride=None, padding=0)
    kwargs[name] = value
    with pytest.raises(error, match=name):
        pool2d_strided(torch.zeros(6, 6), **kwargs)


@pytest.mark.parametrize(
    "kwargs", [dict(pool_size=0), dict(pool_size=2, stride=0), dict(pool_size=None)]
)
def test_zero_window_or_stride_raise(kwargs):
    """Is a zero window, a zero stride or no window at all refused?"""
    with pytest.raises((TypeError, ValueError)):
        pool2d_strided(torch.zeros(6, 6), **kwargs)


@pytest.mark.parametrize("value", [(3, 2), [3, 2]])
def test_pairs_may_be_tuples_or_lists(value):
    """Are a tuple and a list of two ints the same argument?"""
    X = make((5, 7), seed=3)
    torch.testing.assert_close(
        pool2d_strided(X, value, value, [1, 1]), F.max_pool2d(X[None], (3, 2), (3, 2), 1)[0]
    )


# avg_pool_as_conv and max_pool_as_conv


@SETTINGS
@given(settings_(), st.integers(1, 2), st.integers(1, 3))
def test_pool_as_conv_match_layers(s, n, c):
    """Do avg_pool_as_conv and max_pool_as_conv equal the nn layers on X (N, C, H, W)?"""
    X = make(
        (n, c, *s["X"].shape[-2:]), s["X"].dtype, seed=n * c, contiguous=s["X"].is_contiguous()
    )
    stride = s["k"] if s["stride"] is None else s["stride"]
    for fn, layer in ((avg_pool_as_conv, nn.AvgPool2d), (max_pool_as_conv, nn.MaxPool2d)):
        expected = layer(s["k"], stride=stride, padding=s["p"])(X)
        torch.testing.assert_close(fn(X, s["pool_size"], s["stride"], s["padding"]), expected)


# pool_cost


def test_pool_cost_hand_examples():
    """Is the cost c * out_h * out_w * p_h * p_w, with padding named apart from the window?"""
    assert pool_cost(3, 4, 4, 3, 2, 1) == 3 * 2 * 2 * 3 * 3
    # window (3, 2), padding (1, 0): out = (5 + 2 - 3) // 2 + 1 = 3 and (6 - 2) // 2 + 1 = 3
    assert pool_cost(2, 5, 6, (3, 2), (2, 2), (1, 0)) == 2 * 3 * 3 * 3 * 2
    assert pool_cost(1, 4, 4, 2, None, 0) == 4 * 4


@SETTINGS
@given(settings_(), st.integers(1, 64))
def test_pool_cost_matches_layer_output(s, c):
    """Is pool_cost an int equal to c x the layer's output pixels x the window size?"""
    h, w = s["X"].shape[-2:]
    stride = s["k"] if s["stride"] is None else s["stride"]
    out = nn.MaxPool2d(s["k"], stride=stride, padding=s["p"])(torch.zeros(1, 1, h, w))
    cost = pool_cost(c, h, w, s["pool_size"], s["stride"], s["padding"])
    assert type(cost) is int
    assert cost == c * out.shape[-1] * out.shape[-2] * s["k"][0] * s["k"][1]


@pytest.mark.parametrize(
    "args", [(1, 4, 4, 3, 1, 2), (1, 2, 2, 3, 1, 0), (-1, 4, 4, 2, 2, 0), (True, 4, 4, 2, 2, 0)]
)
def test_pool_cost_rejects_what_the_layer_rejects(args):
    """Is padding over half the window, a window bigger than the input, or a bad c refused?"""
    with pytest.raises((TypeError, ValueError)):
        pool_cost(*args)


# every pooling function: gradients, dtype, device, inputs

TENSOR_CALLS = {
    "pool2d-max": lambda X: pool2d(X[0, 0], (2, 3)),
    "pool2d-avg": lambda X: pool2d(X[0, 0], (3, 2), "avg"),
    "pool2d_strided-max": lambda X: pool2d_strided(X, (3, 2), (2, 1), (1, 0)),
    "pool2d_strided-avg": lambda X: pool2d_strided(X, (3, 2), (2, 1), (1, 0), mode="avg"),
    "avg_pool_as_conv": lambda X: avg_pool_as_conv(X, (3, 2), 1, (1, 1)),
    "max_pool_as_conv": lambda X: max_pool_as_conv(X, (3, 2), 1, (1, 1)),
    "min_pool2d": lambda X: min_pool2d(X, (2, 3), (1, 2), (1, 1)),
    "softmax_pool2d": lambda X: softmax_pool2d(X, (2, 3), (1, 2), beta=1.5),
}


@pytest.mark.parametrize("name", TENSOR_CALLS)
def test_gradcheck(name):
    """Does autograd's numerical gradient check pass in float64 (distinct values, no ties)?"""
    X = make((2, 2, 5, 6), seed=2).requires_grad_()
    assert torch.autograd.gradcheck(TENSOR_CALLS[name], (X,))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", TENSOR_CALLS)
def test_keeps_dtype_device_and_inputs(name, dtype, device):
    """Is the output of X's dtype and device, differentiable, with X left unchanged?"""
    X = make((2, 2, 5, 6), dtype, device, contiguous=False)
    Y = assert_untouched(TENSOR_CALLS[name], X)
    assert Y.dtype == dtype and Y.device == X.device
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Y = TENSOR_CALLS[name](X.clone().requires_grad_())
    assert Y.requires_grad
