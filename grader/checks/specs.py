"""What every exercise function must do, and what each part of it is worth

One `FunctionSpec` per student function: its assignment, signature and the
aspects it is graded on with their points. The grade cell of an aspect is
named `<function>-<aspect>` (SPEC section 2, "Grade cells").
"""
from dataclasses import dataclass, field

# What each aspect asks, in the student's words
ASPECTS = {
    "values": "returns the right numbers",
    "shape": "returns a result of the right shape",
    "dtype": "keeps the input's dtype (float32 and float64)",
    "devices": "returns its result on the input's device",
    "grad": "lets gradients flow back to its inputs, matching the reference",
    "unchanged": "leaves its inputs unchanged",
    "errors": "raises the error the contract asks for on bad input",
    "structure": "computes the result the way the exercise asks",
    "stability": "stays finite for large inputs",
}

TENSOR_ASPECTS = {"values": 3, "shape": 1, "dtype": 1, "devices": 1, "grad": 1,
                  "unchanged": 1}


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    assignment: str
    signature: str
    aspects: dict = field(default_factory=dict)  # aspect -> points
    # Rules for `structure`: aten ops the function must not use, and ops of
    # which it must use at least one
    forbidden_ops: frozenset = frozenset()
    required_ops: frozenset = frozenset()
    forbidden_names: tuple = ()  # library names the source must not use
    how: str = ""  # the structural rule in words

    @property
    def points(self):
        return sum(self.aspects.values())

    @property
    def arg_names(self):
        inside = self.signature[self.signature.index("(") + 1:-1]
        return [part.split("=")[0].strip() for part in inside.split(",")]

    def grade_id(self, aspect):
        return f"{self.name}-{aspect}"


POOLING_OPS = frozenset({
    "max_pool2d", "max_pool2d_with_indices", "avg_pool2d", "max_pool1d",
    "max_pool1d_with_indices", "avg_pool1d", "max_pool3d",
    "max_pool3d_with_indices", "avg_pool3d", "adaptive_avg_pool2d",
    "_adaptive_avg_pool2d", "adaptive_max_pool2d", "fractional_max_pool2d",
    "lp_pool2d", "im2col", "unfold", "as_strided", "max_unpool2d",
})
POOLING_NAMES = ("max_pool", "avg_pool", "maxpool", "avgpool", "adaptive_",
                 "lp_pool", "fractional_max", "unfold", "im2col", "as_strided",
                 "sliding_window")
CONV_OPS = frozenset({"convolution", "_convolution", "conv2d",
                      "cudnn_convolution", "mkldnn_convolution",
                      "_slow_conv2d_forward", "thnn_conv2d"})
MATMUL_OPS = frozenset({"mm", "matmul", "bmm", "addmm", "einsum", "tensordot",
                        "baddbmm", "_unsafe_view", "linear"}) - {"_unsafe_view"}
# what "reshaping" means where a structure rule allows only some ops on the
# input's data (views, copies, joining, splitting and padding, no arithmetic)
RESHAPE_OPS = frozenset({
    "view", "_unsafe_view", "reshape", "permute", "transpose", "t", "expand", "squeeze",
    "unsqueeze", "cat", "stack", "slice", "select", "split", "split_with_sizes", "unbind",
    "narrow", "clone", "alias", "detach", "constant_pad_nd", "_to_copy", "lift_fresh",
    "flatten", "unflatten", "movedim", "repeat"})
RELU_OPS = frozenset({"relu", "relu_"})
# every op a structure rule names: the recorder (trace.py) follows these
TRACED_OPS = POOLING_OPS | CONV_OPS | MATMUL_OPS | RESHAPE_OPS | RELU_OPS


def _spec(name, assignment, signature, aspects, **rules):
    return FunctionSpec(name, assignment, signature, dict(aspects), **rules)


def _tensor(name, assignment, signature, **extra):
    aspects = dict(TENSOR_ASPECTS)
    aspects.update(extra.pop("aspects", {}))
    return _spec(name, assignment, signature, aspects, **extra)


