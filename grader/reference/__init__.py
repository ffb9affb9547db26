"""Reference implementations of every graded function, thin over torch.nn.functional

Written independently of solutions/; student answers are compared with these
"""

from .channels import corr2d, corr2d_multi_in, corr2d_multi_in_out, corr2d_multi_in_out_1x1
from .layers import (
    conv2d_output_shape,
    conv_matrix,
    conv_transpose2d_output_shape,
    linear,
    pool2d_output_shape,
    sigmoid_grad,
    tanh_grad,
    tanh_via_sigmoid,
    transposed_conv_via_matrix,
)
from .pooling import (
    avg_pool_as_conv,
    max_pool_as_conv,
    min_pool2d,
    pool2d,
    pool2d_strided,
    pool_cost,
    softmax_pool2d,
)

# the functions of each assignment, in the SPEC's order
ASSIGNMENTS = {
    "channels": (corr2d, corr2d_multi_in, corr2d_multi_in_out, corr2d_multi_in_out_1x1),
    "pooling": (
        pool2d,
        pool2d_strided,
        avg_pool_as_conv,
        max_pool_as_conv,
        pool_cost,
        min_pool2d,
        softmax_pool2d,
    ),
    "layers": (
        conv2d_output_shape,
        conv_transpose2d_output_shape,
        pool2d_output_shape,
        conv_matrix,
        transposed_conv_via_matrix,
        linear,
        sigmoid_grad,
        tanh_grad,
        tanh_via_sigmoid,
    ),
}

# every reference by the name the student's function has
REFERENCES = {f.__name__: f for functions in ASSIGNMENTS.values() for f in functions}

__all__ = sorted(REFERENCES) + ["ASSIGNMENTS", "REFERENCES"]
