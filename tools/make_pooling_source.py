"""Writes solutions/pooling/pooling.ipynb (run once; then edit the notebook)"""
from notebook_builder import code, locked_md, notebook, solution, tests, write, written

cells = [
    locked_md("intro", r"""
# Assignment: pooling

Implement the pooling functions of the chapter *Pooling*. Every function you
write is checked twice: by the visible check under it (run it as often as you
like) and, when you submit, by hidden checks that compare it with a reference
on many generated inputs: other shapes, non-square windows, strides, padding,
float32 and float64, negative and repeated values, non-contiguous inputs,
every device the grader has, and gradients.

**Rules for every function that returns a tensor**

* the result has the input's **dtype** (float32 and float64 at least) and is
  on the input's **device**;
* it is **differentiable**: autograd gradients flow back to `X` and match the
  reference's;
* it does **not change its inputs** in place;
* window sizes, strides and paddings may be an `int` or a pair `(h, w)`
  wherever the contract says so.

**Nothing for nothing.** Every rule other than the values counts only
where your function returns the right values: dtype, device, gradients,
inputs left unchanged and how the result is computed are checked on the
calls whose values are right; the shape on every call that returns a
result, once one of them has the right values; the `ValueError` a contract
asks for once some valid input gets the right values. A result of the right
shape filled with zeros earns nothing, and a call whose right result is a
single number repeated, or an input as it is, does not count as right. A
function that is right except for one rule loses only that rule's points.

Run the cell below first."""),
    locked_md("setup-text", "The imports every cell below uses, and the checks."),
    code("""
import torch
from torch import nn
from torch.nn import functional as F

from grader.checks import check"""),

    locked_md("pool2d-text", r"""
## 1. `pool2d`: max and average pooling by hand

`pool2d(X, pool_size, mode='max')` slides a $p_h \times p_w$ window over the
2-D tensor `X` of shape $(h, w)$ with stride 1 and no padding, and returns the
maximum (`mode='max'`) or the mean (`mode='avg'`) of each window. The result
has shape $(h - p_h + 1,\ w - p_w + 1)$. Any other `mode` raises `ValueError`.

For `X = [[0, 1, 2], [3, 4, 5], [6, 7, 8]]`, `pool2d(X, (2, 2))` is
`[[4, 5], [7, 8]]` and `pool2d(X, (2, 2), 'avg')` is `[[2, 3], [5, 6]]`."""),
    solution("pool2d-solution", """
def pool2d(X, pool_size, mode='max'):
    \"\"\"X (h, w), pool_size (p_h, p_w) -> Y (h - p_h + 1, w - p_w + 1)\"\"\"
    ### BEGIN SOLUTION
    if mode not in ('max', 'avg'):
        raise ValueError(f"mode must be 'max' or 'avg', not {mode!r}")
    p_h, p_w = pool_size
    rows = []
    for i in range(X.shape[0] - p_h + 1):
        row = []
        for j in range(X.shape[1] - p_w + 1):
            window = X[i:i + p_h, j:j + p_w]
            row.append(window.max() if mode == 'max' else window.mean())
        rows.append(torch.stack(row))
    return torch.stack(rows)
    ### END SOLUTION"""),
    *tests("pool2d"),

    locked_md("pool2d_strided-text", r"""
## 2. `pool2d_strided`: padding, stride and leading dimensions

`pool2d_strided(X, pool_size, stride=None, padding=0, mode='max')` works on
`X` of shape $(\ldots, H, W)$ — any number of leading dimensions, pooled
independently — and behaves exactly like `nn.MaxPool2d` / `nn.AvgPool2d`
with their defaults:

* `stride=None` means the stride equals the window;
* `padding` is added on **each** side; max pooling never picks a padded
  position, average pooling counts the padded zeros in the mean;
* `pool_size`, `stride` and `padding` are an `int` or a pair.

The output is $\lfloor (H + 2p_h - k_h)/s_h \rfloor + 1$ by
$\lfloor (W + 2p_w - k_w)/s_w \rfloor + 1$."""),
    solution("pool2d_strided-solution", """
def pool2d_strided(X, pool_size, stride=None, padding=0, mode='max'):
    \"\"\"X (..., H, W) -> Y (..., H', W'), like nn.MaxPool2d / nn.AvgPool2d\"\"\"
    ### BEGIN SOLUTION
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)
    (k_h, k_w), (p_h, p_w) = pair(pool_size), pair(padding)
    s_h, s_w = (k_h, k_w) if stride is None else pair(stride)
    if mode not in ('max', 'avg'):
        raise ValueError(f"mode must be 'max' or 'avg', not {mode!r}")
    fill = float('-inf') if mode == 'max' else 0.0
    P = F.pad(X, (p_w, p_w, p_h, p_h), value=fill)
    H = (P.shape[-2] - k_h) // s_h + 1
    W = (P.shape[-1] - k_w) // s_w + 1
    windows = P.unfold(-2, k_h, s_h).unfold(-2, k_w, s_w)[..., :H, :W, :, :]
    windows = windows.reshape(*windows.shape[:-2], k_h * k_w)
    return windows.amax(-1) if mode == 'max' else windows.mean(-1)
    ### END SOLUTION"""),
    *tests("pool2d_strided"),

    locked_md("avg_pool_as_conv-text", r"""
## 3. Average pooling is a convolution

Average pooling with a $k_h \times k_w$ window is a convolution whose kernel
holds $1/(k_h k_w)$ everywhere. `avg_pool_as_conv(X, pool_size, stride=None,
padding=0)` takes `X` of shape $(N, C, H, W)$ and must equal
`F.avg_pool2d(X, pool_size, stride, padding)`, **computed by a convolution
with that fixed kernel**, applied to each channel separately (hint:
`groups=C`). Calling a pooling function or `unfold` loses the *structure*
points, however you spell the call."""),
    solution("avg_pool_as_conv-solution", """
def avg_pool_as_conv(X, pool_size, stride=None, padding=0):
    \"\"\"X (N, C, H, W) -> F.avg_pool2d(X, pool_size, stride, padding), by convolution\"\"\"
    ### BEGIN SOLUTION
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)
    k_h, k_w = pair(pool_size)
    stride = (k_h, k_w) if stride is None else pair(stride)
    C = X.shape[1]
    K = torch.full((C, 1, k_h, k_w), 1.0 / (k_h * k_w), dtype=X.dtype, device=X.device)
    return F.conv2d(X, K, stride=stride, padding=pair(padding), groups=C)
    ### END SOLUTION"""),
    *tests("avg_pool_as_conv"),

    locked_md("max_pool_as_conv-text", r"""
## 4. Max pooling from a convolution

A maximum is not linear, so no single kernel computes it; but a convolution
can *gather* each window: with $k_h k_w$ one-hot kernels (kernel $i$ has a
single 1 at position $i$), the output channel $i$ holds element $i$ of every
window. Then a max over those channels is max pooling.
`max_pool_as_conv(X, pool_size, stride=None, padding=0)` takes `X` of shape
$(N, C, H, W)$ and must equal `F.max_pool2d(X, pool_size, stride, padding)`.
Careful with padding: a padded position must never win the max (even when a
whole window is negative). No pooling function, no `unfold`."""),
    solution("max_pool_as_conv-solution", """
def max_pool_as_conv(X, pool_size, stride=None, padding=0):
    \"\"\"X (N, C, H, W) -> F.max_pool2d(X, pool_size, stride, padding), via one-hot kernels\"\"\"
    ### BEGIN SOLUTION
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)
    k_h, k_w = pair(pool_size)
    s = (k_h, k_w) if stride is None else pair(stride)
    p_h, p_w = pair(padding)
    N, C, H, W = X.shape
    n = k_h * k_w
    K = torch.eye(n, dtype=X.dtype, device=X.device).reshape(n, 1, k_h, k_w)
    P = F.pad(X, (p_w, p_w, p_h, p_h), value=float('-inf'))
    # -inf * 0 is nan in a convolution: gather on a finite copy, then mask
    finite = torch.isfinite(P)
    G = F.conv2d(torch.where(finite, P, torch.zeros_like(P)).reshape(N * C, 1, *P.shape[-2:]), K, stride=s)
    M = F.conv2d(finite.to(X.dtype).reshape(N * C, 1, *P.shape[-2:]), K, stride=s)
    G = torch.where(M > 0, G, torch.full_like(G, float('-inf')))
    return G.amax(1).reshape(N, C, *G.shape[-2:])
    ### END SOLUTION"""),
    *tests("max_pool_as_conv"),

    locked_md("pool_cost-text", r"""
## 5. The cost of a pooling layer

A pooling layer on an input of $c \times h \times w$ with a $p_h \times p_w$
window, padding $(q_h, q_w)$ **on each side** (PyTorch's convention) and
stride $(s_h, s_w)$ visits $c \times h' \times w' \times p_h \times p_w$
window elements, with
$h' = \lfloor (h + 2q_h - p_h)/s_h \rfloor + 1$ and
$w' = \lfloor (w + 2q_w - p_w)/s_w \rfloor + 1$. (The sources reuse $p_h, p_w$
for both the window and the padding; we name them apart.)
`pool_cost(c, h, w, pool_size, stride, padding)` returns that count as a
Python `int`; the last three arguments are an `int` or a pair."""),
    solution("pool_cost-solution", """
def pool_cost(c, h, w, pool_size, stride, padding):
    \"\"\"Window elements visited: c * h' * w' * p_h * p_w\"\"\"
    ### BEGIN SOLUTION
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)
    (p_h, p_w), (s_h, s_w), (q_h, q_w) = pair(pool_size), pair(stride), pair(padding)
    out_h = (h + 2 * q_h - p_h) // s_h + 1
    out_w = (w + 2 * q_w - p_w) // s_w + 1
    return c * out_h * out_w * p_h * p_w
    ### END SOLUTION"""),
    *tests("pool_cost"),

    locked_md("min_pool2d-text", r"""
## 6. Min pooling

Is min pooling "meaningless because of the padded zeros"? No: it is max
pooling of the negated input, negated back,
$\min(X) = -\max(-X)$, and padding never wins.
`min_pool2d(X, pool_size, stride=None, padding=0)` takes `X` of shape
$(\ldots, H, W)$ and returns the minimum of each window."""),
    solution("min_pool2d-solution", """
def min_pool2d(X, pool_size, stride=None, padding=0):
    \"\"\"X (..., H, W) -> minimum over each window; padding never wins\"\"\"
    ### BEGIN SOLUTION
    lead = X.shape[:-2]
    Y = -F.max_pool2d(-X.reshape(-1, 1, *X.shape[-2:]), pool_size, stride, padding)
    return Y.reshape(*lead, *Y.shape[-2:])
    ### END SOLUTION"""),
    *tests("min_pool2d"),

    locked_md("softmax_pool2d-text", r"""
## 7. Softmax pooling

Softmax pooling weights each element of a window by its softmax:
$y = \sum_i \operatorname{softmax}(\beta x)_i \, x_i$. With $\beta = 0$ it is
average pooling, as $\beta \to +\infty$ max pooling and as
$\beta \to -\infty$ min pooling. `softmax_pool2d(X, pool_size, stride=None,
beta=1.0)` takes `X` of shape $(\ldots, H, W)$, no padding, and must stay
finite however large $|\beta x|$ is (subtract the window's maximum of
$\beta x$ before `exp`)."""),
    solution("softmax_pool2d-solution", """
def softmax_pool2d(X, pool_size, stride=None, beta=1.0):
    \"\"\"X (..., H, W) -> sum_i softmax(beta * x)_i * x_i over each window\"\"\"
    ### BEGIN SOLUTION
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)
    k_h, k_w = pair(pool_size)
    s_h, s_w = (k_h, k_w) if stride is None else pair(stride)
    windows = X.unfold(-2, k_h, s_h).unfold(-2, k_w, s_w)
    windows = windows.reshape(*windows.shape[:-2], k_h * k_w)
    weights = torch.softmax(beta * windows, dim=-1)
    return (weights * windows).sum(-1)
    ### END SOLUTION"""),
    *tests("softmax_pool2d"),

    locked_md("written-text", r"""
## 8. Written answers

Answer in a few sentences each, in the cells below. These are graded by hand."""),
    *written("max_vs_avg-answer", r"""
**Question 1.** Max pooling and average pooling behave differently. Explain
how, in terms of what each passes on (and to which inputs the gradient
flows), and when you would pick one over the other.""", r"""
**Model answer.** Average pooling passes on a smoothed summary of the window:
every input contributes equally and the gradient is spread evenly
(1/(p_h·p_w) to each position), so it keeps background information and
damps noise. Max pooling passes on only the strongest response: the output
is invariant to small shifts of the feature inside the window, and the whole
gradient goes to the one position that was the maximum (the others get
zero). Max pooling suits detecting whether a feature is present (edges,
textures, the usual choice between convolutions); average pooling suits
summarising (global average pooling before a classifier, smoother
downsampling).

**Rubric (2 points).** 1 point: a correct contrast of what is passed on
(strongest response vs. mean of the window, invariance vs. smoothing).
1 point: the gradient flow (all to the arg-max vs. evenly spread) or a sound
reason for choosing each in practice.""", points=2),
    *written("min_pool-answer", r"""
**Question 2.** Do we need a separate minimum pooling layer? Could you
replace it with something else, and what does it do with padding?""", r"""
**Model answer.** No separate layer is needed: min pooling is
$-\mathrm{maxpool}(-X)$, so max pooling on the negated input does it, and
padding never wins because max pooling ignores padded positions (they act as
$-\infty$ for the max, i.e. $+\infty$ for the min). It is rarely used because
after a ReLU most activations are non-negative and the minimum is often 0,
carrying little information; but it is not "meaningless": on signed inputs it
detects the strongest negative response.

**Rubric (2 points).** 1 point: min pooling = −maxpool(−X) (or an equivalent
construction). 1 point: correct treatment of padding (padding never wins) or
a correct reason why it is rare (after ReLU the minimum is mostly 0).""",
            points=2),
    *written("softmax_pool-answer", r"""
**Question 3.** Softmax pooling sits between average and max pooling. Why is
it not popular? Discuss its cost and its gradients.""", r"""
**Model answer.** Each output needs p_h·p_w exponentials, a sum and a
division on top of the comparisons of max pooling: more arithmetic and memory
traffic, but still no learned weights — it does not "bring back the cost of
a convolution" (no parameters, cost grows with the window, not with channels
× channels). Its gradient is spread over the whole window, weighted by the
softmax, so it is neither the sparse arg-max gradient nor the even average
one; β must be chosen (or learned), and large |β·x| needs the max-subtraction
trick to stay finite. In practice max and average pooling (or strided
convolutions) give the same accuracy more cheaply, so the interpolation
rarely pays for itself.

**Rubric (2 points).** 1 point: the cost argument (exp per element, extra
memory; no parameters, so not the cost of a convolution). 1 point: gradients
spread over the window / interpolation between average (β=0) and max
(β→∞) / numerical stability.""", points=2),
]

write(notebook(cells), "solutions/pooling/pooling.ipynb")
