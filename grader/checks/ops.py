"""The aten ops a structure rule may name, by family

The tracer (trace.py) follows exactly these ops: a rule of an exercise
(`forbidden_ops`, `required_ops` in its SPEC) can only name ops from here,
and `grader release` refuses a rule that names another one. To rule out or
require an op that is not here, add it to its family (or a new family) and
to TRACED.
"""

CONV_OPS = frozenset({"convolution", "_convolution", "conv2d", "cudnn_convolution",
                      "mkldnn_convolution", "_slow_conv2d_forward", "thnn_conv2d"})
MATMUL_OPS = frozenset({"mm", "matmul", "bmm", "addmm", "einsum", "tensordot", "baddbmm",
                        "linear"})
POOLING_OPS = frozenset({
    "max_pool2d", "max_pool2d_with_indices", "avg_pool2d", "max_pool1d",
    "max_pool1d_with_indices", "avg_pool1d", "max_pool3d",
    "max_pool3d_with_indices", "avg_pool3d", "adaptive_avg_pool2d",
    "_adaptive_avg_pool2d", "adaptive_max_pool2d", "fractional_max_pool2d",
    "lp_pool2d", "im2col", "unfold", "as_strided", "max_unpool2d",
})
# what "reshaping" means where a structure rule allows only some ops on the
# input's data (a call's `only_ops`): views, copies, joining, splitting and
# padding, no arithmetic
RESHAPE_OPS = frozenset({
    "view", "_unsafe_view", "reshape", "permute", "transpose", "t", "expand", "squeeze",
    "unsqueeze", "cat", "stack", "slice", "select", "split", "split_with_sizes", "unbind",
    "narrow", "clone", "alias", "detach", "constant_pad_nd", "_to_copy", "lift_fresh",
    "flatten", "unflatten", "movedim", "repeat"})
RELU_OPS = frozenset({"relu", "relu_"})
# indexing: reading entries by index and writing them into another tensor,
# no arithmetic (an im2col matrix built by hand)
INDEX_OPS = frozenset({"index", "index_select", "gather", "take", "take_along_dim",
                       "index_put", "index_put_", "copy_", "slice_scatter",
                       "select_scatter"})
# not an aten op: the tracer names a convolution with groups > 1 so (for a
# rule against passing `groups=` to a built-in convolution)
GROUPED_CONV_OPS = frozenset({"grouped_convolution"})
# ops that read only a tensor's shape, dtype and device, never its numbers: a
# kernel made with X.new_zeros(...) holds none of X's data (not traced: they
# are recognised by name where `only_ops` applies)
SHAPE_ONLY_OPS = frozenset({"new_zeros", "new_ones", "new_empty", "new_full",
                            "zeros_like", "ones_like", "empty_like", "full_like"})
# every op the tracer follows
TRACED = (CONV_OPS | MATMUL_OPS | POOLING_OPS | RESHAPE_OPS | RELU_OPS | INDEX_OPS
          | GROUPED_CONV_OPS)
