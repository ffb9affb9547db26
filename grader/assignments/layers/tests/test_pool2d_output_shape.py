"""pool2d_output_shape: answers in several styles earn every point, plausible wrong ones
lose the aspects they should, effort-free stubs earn nothing"""
import pytest
from torch import nn

from grader.assignments.corpus import check, correct, plain_stubs, wrong
from grader.plan import trials

from .sizes import assert_cases_agree_with

PAIR = """
def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)
"""

CORRECT = [
    correct("pool2d_output_shape", "formula with ceil mode's rule", PAIR + """
def pool2d_output_shape(input_hw, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    k = pair(kernel_size)
    s = k if stride is None else pair(stride)
    out = []
    for n, k_, s_, p, d in zip(pair(input_hw), k, s, pair(padding), pair(dilation)):
        span = n + 2 * p - d * (k_ - 1) - 1
        size = (math.ceil(span / s_) if ceil_mode else span // s_) + 1
        if ceil_mode and (size - 1) * s_ >= n + p:
            size -= 1
        out.append(size)
    return tuple(out)
    """),
    correct("pool2d_output_shape", "ask nn.MaxPool2d", """
        def pool2d_output_shape(input_hw, kernel_size, stride=None, padding=0, dilation=1,
                                ceil_mode=False):
            layer = nn.MaxPool2d(kernel_size, stride, padding, dilation, ceil_mode=ceil_mode)
            return tuple(layer(torch.zeros(1, 1, *input_hw)).shape[-2:])
    """),
    correct("pool2d_output_shape", "integer ceil, rule as 'starts inside'", PAIR + """
def pool2d_output_shape(input_hw, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    sizes = []
    k = pair(kernel_size)
    for n, k_, s_, p, d in zip(pair(input_hw), k, pair(stride or k), pair(padding),
                               pair(dilation)):
        span = n + 2 * p - d * (k_ - 1) - 1
        count = (span + s_ - 1) // s_ + 1 if ceil_mode else span // s_ + 1
        last_start = (count - 1) * s_
        if ceil_mode and not last_start < n + p:   # must start inside input or left padding
            count -= 1
        sizes.append(count)
    return sizes[0], sizes[1]
    """),
]

WRONG = [
    wrong("pool2d_output_shape", "naive ceil mode (no last-window rule)", "values", PAIR + """
def pool2d_output_shape(input_hw, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    k = pair(kernel_size)
    s = k if stride is None else pair(stride)
    round_ = math.ceil if ceil_mode else math.floor
    return tuple(round_((n + 2 * p - d * (k_ - 1) - 1) / s_) + 1
                 for n, k_, s_, p, d in zip(pair(input_hw), k, s, pair(padding), pair(dilation)))
    """),
    wrong("pool2d_output_shape", "ceil mode ignored", "values", PAIR + """
def pool2d_output_shape(input_hw, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    k = pair(kernel_size)
    s = k if stride is None else pair(stride)
    return tuple((n + 2 * p - d * (k_ - 1) - 1) // s_ + 1
                 for n, k_, s_, p, d in zip(pair(input_hw), k, s, pair(padding), pair(dilation)))
    """),
    wrong("pool2d_output_shape", "stride None taken as 1", "values", PAIR + """
def pool2d_output_shape(input_hw, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    layer = nn.MaxPool2d(kernel_size, stride or 1, padding, dilation, ceil_mode=ceil_mode)
    return tuple(layer(torch.zeros(1, 1, *input_hw)).shape[-2:])
    """),
    wrong("pool2d_output_shape", "dilation ignored", "values", PAIR + """
def pool2d_output_shape(input_hw, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    layer = nn.MaxPool2d(kernel_size, stride, padding, 1, ceil_mode=ceil_mode)
    return tuple(layer(torch.zeros(1, 1, *input_hw)).shape[-2:])
    """),
    wrong("pool2d_output_shape", "rule uses the right padding too", "values", PAIR + """
def pool2d_output_shape(input_hw, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    k = pair(kernel_size)
    s = k if stride is None else pair(stride)
    out = []
    for n, k_, s_, p, d in zip(pair(input_hw), k, s, pair(padding), pair(dilation)):
        span = n + 2 * p - d * (k_ - 1) - 1
        size = (math.ceil(span / s_) if ceil_mode else span // s_) + 1
        if ceil_mode and (size - 1) * s_ >= n + 2 * p:
            size -= 1
        out.append(size)
    return tuple(out)
    """),
]

STUBS = plain_stubs("pool2d_output_shape", ["(1, 1)", "(0, 0)", "tuple(input_hw)", "(2, 2)"])


@pytest.mark.parametrize("answer", CORRECT + WRONG + STUBS, ids=str)
def test_answer(answer):
    """Does the answer earn what it should (corpus.check)?"""
    check(answer)


def test_cases_agree_with_the_layer():
    """Every expected output size (or ValueError) is what nn.MaxPool2d does"""
    assert_cases_agree_with("pool2d_output_shape",
                            lambda hw, k, stride=None, padding=0, dilation=1, ceil_mode=False:
                            nn.MaxPool2d(k, stride, padding, dilation, ceil_mode=ceil_mode))


def test_cases_exercise_ceil_modes_rule():
    """Enough cases where ceil mode rounds up, and where its last-window rule
    takes a window back"""
    up = rule = 0
    for call, expected in trials("layers")["pool2d_output_shape"]:
        if not call.kwargs.get("ceil_mode"):
            continue
        up += expected.value != _floor(call)
        rule += expected.value != _naive_ceil(call)
    assert up >= 8 and rule >= 8, (up, rule)


def _settings(call):
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)  # noqa: E731
    k = pair(call.args[1])
    s = k if call.kwargs.get("stride") is None else pair(call.kwargs["stride"])
    return (pair(call.args[0]), k, s, pair(call.kwargs.get("padding", 0)),
            pair(call.kwargs.get("dilation", 1)))


def _floor(call):
    hw, k, s, p, d = _settings(call)
    return tuple((n + 2 * p_ - d_ * (k_ - 1) - 1) // s_ + 1
                 for n, k_, s_, p_, d_ in zip(hw, k, s, p, d))


def _naive_ceil(call):
    hw, k, s, p, d = _settings(call)
    return tuple(-(-(n + 2 * p_ - d_ * (k_ - 1) - 1) // s_) + 1
                 for n, k_, s_, p_, d_ in zip(hw, k, s, p, d))
