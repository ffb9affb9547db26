"""Effort-free answers: results of the right shape, dtype and device that
compute nothing (zeros, ones, random numbers, a constant, the input or a
slice of it). Nothing for nothing: each must score 0 on its function.

Each tensor function has a header that works out the result's shape (as a
lazy answer would, with the layer or the formula) and names the tensor whose
dtype and device the stub copies; the stubs then fill that shape.
"""
from ._corpus import wrong

PAIR = "    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)\n"
POOLED = PAIR + """\
    k = pair(pool_size)
    s = k if stride is None else pair(stride)
    p = pair(padding)
    h = (X.shape[-2] + 2 * p[0] - k[0]) // s[0] + 1
    w = (X.shape[-1] + 2 * p[1] - k[1]) // s[1] + 1
    shape, like = (*X.shape[:-2], h, w), X
"""

# function: (signature, header that sets `shape` and `like`, a slice of an
# input with that shape)
TENSOR = {
    "corr2d": ("corr2d(X, K)", """\
    h, w = X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1
    shape, like = (h, w), X
""", "X[:h, :w].clone()"),
    "corr2d_multi_in": ("corr2d_multi_in(X, K)", """\
    h, w = X.shape[1] - K.shape[1] + 1, X.shape[2] - K.shape[2] + 1
    shape, like = (h, w), X
""", "X[0, :h, :w].clone()"),
    "corr2d_multi_in_out": ("corr2d_multi_in_out(X, K)", """\
    h, w = X.shape[1] - K.shape[2] + 1, X.shape[2] - K.shape[3] + 1
    shape, like = (K.shape[0], h, w), X
""", "X[:1, :h, :w].expand(K.shape[0], h, w).clone()"),
    "corr2d_multi_in_out_1x1": ("corr2d_multi_in_out_1x1(X, K)", """\
    shape, like = (K.shape[0], *X.shape[1:]), X
""", "X[:1].expand(*shape).clone()"),
    "pool2d": ("pool2d(X, pool_size, mode='max')", """\
    h, w = X.shape[0] - pool_size[0] + 1, X.shape[1] - pool_size[1] + 1
    shape, like = (h, w), X
""", "X[:h, :w].clone()"),
    "pool2d_strided": ("pool2d_strided(X, pool_size, stride=None, padding=0, mode='max')",
                       POOLED, "X[..., :h, :w].clone()"),
    "avg_pool_as_conv": ("avg_pool_as_conv(X, pool_size, stride=None, padding=0)",
                         POOLED, "X[..., :h, :w].clone()"),
    "max_pool_as_conv": ("max_pool_as_conv(X, pool_size, stride=None, padding=0)",
                         POOLED, "X[..., :h, :w].clone()"),
    "min_pool2d": ("min_pool2d(X, pool_size, stride=None, padding=0)",
                   POOLED, "X[..., :h, :w].clone()"),
    "softmax_pool2d": ("softmax_pool2d(X, pool_size, stride=None, beta=1.0)",
                       POOLED.replace("p = pair(padding)", "p = (0, 0)"),
                       "X[..., :h, :w].clone()"),
    "conv_matrix": ("conv_matrix(K, input_hw)", """\
    h, w = input_hw
    rows = (h - K.shape[0] + 1) * (w - K.shape[1] + 1)
    shape, like = (rows, h * w), K
""", "K.flatten()[:1].expand(*shape).clone()"),
    "transposed_conv_via_matrix": ("transposed_conv_via_matrix(Y, K)", """\
    shape, like = (Y.shape[0] + K.shape[0] - 1, Y.shape[1] + K.shape[1] - 1), Y
""", "F.pad(Y, (0, K.shape[1] - 1, 0, K.shape[0] - 1))"),
    "linear": ("linear(x, weight, bias=None)", """\
    shape, like = (*x.shape[:-1], weight.shape[0]), x
""", "x[..., :1].expand(*shape).clone()"),
    "sigmoid_grad": ("sigmoid_grad(y)", "    shape, like = y.shape, y\n", "y.clone()"),
    "tanh_grad": ("tanh_grad(y)", "    shape, like = y.shape, y\n", "y.clone()"),
    "tanh_via_sigmoid": ("tanh_via_sigmoid(x)", "    shape, like = x.shape, x\n", "x.clone()"),
}

FILLS = {
    "zeros": "torch.zeros(shape, dtype=like.dtype, device=like.device)",
    "ones": "torch.ones(shape, dtype=like.dtype, device=like.device)",
    "random numbers": "torch.rand(shape, dtype=like.dtype, device=like.device)",
    "a constant": "torch.full(shape, 0.5, dtype=like.dtype, device=like.device)",
    # connected to the input by autograd, so gradients do flow (as zeros)
    "zeros from the input": "like.sum() * torch.zeros(shape, dtype=like.dtype, "
                            "device=like.device)",
}


def _tensor_stubs(function):
    signature, header, cut = TENSOR[function]
    stubs = [(label, f"    return {fill}\n") for label, fill in FILLS.items()]
    stubs.append(("the input, cut to the result's shape", f"    return {cut}\n"))
    stubs.append(("zeroes its input in place and returns it", f"""\
    like.zero_()
    return {cut}
"""))
    return [wrong(function, f"stub: {label}", "everything",
                  f"def {signature}:\n{header}{body}") for label, body in stubs]


# the functions that return Python values: constants, an input, or raising
PLAIN = {
    "conv2d_output_shape": (
        "conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1)",
        ["(1, 1)", "(0, 0)", "tuple(input_hw)", "(kernel_size, kernel_size) if "
         "isinstance(kernel_size, int) else tuple(kernel_size)"]),
    "conv_transpose2d_output_shape": (
        "conv_transpose2d_output_shape(input_hw, kernel_size, stride=1, padding=0, "
        "output_padding=0, dilation=1)",
        ["(1, 1)", "(0, 0)", "tuple(input_hw)", "(8, 8)"]),
    "pool2d_output_shape": (
        "pool2d_output_shape(input_hw, kernel_size, stride=None, padding=0, dilation=1, "
        "ceil_mode=False)",
        ["(1, 1)", "(0, 0)", "tuple(input_hw)", "(2, 2)"]),
    "pool_cost": ("pool_cost(c, h, w, pool_size, stride, padding)",
                  ["0", "1", "c * h * w", "100"]),
}


def _plain_stubs(function):
    signature, results = PLAIN[function]
    stubs = [wrong(function, f"stub: returns {r}", "everything",
                   f"def {signature}:\n    return {r}\n") for r in results]
    stubs.append(wrong(function, "stub: always raises ValueError", "everything",
                       f"def {signature}:\n    raise ValueError('not done')\n"))
    return stubs


STUBS = [impl for f in TENSOR for impl in _tensor_stubs(f)] + \
    [impl for f in PLAIN for impl in _plain_stubs(f)]
# tanh saturates: sign(x) is right wherever |x| is large, and must not be
# enough to earn the other aspects on those calls alone
STUBS.append(wrong("tanh_via_sigmoid", "stub: the sign of x", "everything",
                   "def tanh_via_sigmoid(x):\n    return torch.sign(x)\n"))
