"""The sample class: submissions of this assignment, and what each should lose

Each student answers by solution cell (`<function>-solution`); cells not
given keep the correct answer (from the source notebook). `loses` lists the
functions that must lose points, each with an aspect that must be among the
failures; every other function must get full marks. `corrupt` is the text
of a broken file written instead of a notebook. grader/sample.py builds
them into a course directory; `make demo` grades them.
"""

D2L_POOL2D = '''
def pool2d(X, pool_size, mode='max'):
    p_h, p_w = pool_size
    Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            if mode == 'max':
                Y[i, j] = X[i: i + p_h, j: j + p_w].max()
            elif mode == 'avg':
                Y[i, j] = X[i: i + p_h, j: j + p_w].mean()
    return Y
'''

LOOP_POOL2D = '''
def pool2d(X, pool_size, mode='max'):
    if mode not in ('max', 'avg'):
        raise ValueError('mode must be max or avg')
    p_h, p_w = pool_size
    Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1), dtype=X.dtype, device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            window = X[i:i + p_h, j:j + p_w]
            Y[i, j] = window.max() if mode == 'max' else window.mean()
    return Y
'''

SUMMING_POOL2D = LOOP_POOL2D.replace("window.mean()", "window.sum()")

LOOP_STRIDED = '''
def pool2d_strided(X, pool_size, stride=None, padding=0, mode='max'):
    as_pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)
    k_h, k_w = as_pair(pool_size)
    s_h, s_w = as_pair(stride) if stride is not None else (k_h, k_w)
    p_h, p_w = as_pair(padding)
    lead, (H, W) = X.shape[:-2], X.shape[-2:]
    fill = float('-inf') if mode == 'max' else 0.0
    P = torch.full((*lead, H + 2 * p_h, W + 2 * p_w), fill, dtype=X.dtype, device=X.device)
    P[..., p_h:p_h + H, p_w:p_w + W] = X
    out_h = (H + 2 * p_h - k_h) // s_h + 1
    out_w = (W + 2 * p_w - k_w) // s_w + 1
    rows = []
    for i in range(out_h):
        cols = []
        for j in range(out_w):
            win = P[..., i * s_h:i * s_h + k_h, j * s_w:j * s_w + k_w]
            cols.append(win.amax(dim=(-2, -1)) if mode == 'max' else win.mean(dim=(-2, -1)))
        rows.append(torch.stack(cols, dim=-1))
    return torch.stack(rows, dim=-2)
'''

OFF_BY_ONE_STRIDED = LOOP_STRIDED.replace(
    "out_h = (H + 2 * p_h - k_h) // s_h + 1", "out_h = (H + 2 * p_h) // s_h")

ZERO_PAD_MAX_STRIDED = LOOP_STRIDED.replace(
    "fill = float('-inf') if mode == 'max' else 0.0", "fill = 0.0")

MAX_POOL_BUILTIN = '''
def max_pool_as_conv(X, pool_size, stride=None, padding=0):
    return F.max_pool2d(X, pool_size, stride, padding)
'''

FLOAT32_MIN_POOL = '''
def min_pool2d(X, pool_size, stride=None, padding=0):
    lead = X.shape[:-2]
    Y = -F.max_pool2d(-X.float().reshape(-1, 1, *X.shape[-2:]), pool_size, stride, padding)
    return Y.reshape(*lead, *Y.shape[-2:])
'''

UNSTABLE_SOFTMAX = '''
def softmax_pool2d(X, pool_size, stride=None, beta=1.0):
    k_h, k_w = (pool_size, pool_size) if isinstance(pool_size, int) else pool_size
    s_h, s_w = (k_h, k_w) if stride is None else ((stride, stride) if isinstance(stride, int) else stride)
    windows = X.unfold(-2, k_h, s_h).unfold(-2, k_w, s_w)
    windows = windows.reshape(*windows.shape[:-2], k_h * k_w)
    e = torch.exp(beta * windows)
    return (e * windows).sum(-1) / e.sum(-1)
'''

HANGING_SOFTMAX = '''
def softmax_pool2d(X, pool_size, stride=None, beta=1.0):
    total = 0
    while True:          # meant to loop over windows; never ends
        total += 1
'''

