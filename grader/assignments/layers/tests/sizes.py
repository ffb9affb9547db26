"""The output-size functions' cases against the real layers"""
import warnings

import torch

from grader.course import DEFAULT_SEED
from grader.plan import trials


def assert_cases_agree_with(function, make_layer):
    """Every expected output size (or ValueError) of the function's plan is
    what the layer make_layer(*args, **kwargs) does on a zero input"""
    for call, expected in trials("layers", DEFAULT_SEED)[function]:
        hw = call.args[0]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                layer = make_layer(*call.args, **call.kwargs)
                got = tuple(layer(torch.zeros(1, 1, *hw)).shape[-2:])
        except (RuntimeError, ValueError):
            got = "fails"
        want = "fails" if call.expect_error else expected.value
        assert got == want, (call.args, call.kwargs)