FUNCTIONS = {spec.name: spec for spec in [
    # channels
    _tensor("corr2d", "channels", "corr2d(X, K)"),
    _tensor("corr2d_multi_in", "channels", "corr2d_multi_in(X, K)"),
    _tensor("corr2d_multi_in_out", "channels", "corr2d_multi_in_out(X, K)"),
    _tensor("corr2d_multi_in_out_1x1", "channels",
            "corr2d_multi_in_out_1x1(X, K)", aspects={"structure": 2},
            forbidden_ops=CONV_OPS | POOLING_OPS, required_ops=MATMUL_OPS,
            forbidden_names=("conv", "corr2d", "unfold"),
            how="one matrix multiplication, no convolution"),
    # pooling
    _tensor("pool2d", "pooling", "pool2d(X, pool_size, mode='max')",
            aspects={"errors": 1}),
    _tensor("pool2d_strided", "pooling",
            "pool2d_strided(X, pool_size, stride=None, padding=0, mode='max')"),
    _tensor("avg_pool_as_conv", "pooling",
            "avg_pool_as_conv(X, pool_size, stride=None, padding=0)",
            aspects={"values": 2, "structure": 2},
            forbidden_ops=POOLING_OPS, required_ops=CONV_OPS,
            forbidden_names=POOLING_NAMES,
            how="a convolution with a fixed kernel, no pooling function or unfold"),
    _tensor("max_pool_as_conv", "pooling",
            "max_pool_as_conv(X, pool_size, stride=None, padding=0)",
            aspects={"values": 2, "structure": 2},
            forbidden_ops=POOLING_OPS, required_ops=CONV_OPS,
            forbidden_names=POOLING_NAMES,
            how="a convolution with fixed one-hot kernels, then a max over "
                "channels; no pooling function or unfold"),
    _spec("pool_cost", "pooling",
          "pool_cost(c, h, w, pool_size, stride, padding)", {"values": 2}),
    _tensor("min_pool2d", "pooling",
            "min_pool2d(X, pool_size, stride=None, padding=0)",
            aspects={"values": 2}),
    _tensor("softmax_pool2d", "pooling",
            "softmax_pool2d(X, pool_size, stride=None, beta=1.0)",
            aspects={"values": 2, "stability": 1}),
    # layers
    _spec("conv2d_output_shape", "layers",
          "conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, "
          "dilation=1)", {"values": 2, "errors": 1}),
    _spec("conv_transpose2d_output_shape", "layers",
          "conv_transpose2d_output_shape(input_hw, kernel_size, stride=1, "
          "padding=0, output_padding=0, dilation=1)", {"values": 2}),
    _spec("pool2d_output_shape", "layers",
          "pool2d_output_shape(input_hw, kernel_size, stride=None, padding=0, "
          "dilation=1, ceil_mode=False)", {"values": 3}),
    _tensor("conv_matrix", "layers", "conv_matrix(K, input_hw)"),
    _tensor("transposed_conv_via_matrix", "layers",
            "transposed_conv_via_matrix(Y, K)"),
    _tensor("linear", "layers", "linear(x, weight, bias=None)"),
    _tensor("sigmoid_grad", "layers", "sigmoid_grad(y)", aspects={"values": 2}),
    _tensor("tanh_grad", "layers", "tanh_grad(y)", aspects={"values": 2}),
    _tensor("tanh_via_sigmoid", "layers", "tanh_via_sigmoid(x)",
            aspects={"values": 2}),
]}

ASSIGNMENTS = ("channels", "pooling", "layers")


def functions_of(assignment):
    """The specs of one assignment, in the order of the exercise"""
    if assignment not in ASSIGNMENTS:
        raise ValueError(f"unknown assignment {assignment!r}; "
                         f"expected one of {', '.join(ASSIGNMENTS)}")
    return [s for s in FUNCTIONS.values() if s.assignment == assignment]


def parse_grade_id(grade_id):
    """'pool2d-values' -> (FunctionSpec, 'values'); KeyError if unknown"""
    name, _, aspect = grade_id.rpartition("-")
    spec = FUNCTIONS[name]
    if aspect not in spec.aspects:
        raise KeyError(grade_id)
    return spec, aspect