ONE_SIDED_COST = '''
def pool_cost(c, h, w, pool_size, stride, padding):
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)
    (p_h, p_w), (s_h, s_w), (q_h, q_w) = pair(pool_size), pair(stride), pair(padding)
    out_h = (h + q_h - p_h) // s_h + 1
    out_w = (w + q_w - p_w) // s_w + 1
    return c * out_h * out_w * p_h * p_w
'''

SYNTAX_ERROR_MIN_POOL = '''
def min_pool2d(X, pool_size, stride=None, padding=0)
    return -F.max_pool2d(-X, pool_size, stride, padding)
'''

UNFINISHED = "# YOUR CODE HERE\nraise NotImplementedError()"

ANSWERS = {
    "max_vs_avg-answer": "Max pooling keeps the strongest activation in each window, so it "
                         "is robust to small shifts, and the gradient only goes to the max. "
                         "Average pooling smooths: every input counts equally.",
    "min_pool-answer": "No: ReLU keeps the order of the values, so the minimum of the "
                       "ReLUs is the ReLU of the minimum, and max pooling commutes too.",
    "softmax_pool-answer": "No: scaling X by lambda is like multiplying beta by lambda, so "
                           "large activations make it act like max pooling.",
}

STUDENTS = {
    "ada": {"about": "everything correct, vectorized", "cells": {}, "answers": ANSWERS,
            "loses": {}},
    "grace": {"about": "everything correct, with loops",
              "cells": {"pool2d-solution": LOOP_POOL2D,
                        "pool2d_strided-solution": LOOP_STRIDED},
              "answers": ANSWERS, "loses": {}},
    "alan": {"about": "the d2l book's loop code copied verbatim",
             "cells": {"pool2d-solution": D2L_POOL2D},
             "loses": {"pool2d": ["dtype", "errors"]}},
    "barbara": {"about": "off-by-one output size with stride",
                "cells": {"pool2d_strided-solution": OFF_BY_ONE_STRIDED},
                "loses": {"pool2d_strided": ["values", "shape"]}},
    "claude": {"about": "average pooling that sums",
               "cells": {"pool2d-solution": SUMMING_POOL2D},
               "loses": {"pool2d": ["values"]}},
    "donald": {"about": "zero padding under max pooling",
               "cells": {"pool2d_strided-solution": ZERO_PAD_MAX_STRIDED},
               "loses": {"pool2d_strided": ["values"]}},
    "edsger": {"about": "half-finished: stopped after two functions",
               "cells": {f"{f}-solution": UNFINISHED for f in
                         ("avg_pool_as_conv", "max_pool_as_conv", "pool_cost",
                          "min_pool2d", "softmax_pool2d", "max_pool_from_relu")},
               "loses": {f: ["values"] for f in
                         ("avg_pool_as_conv", "max_pool_as_conv", "pool_cost",
                          "min_pool2d", "softmax_pool2d", "max_pool_from_relu")}},
    "frances": {"about": "a syntax error in one cell",
                "cells": {"min_pool2d-solution": SYNTAX_ERROR_MIN_POOL},
                "loses": {"min_pool2d": ["values"]}},
    "guido": {"about": "softmax pooling that never returns",
              "cells": {"softmax_pool2d-solution": HANGING_SOFTMAX},
              "loses": {"softmax_pool2d": ["values"]}},
    "hedy": {"about": "max pooling 'as a convolution' that calls F.max_pool2d",
             "cells": {"max_pool_as_conv-solution": MAX_POOL_BUILTIN},
             "loses": {"max_pool_as_conv": ["structure"]}},
    "ken": {"about": "min pooling forced to float32",
            "cells": {"min_pool2d-solution": FLOAT32_MIN_POOL},
            "loses": {"min_pool2d": ["dtype"]}},
    "linus": {"about": "softmax pooling without the max subtraction",
              "cells": {"softmax_pool2d-solution": UNSTABLE_SOFTMAX},
              "loses": {"softmax_pool2d": ["stability"]}},
    "margaret": {"about": "pooling cost with padding on one side only",
                 "cells": {"pool_cost-solution": ONE_SIDED_COST},
                 "loses": {"pool_cost": ["values"]}},
    "radia": {"about": "correct, plus a demo cell that loops forever",
              "cells": {}, "extra_cells": ["while True:\n    pass  # my animation"],
              "answers": ANSWERS, "loses": {}},
    "niklaus": {"about": "a corrupt notebook file",
                "corrupt": '{"cells": [{"cell_type": "code", "source": "def pool2d(',
                "loses": "all"},
}
