"""Writes solutions/layers/layers.ipynb (run once; then edit the notebook)

    PYTHONPATH=tools .venv/bin/python tools/make_layers_source.py
"""
from notebook_builder import code, locked_md, notebook, solution, tests, write

cells = [
    locked_md("intro", r"""
# Assignment: layers

Implement the functions of the chapter *Layer APIs*: the output sizes of
`nn.Conv2d`, `nn.ConvTranspose2d` and `nn.MaxPool2d`, the convolution as a
matrix and the transposed convolution as its transpose, `nn.Linear`, and the
derivatives of two activations. Every function you write is checked twice:
by the visible check under it (run it as often as you like) and, when you
submit, by hidden checks that compare it with a reference on many generated
inputs: grids of layer settings (non-square, with stride, padding, dilation
and ceil mode), other shapes and leading dimensions, float32 and float64,
negative, repeated and large values, non-contiguous inputs, every device the
grader has, and gradients.

**Rules**

* The three shape functions take an `int` or a pair `(h, w)` for every
  setting (`input_hw` is always a pair) and return a **tuple of two Python
  ints**, exactly what the layer produces; a list or a `torch.Size` of two
  Python ints is accepted too, NumPy integers, floats and bools are not.
* Every function that returns a tensor keeps the input's **dtype** (float32
  and float64 at least) and **device**, is **differentiable** (autograd
  gradients flow back to every tensor argument and match the reference's:
  no NumPy round trips, no `.detach()`), does **not change its inputs** in
  place, and works on **non-contiguous** inputs (prefer `reshape` to `view`).

**Nothing for nothing.** Every rule other than the values counts only
where your function returns the right values: dtype, device, gradients,
inputs left unchanged and how the result is computed are checked on the
calls whose values are right; the shape on every call that returns a
result, once one of them has the right values; the `ValueError` a contract
asks for once some valid input gets the right values. A result of the right
shape filled with zeros earns nothing, and a call whose right result is a
single number repeated, or an input as it is, does not count as right. A
function that is right except for one rule loses only that rule's points.

When a check fails it shows the smallest input it failed on, what was
expected and what your function returned. Run the cell below first."""),
    locked_md("setup-text", "The imports every cell below uses, and the checks."),
    code("""
import math

import torch
from torch import nn
from torch.nn import functional as F

from grader.checks import check"""),

    locked_md("conv2d_output_shape-text", r"""
## 1. The output size of `nn.Conv2d`

A convolution with kernel size $k$, stride $s$, padding $p$ (added on each
side) and dilation $d$ (the kernel's taps are $d$ apart, so it spans
$d(k-1)+1$ input positions) turns an input of size $n$ into

$$n_\text{out} = \left\lfloor \frac{n + 2p - d(k-1) - 1}{s} \right\rfloor + 1,$$

separately for the height and the width.
`conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1)`
returns `(H_out, W_out)`, equal to the spatial shape `nn.Conv2d` produces,
and raises **`ValueError` wherever `nn.Conv2d` would fail**: when the dilated
kernel does not fit in the padded input ($d(k-1)+1 > n+2p$), or when a
kernel size, stride or dilation is below 1, or a padding is negative.

Examples: `conv2d_output_shape((28, 28), 5)` is `(24, 24)`;
`conv2d_output_shape((32, 32), 3, stride=2, padding=1)` is `(16, 16)`;
`conv2d_output_shape((7, 9), (3, 5), stride=(2, 1), padding=(1, 2), dilation=(2, 1))`
is `(3, 9)`; `conv2d_output_shape((3, 3), 5)` raises `ValueError`."""),
    solution("conv2d_output_shape-solution", """
def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
    \"\"\"(H_out, W_out) of nn.Conv2d on an (H, W) input; ValueError where the layer fails\"\"\"
    ### BEGIN SOLUTION
    def pair(v):
        return (v, v) if isinstance(v, int) else tuple(v)

    out = []
    for n, k, s, p, d in zip(pair(input_hw), pair(kernel_size), pair(stride),
                             pair(padding), pair(dilation)):
        if k < 1 or s < 1 or d < 1 or p < 0:
            raise ValueError(f"kernel_size, stride and dilation must be >= 1 and "
                             f"padding >= 0, got k={k}, s={s}, d={d}, p={p}")
        if d * (k - 1) + 1 > n + 2 * p:
            raise ValueError(f"the kernel spans {d * (k - 1) + 1} positions, more than "
                             f"the padded input's {n + 2 * p}")
        out.append((n + 2 * p - d * (k - 1) - 1) // s + 1)
    return tuple(out)
    ### END SOLUTION"""),
    *tests("conv2d_output_shape"),

    locked_md("conv_transpose2d_output_shape-text", r"""
## 2. The output size of `nn.ConvTranspose2d`

A transposed convolution maps the output size of a convolution back to its
input size; the extra `output_padding` (added on one side only) picks among
the input sizes that a stride $s > 1$ maps to the same output:

$$n_\text{out} = (n - 1)\,s - 2p + d(k - 1) + o + 1,$$

where $o$ is the `output_padding`.

`conv_transpose2d_output_shape(input_hw, kernel_size, stride=1, padding=0,
output_padding=0, dilation=1)` returns `(H_out, W_out)`, equal to what
`nn.ConvTranspose2d` produces. You may assume settings the layer accepts
(`output_padding` smaller than the stride or the dilation).

Examples: `conv_transpose2d_output_shape((4, 4), 3, stride=2, padding=1, output_padding=1)`
is `(8, 8)` (it undoes `conv2d_output_shape((8, 8), 3, stride=2, padding=1)`,
which is `(4, 4)`); `conv_transpose2d_output_shape((3, 5), (2, 3))` is `(4, 7)`."""),
    solution("conv_transpose2d_output_shape-solution", """
def conv_transpose2d_output_shape(input_hw, kernel_size, stride=1, padding=0,
                                  output_padding=0, dilation=1):
    \"\"\"(H_out, W_out) of nn.ConvTranspose2d on an (H, W) input\"\"\"
    ### BEGIN SOLUTION
    def pair(v):
        return (v, v) if isinstance(v, int) else tuple(v)

    settings = zip(pair(input_hw), pair(kernel_size), pair(stride), pair(padding),
                   pair(output_padding), pair(dilation))
    return tuple((n - 1) * s - 2 * p + d * (k - 1) + op + 1
                 for n, k, s, p, op, d in settings)
    ### END SOLUTION"""),
    *tests("conv_transpose2d_output_shape"),

    locked_md("pool2d_output_shape-text", r"""
## 3. The output size of `nn.MaxPool2d`, ceil mode included

Pooling uses the convolution's formula, with two differences: the stride
defaults to the window (`stride=None` means `stride = kernel_size`), and with
`ceil_mode=True` the division is rounded **up**, so that a last, partial
window at the bottom or right is kept:

$$n_\text{out} = \left\lceil \frac{n + 2p - d(k-1) - 1}{s} \right\rceil + 1.$$

But a window that would **start in the right padding** — at position
$(n_\text{out} - 1)\,s \ge n + p$, past the input and its left padding — is
dropped: $n_\text{out}$ is then one less. For example with $n = 5$, $k = 2$,
$s = 2$, $p = 1$: the ceiling gives $\lceil 5/2 \rceil + 1 = 4$ windows, but
the fourth would start at $6 \ge 5 + 1$, so the layer produces 3.

`pool2d_output_shape(input_hw, kernel_size, stride=None, padding=0,
dilation=1, ceil_mode=False)` returns `(H_out, W_out)`, equal to what
`nn.MaxPool2d` produces; you may assume settings the layer accepts.

Examples: `pool2d_output_shape((4, 4), 3)` is `(1, 1)`;
`pool2d_output_shape((4, 4), (2, 3), stride=(2, 3), padding=(1, 1))` is
`(3, 2)`; `pool2d_output_shape((5, 5), 2, stride=2, ceil_mode=True)` is
`(3, 3)`, and so is
`pool2d_output_shape((5, 5), 2, stride=2, padding=1, ceil_mode=True)`."""),
    solution("pool2d_output_shape-solution", """
def pool2d_output_shape(input_hw, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    \"\"\"(H_out, W_out) of nn.MaxPool2d on an (H, W) input\"\"\"
    ### BEGIN SOLUTION
    def pair(v):
        return (v, v) if isinstance(v, int) else tuple(v)

    kernel = pair(kernel_size)
    strides = kernel if stride is None else pair(stride)
    out = []
    for n, k, s, p, d in zip(pair(input_hw), kernel, strides, pair(padding), pair(dilation)):
        span = n + 2 * p - d * (k - 1) - 1
        size = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (size - 1) * s >= n + p:  # the last window starts in the padding
            size -= 1
        out.append(size)
    return tuple(out)
    ### END SOLUTION"""),
    *tests("pool2d_output_shape"),

    locked_md("conv_matrix-text", r"""
## 4. The convolution as a matrix

`corr2d(X, K)` is linear in `X`, so it is a matrix product: flatten `X`
(shape $(h, w)$) row by row into a vector of length $h w$; the output,
flattened, has length $h' w'$ with $h' = h - k_h + 1$, $w' = w - k_w + 1$.
Row $i w' + j$ of the matrix $C$ holds the kernel placed at position
$(i, j)$ of an $h \times w$ image of zeros, flattened:

$$\operatorname{vec}(\operatorname{corr2d}(X, K)) = C \operatorname{vec}(X), \qquad C \in \mathbb{R}^{h' w' \times h w}.$$

`conv_matrix(K, input_hw)` returns $C$ for the kernel `K` of shape
$(k_h, k_w)$ and the input size `input_hw = (h, w)`, with `K`'s dtype and
device, differentiable with respect to `K`. For `K = [[1, 2], [3, 4]]` and a
$3 \times 3$ input, the first row of $C$ is `[1, 2, 0, 3, 4, 0, 0, 0, 0]`."""),
    solution("conv_matrix-solution", """
def conv_matrix(K, input_hw):
    \"\"\"K (k_h, k_w), input_hw (h, w) -> C (h' w', h w) with corr2d(X, K).flatten() == C @ X.flatten()\"\"\"
    ### BEGIN SOLUTION
    h, w = input_hw
    k_h, k_w = K.shape
    out_h, out_w = h - k_h + 1, w - k_w + 1
    rows = []
    for i in range(out_h):
        for j in range(out_w):
            # the kernel at (i, j) of an h x w image of zeros
            image = F.pad(K, (j, w - k_w - j, i, h - k_h - i))
            rows.append(image.reshape(-1))
    return torch.stack(rows)
    ### END SOLUTION"""),
    *tests("conv_matrix"),

    locked_md("transposed_conv_via_matrix-text", r"""
## 5. The transposed convolution is the transpose

If $C$ maps an $h \times w$ image to $h' \times w'$, then $C^\top$ maps
$h' \times w'$ back to $h \times w$: that is the transposed convolution (with
stride 1 and no padding). `transposed_conv_via_matrix(Y, K)` takes `Y` of
shape $(h', w')$ and the kernel `K` of shape $(k_h, k_w)$, builds $C$ for the
output size $(h' + k_h - 1,\ w' + k_w - 1)$ with your `conv_matrix`, and
returns $C^\top \operatorname{vec}(Y)$ reshaped to that size. It must equal
`F.conv_transpose2d(Y[None, None], K[None, None])[0, 0]`, gradients for `Y`
and `K` included. For `Y = K = [[0, 1], [2, 3]]` the result is
`[[0, 0, 1], [0, 4, 6], [4, 12, 9]]`."""),
    solution("transposed_conv_via_matrix-solution", """
def transposed_conv_via_matrix(Y, K):
    \"\"\"Y (h', w'), K (k_h, k_w) -> C^T vec(Y) as (h' + k_h - 1, w' + k_w - 1)\"\"\"
    ### BEGIN SOLUTION
    out_hw = (Y.shape[0] + K.shape[0] - 1, Y.shape[1] + K.shape[1] - 1)
    C = conv_matrix(K, out_hw)
    return (C.T @ Y.reshape(-1)).reshape(out_hw)
    ### END SOLUTION"""),
    *tests("transposed_conv_via_matrix"),

    locked_md("linear-text", r"""
## 6. `linear`: what `nn.Linear` computes

`nn.Linear(in_features, out_features)` holds a `weight` of shape
$(\text{out}, \text{in})$ and a `bias` of shape $(\text{out},)$, and maps
`x` of shape $(\ldots, \text{in})$ — any number of leading dimensions — to
$x W^\top + b$ of shape $(\ldots, \text{out})$. `linear(x, weight,
bias=None)` does the same; without a bias nothing is added.

The sources' example: `x = [[1, 2, 3]]`, the rows of `weight` are
`[1, 1, 1]`, `[2, 2, 2]`, `[3, 3, 3]`, `[4, 4, 4]` and `bias` is 0.5
everywhere: the result is `[[6.5, 12.5, 18.5, 24.5]]`."""),
    solution("linear-solution", """
def linear(x, weight, bias=None):
    \"\"\"x (..., in), weight (out, in), bias (out,) or None -> (..., out)\"\"\"
    ### BEGIN SOLUTION
    y = x @ weight.T
    if bias is not None:
        y = y + bias
    return y
    ### END SOLUTION"""),
    *tests("linear"),

    locked_md("sigmoid_grad-text", r"""
## 7. Activation gradients through the output

For $y = \operatorname{sigmoid}(x) = 1/(1 + e^{-x})$ the derivative can be
written with the output alone: $\frac{dy}{dx} = y\,(1 - y)$ — which is why
autograd only needs to keep $y$. `sigmoid_grad(y)` takes the **output** `y`
(any shape) and returns $y(1-y)$, elementwise. For `y = [0.5, 0.25, 0.9, 0]`
it is `[0.25, 0.1875, 0.09, 0]`."""),
    solution("sigmoid_grad-solution", """
def sigmoid_grad(y):
    \"\"\"d sigmoid/dx through the output y = sigmoid(x): y (1 - y)\"\"\"
    ### BEGIN SOLUTION
    return y * (1 - y)
    ### END SOLUTION"""),
    *tests("sigmoid_grad"),

    locked_md("tanh_grad-text", r"""
For $y = \tanh(x) = \frac{\sinh x}{\cosh x}$ (hyperbolic functions, not
$\sin/\cos$), $\frac{dy}{dx} = 1 - y^2$. `tanh_grad(y)` takes the output `y`
and returns $1 - y^2$, elementwise. For `y = [0, 0.5, -0.9, 1]` it is
`[1, 0.75, 0.19, 0]`."""),
    solution("tanh_grad-solution", """
def tanh_grad(y):
    \"\"\"d tanh/dx through the output y = tanh(x): 1 - y^2\"\"\"
    ### BEGIN SOLUTION
    return 1 - y * y
    ### END SOLUTION"""),
    *tests("tanh_grad"),

    locked_md("tanh_via_sigmoid-text", r"""
## 8. tanh from sigmoid

$\tanh(x) = \frac{2}{1 + e^{-2x}} - 1 = 2\operatorname{sigmoid}(2x) - 1$ — the
sources write $+1$, which would make $\tanh(0) = 2$. `tanh_via_sigmoid(x)`
returns $2\operatorname{sigmoid}(2x) - 1$ elementwise, with `torch.sigmoid`;
it must stay right for large $|x|$ (no `inf / inf`). For
`x = [-2, -0.5, 0, 1, 3]` it is about
`[-0.9640, -0.4621, 0, 0.7616, 0.9951]`."""),
    solution("tanh_via_sigmoid-solution", """
def tanh_via_sigmoid(x):
    \"\"\"tanh(x) computed as 2 sigmoid(2x) - 1\"\"\"
    ### BEGIN SOLUTION
    return 2 * torch.sigmoid(2 * x) - 1
    ### END SOLUTION"""),
    *tests("tanh_via_sigmoid"),
]

# stable cell ids (nbformat draws random ones): rerunning this script changes nothing
for index, cell in enumerate(cells):
    cell.id = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell-{index}"

write(notebook(cells), "solutions/layers/layers.ipynb")
