"""conv2d_output_shape: answers in several styles earn every point, plausible wrong ones
lose the aspects they should, effort-free stubs earn nothing"""
import pytest
from torch import nn

from grader.assignments.corpus import (assert_noisy_keeps_full_marks, check, correct, message,
                                       plain_stubs, wrong)

from .sizes import assert_cases_agree_with

PAIR = """
def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)
"""

CORRECT = [
    correct("conv2d_output_shape", "formula with every check", PAIR + """
def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
    out = []
    for n, k, s, p, d in zip(pair(input_hw), pair(kernel_size), pair(stride), pair(padding),
                             pair(dilation)):
        if k < 1 or s < 1 or d < 1 or p < 0:
            raise ValueError('kernel size, stride and dilation must be >= 1, padding >= 0')
        if d * (k - 1) + 1 > n + 2 * p:
            raise ValueError('the kernel does not fit in the padded input')
        out.append((n + 2 * p - d * (k - 1) - 1) // s + 1)
    return tuple(out)
    """),
    correct("conv2d_output_shape", "ask nn.Conv2d", """
        def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
            try:
                layer = nn.Conv2d(1, 1, kernel_size, stride, padding, dilation, bias=False)
                out = layer(torch.zeros(1, 1, *input_hw))
            except RuntimeError as error:
                raise ValueError(str(error)) from None
            return tuple(int(v) for v in out.shape[-2:])
    """),
    correct("conv2d_output_shape", "math.floor per axis", """
        def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
            args = [input_hw, kernel_size, stride, padding, dilation]
            args = [a if isinstance(a, tuple) else (a, a) for a in args]
            sizes = []
            for axis in range(2):
                n, k, s, p, d = (a[axis] for a in args)
                if min(k, s, d) <= 0 or p < 0:
                    raise ValueError('bad setting')
                size = math.floor((n + 2 * p - d * (k - 1) - 1) / s + 1)
                if size < 1 or d * (k - 1) >= n + 2 * p:
                    raise ValueError('kernel too big')
                sizes.append(size)
            return sizes[0], sizes[1]
    """),
]

WRONG = [
    wrong("conv2d_output_shape", "dilation ignored", "values errors", PAIR + """
def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
    out = []
    for n, k, s, p in zip(pair(input_hw), pair(kernel_size), pair(stride), pair(padding)):
        if min(k, s) < 1 or p < 0 or k > n + 2 * p:
            raise ValueError('bad settings')
        out.append((n + 2 * p - k) // s + 1)
    return tuple(out)
    """),
    wrong("conv2d_output_shape", "never raises", "errors", PAIR + """
def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
    return tuple((n + 2 * p - d * (k - 1) - 1) // max(s, 1) + 1
                 for n, k, s, p, d in zip(pair(input_hw), pair(kernel_size), pair(stride),
                                          pair(padding), pair(dilation)))
    """),
    wrong("conv2d_output_shape", "only checks the kernel's fit", "errors", PAIR + """
def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
    out = []
    for n, k, s, p, d in zip(pair(input_hw), pair(kernel_size), pair(stride), pair(padding),
                             pair(dilation)):
        if d * (k - 1) + 1 > n + 2 * p:
            raise ValueError('the kernel does not fit')
        out.append((n + 2 * p - d * (k - 1) - 1) // s + 1)
    return tuple(out)
    """),
    wrong("conv2d_output_shape", "raises RuntimeError like the layer", "errors", """
        def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
            layer = nn.Conv2d(1, 1, kernel_size, stride, padding, dilation, bias=False)
            return tuple(int(v) for v in layer(torch.zeros(1, 1, *input_hw)).shape[-2:])
    """),
    wrong("conv2d_output_shape", "no + 1", "values", PAIR + """
def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
    out = []
    for n, k, s, p, d in zip(pair(input_hw), pair(kernel_size), pair(stride), pair(padding),
                             pair(dilation)):
        if min(k, s, d) < 1 or p < 0 or d * (k - 1) + 1 > n + 2 * p:
            raise ValueError('bad settings')
        out.append(max(1, (n + 2 * p - d * (k - 1) - 1) // s))
    return tuple(out)
    """),
    wrong("conv2d_output_shape", "float sizes", "everything", PAIR + """
def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
    out = []
    for n, k, s, p, d in zip(pair(input_hw), pair(kernel_size), pair(stride), pair(padding),
                             pair(dilation)):
        if min(k, s, d) < 1 or p < 0 or d * (k - 1) + 1 > n + 2 * p:
            raise ValueError('bad settings')
        out.append(float((n + 2 * p - d * (k - 1) - 1) // s + 1))
    return tuple(out)
    """),
    wrong("conv2d_output_shape", "padding counted once", "values", PAIR + """
def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
    out = []
    for n, k, s, p, d in zip(pair(input_hw), pair(kernel_size), pair(stride), pair(padding),
                             pair(dilation)):
        if min(k, s, d) < 1 or p < 0 or d * (k - 1) + 1 > n + 2 * p:
            raise ValueError('bad settings')
        out.append(max(1, (n + p - d * (k - 1) - 1) // s + 1))
    return tuple(out)
    """),
]

STUBS = plain_stubs("conv2d_output_shape", ["(1, 1)", "(0, 0)", "tuple(input_hw)", "(kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)"])


@pytest.mark.parametrize("answer", CORRECT + WRONG + STUBS, ids=str)
def test_answer(answer):
    """Does the answer earn what it should (corpus.check)?"""
    check(answer)


def test_float_sizes_get_a_hint():
    text = message(WRONG, "float sizes", "values")
    assert "it returned (24.0, 24.0), a tuple of floats, expected (24, 24): the numbers are " \
        "right, but the result must be a tuple of two Python ints" in text, text


def test_missing_error_says_what_was_expected():
    text = message(WRONG, "raises RuntimeError like the layer", "errors")
    assert "RuntimeError" in text and "expected ValueError" in text


NOISY = correct("conv2d_output_shape", "warns, then raises what the contract asks", """
    def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
        warnings.warn("checking settings", RuntimeWarning)
        print("settings:", input_hw, kernel_size, stride, padding, dilation, file=sys.stderr)
        try:
            layer = nn.Conv2d(1, 1, kernel_size, stride, padding, dilation, bias=False)
            out = layer(torch.zeros(1, 1, *input_hw))
        except RuntimeError as error:
            raise ValueError(str(error)) from None
        return tuple(int(v) for v in out.shape[-2:])
""")


@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")
def test_warnings_and_stderr_keep_full_marks():
    """Warnings and output never cost points"""
    assert_noisy_keeps_full_marks(NOISY)


def test_cases_agree_with_the_layer():
    """Every expected output size (or ValueError) is what nn.Conv2d does"""
    assert_cases_agree_with("conv2d_output_shape",
                            lambda hw, k, stride=1, padding=0, dilation=1:
                            nn.Conv2d(1, 1, k, stride, padding, dilation))
