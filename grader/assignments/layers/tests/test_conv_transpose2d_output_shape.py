"""conv_transpose2d_output_shape: answers in several styles earn every point, plausible wrong ones
lose the aspects they should, effort-free stubs earn nothing"""
import pytest
from torch import nn

from grader.assignments.corpus import check, correct, plain_stubs, wrong

from .sizes import assert_cases_agree_with

PAIR = """
def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)
"""

CORRECT = [
    correct("conv_transpose2d_output_shape", "formula", PAIR + """
def conv_transpose2d_output_shape(input_hw, kernel_size, stride=1, padding=0,
                                  output_padding=0, dilation=1):
    return tuple((n - 1) * s - 2 * p + d * (k - 1) + op + 1
                 for n, k, s, p, op, d in zip(pair(input_hw), pair(kernel_size), pair(stride),
                                              pair(padding), pair(output_padding),
                                              pair(dilation)))
    """),
    correct("conv_transpose2d_output_shape", "ask nn.ConvTranspose2d", """
        def conv_transpose2d_output_shape(input_hw, kernel_size, stride=1, padding=0,
                                          output_padding=0, dilation=1):
            layer = nn.ConvTranspose2d(1, 1, kernel_size, stride, padding, output_padding,
                                       dilation=dilation, bias=False)
            return tuple(layer(torch.zeros(1, 1, *input_hw)).shape[-2:])
    """),
    correct("conv_transpose2d_output_shape", "F.conv_transpose2d", PAIR + """
def conv_transpose2d_output_shape(input_hw, kernel_size, stride=1, padding=0,
                                  output_padding=0, dilation=1):
    W = torch.zeros(1, 1, *pair(kernel_size))
    Y = F.conv_transpose2d(torch.zeros(1, 1, *input_hw), W, stride=stride, padding=padding,
                           output_padding=output_padding, dilation=dilation)
    return (Y.shape[-2], Y.shape[-1])
    """),
]

WRONG = [
    wrong("conv_transpose2d_output_shape", "output_padding ignored", "values", PAIR + """
def conv_transpose2d_output_shape(input_hw, kernel_size, stride=1, padding=0,
                                  output_padding=0, dilation=1):
    return tuple((n - 1) * s - 2 * p + d * (k - 1) + 1
                 for n, k, s, p, d in zip(pair(input_hw), pair(kernel_size), pair(stride),
                                          pair(padding), pair(dilation)))
    """),
    wrong("conv_transpose2d_output_shape", "padding subtracted once", "values", PAIR + """
def conv_transpose2d_output_shape(input_hw, kernel_size, stride=1, padding=0,
                                  output_padding=0, dilation=1):
    return tuple((n - 1) * s - p + d * (k - 1) + op + 1
                 for n, k, s, p, op, d in zip(pair(input_hw), pair(kernel_size), pair(stride),
                                              pair(padding), pair(output_padding),
                                              pair(dilation)))
    """),
    wrong("conv_transpose2d_output_shape", "n * s instead of (n - 1) * s", "values", PAIR + """
def conv_transpose2d_output_shape(input_hw, kernel_size, stride=1, padding=0,
                                  output_padding=0, dilation=1):
    return tuple(n * s - 2 * p + d * (k - 1) + op
                 for n, k, s, p, op, d in zip(pair(input_hw), pair(kernel_size), pair(stride),
                                              pair(padding), pair(output_padding),
                                              pair(dilation)))
    """),
    wrong("conv_transpose2d_output_shape", "dilation ignored", "values", PAIR + """
def conv_transpose2d_output_shape(input_hw, kernel_size, stride=1, padding=0,
                                  output_padding=0, dilation=1):
    return tuple((n - 1) * s - 2 * p + k + op
                 for n, k, s, p, op in zip(pair(input_hw), pair(kernel_size), pair(stride),
                                           pair(padding), pair(output_padding)))
    """),
]

STUBS = plain_stubs("conv_transpose2d_output_shape", ["(1, 1)", "(0, 0)", "tuple(input_hw)", "(8, 8)"])


@pytest.mark.parametrize("answer", CORRECT + WRONG + STUBS, ids=str)
def test_answer(answer):
    """Does the answer earn what it should (corpus.check)?"""
    check(answer)


def test_cases_agree_with_the_layer():
    """Every expected output size (or ValueError) is what nn.ConvTranspose2d does"""
    assert_cases_agree_with("conv_transpose2d_output_shape",
                            lambda hw, k, stride=1, padding=0, output_padding=0, dilation=1:
                            nn.ConvTranspose2d(1, 1, k, stride, padding, output_padding,
                                               dilation=dilation))
