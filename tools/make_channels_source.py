"""Writes solutions/channels/channels.ipynb (run once; then edit the notebook)

    PYTHONPATH=tools .venv/bin/python tools/make_channels_source.py
"""
from notebook_builder import code, locked_md, notebook, solution, tests, write

cells = [
    locked_md("intro", r"""
# Assignment: channels

Implement the functions of the chapter *Multiple input and output channels*.
Every function you write is checked twice: by the visible check under it (run
it as often as you like) and, when you submit, by hidden checks that compare
it with a reference on many generated inputs: other shapes (non-square inputs
and kernels, one or several channels), float32 and float64, negative,
repeated and large values, non-contiguous inputs, every device the grader
has, and gradients.

**Rules for every function**

* the result has the input's **dtype** (float32 and float64 at least) and is
  on the input's **device** — create new tensors with
  `dtype=X.dtype, device=X.device`;
* it is **differentiable**: autograd gradients flow back to `X` **and** `K`
  and match the reference's (no NumPy round trips, no `.detach()`);
* it does **not change its inputs** in place;
* it works on **non-contiguous** inputs (a transposed view, for example):
  prefer `reshape` to `view`.

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
import torch
from torch import nn
from torch.nn import functional as F

from grader.checks import check"""),

    locked_md("corr2d-text", r"""
## 1. `corr2d`: two-dimensional cross-correlation

`corr2d(X, K)` slides the kernel `K` of shape $(k_h, k_w)$ over the input `X`
of shape $(h, w)$ and returns, at each position, the sum of the elementwise
products of `K` with the window under it:

$$Y_{i,j} = \sum_{a=0}^{k_h-1}\sum_{b=0}^{k_w-1} X_{i+a,\,j+b}\,K_{a,b},$$

a tensor of shape $(h - k_h + 1,\ w - k_w + 1)$. This is what deep-learning
libraries call a convolution; the kernel is **not** flipped.

For `X = [[0, 1, 2], [3, 4, 5], [6, 7, 8]]` and `K = [[0, 1], [2, 3]]`,
`corr2d(X, K)` is `[[19, 25], [37, 43]]`."""),
    solution("corr2d-solution", """
def corr2d(X, K):
    \"\"\"X (h, w), K (k_h, k_w) -> Y (h - k_h + 1, w - k_w + 1)\"\"\"
    ### BEGIN SOLUTION
    k_h, k_w = K.shape
    Y = torch.zeros((X.shape[0] - k_h + 1, X.shape[1] - k_w + 1),
                    dtype=X.dtype, device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + k_h, j:j + k_w] * K).sum()
    return Y
    ### END SOLUTION"""),
    *tests("corr2d"),

    locked_md("corr2d_multi_in-text", r"""
## 2. `corr2d_multi_in`: several input channels

With $c_i$ input channels, `X` has shape $(c_i, h, w)$ and the kernel `K` has
one $k_h \times k_w$ slice per input channel: shape $(c_i, k_h, k_w)$.
`corr2d_multi_in(X, K)` cross-correlates each channel of `X` with its own
slice of `K` and **adds** the $c_i$ results: the output has shape
$(h - k_h + 1,\ w - k_w + 1)$ — one channel.

The chapter's example: `X` holds `[[0, 1, 2], [3, 4, 5], [6, 7, 8]]` and
`[[1, 2, 3], [4, 5, 6], [7, 8, 9]]`, `K` holds `[[0, 1], [2, 3]]` and
`[[1, 2], [3, 4]]`; `corr2d_multi_in(X, K)` is `[[56, 72], [104, 120]]`.
You may use your `corr2d`."""),
    solution("corr2d_multi_in-solution", """
def corr2d_multi_in(X, K):
    \"\"\"X (c_i, h, w), K (c_i, k_h, k_w) -> Y (h', w'), summed over input channels\"\"\"
    ### BEGIN SOLUTION
    return sum(corr2d(x, k) for x, k in zip(X, K))
    ### END SOLUTION"""),
    *tests("corr2d_multi_in"),

    locked_md("corr2d_multi_in_out-text", r"""
## 3. `corr2d_multi_in_out`: several output channels

For $c_o$ output channels the kernel gets one more axis: `K` has shape
$(c_o, c_i, k_h, k_w)$, and output channel $o$ is
`corr2d_multi_in(X, K[o])`. The result has shape
$(c_o,\ h - k_h + 1,\ w - k_w + 1)$.

With the `X` and `K` above, stacking `K`, `K + 1` and `K + 2` into a kernel
of shape $(3, 2, 2, 2)$ gives the three channels `[[56, 72], [104, 120]]`,
`[[76, 100], [148, 172]]` and `[[96, 128], [192, 224]]`."""),
    solution("corr2d_multi_in_out-solution", """
def corr2d_multi_in_out(X, K):
    \"\"\"X (c_i, h, w), K (c_o, c_i, k_h, k_w) -> Y (c_o, h', w')\"\"\"
    ### BEGIN SOLUTION
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)
    ### END SOLUTION"""),
    *tests("corr2d_multi_in_out"),

    locked_md("corr2d_multi_in_out_1x1-text", r"""
## 4. A $1 \times 1$ convolution is a matrix multiplication

With a $1 \times 1$ kernel, `K` of shape $(c_o, c_i, 1, 1)$, each output
pixel depends only on the $c_i$ values of the same input pixel: it is a
fully connected layer applied at every pixel. Reshape `X` to
$(c_i, h w)$ — one column per pixel — and `K` to $(c_o, c_i)$; their product
$(c_o, h w)$, reshaped to $(c_o, h, w)$, equals `corr2d_multi_in_out(X, K)`.

`corr2d_multi_in_out_1x1(X, K)` must compute the result **with one matrix
multiplication** (`@`, `torch.matmul`, `torch.mm` or `torch.einsum`); using
a convolution (your own or PyTorch's) loses the *structure* points, however
you spell the call. For a random $3 \times 3 \times 3$ input and a
$2 \times 3 \times 1 \times 1$ kernel the two versions agree to within
$10^{-6}$."""),
    solution("corr2d_multi_in_out_1x1-solution", """
def corr2d_multi_in_out_1x1(X, K):
    \"\"\"X (c_i, h, w), K (c_o, c_i, 1, 1) -> Y (c_o, h, w), by one matrix multiplication\"\"\"
    ### BEGIN SOLUTION
    c_i, h, w = X.shape
    c_o = K.shape[0]
    Y = K.reshape(c_o, c_i) @ X.reshape(c_i, h * w)
    return Y.reshape(c_o, h, w)
    ### END SOLUTION"""),
    *tests("corr2d_multi_in_out_1x1"),
]

# stable cell ids (nbformat draws random ones): rerunning this script changes nothing
for index, cell in enumerate(cells):
    cell.id = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell-{index}"

write(notebook(cells), "solutions/channels/channels.ipynb")
