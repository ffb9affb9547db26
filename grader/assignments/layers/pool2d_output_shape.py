"""pool2d_output_shape(input_hw, kernel_size, stride=None, padding=0,
dilation=1, ceil_mode=False): the output size of nn.MaxPool2d

(H_out, W_out) of nn.MaxPool2d on an input of spatial size input_hw (H, W):
the floor (or, in ceil mode, the ceiling) of
(H + 2 q_h - d_h (p_h - 1) - 1) / s_h, plus 1 (window p, padding q on each
side, stride s, dilation d), the same for W. In ceil mode a last window
that would start at or beyond H + q_h (past the input and its
left padding) is dropped. stride=None means the kernel size. Every argument
but ceil_mode is an int or a pair; ValueError where nn.MaxPool2d raises
(padding over half the kernel, an output below 1). Returns a tuple of two
Python ints.
"""
from grader.assignments.args import as_pair
from grader.assignments.calls import pick, plain_call, randint
from grader.assignments.spec import Spec

from .draws import maybe_int

SPEC = Spec({"values": 3})


def reference(input_hw, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    H, W = as_pair(input_hw, "input_hw", minimum=1)
    k = as_pair(kernel_size, "kernel_size", minimum=1)
    s = k if stride is None else as_pair(stride, "stride", minimum=1)
    p = as_pair(padding, "padding", minimum=0)
    d = as_pair(dilation, "dilation", minimum=1)
    out = []
    for size, k_, s_, p_, d_ in zip((H, W), k, s, p, d):
        if p_ > k_ // 2:
            raise ValueError(f"padding={padding} must be at most half of kernel_size={kernel_size}")
        span = size + 2 * p_ - d_ * (k_ - 1) - 1
        n = (-(-span // s_) if ceil_mode else span // s_) + 1
        # ceil mode: the last window must start inside the input or the left padding
        if ceil_mode and (n - 1) * s_ >= size + p_:
            n -= 1
        out.append(n)
    if min(out) < 1:
        raise ValueError(
            f"output size {tuple(out)} is too small: the pooling window does not fit in "
            f"the input {(H, W)}"
        )
    return tuple(out)


def public():
    """Small worked examples, as in the chapter"""
    return [
        plain_call(((4, 4), 3)),
        plain_call(((4, 4), 3), {"stride": 2, "padding": 1}),
        plain_call(((4, 4), (2, 3)), {"stride": (2, 3), "padding": (1, 1)}),
        plain_call(((5, 5), 2), {"stride": 2, "ceil_mode": True}),
        # ceil gives 4 windows, but the 4th would start in the right padding
        plain_call(((5, 5), 2), {"stride": 2, "padding": 1, "ceil_mode": True}),
        plain_call(((9, 9), 3), {"stride": 1, "padding": 1, "dilation": 2}),
    ]


def _axis(H, k, s, p, d, ceil_mode):
    """nn.MaxPool2d's size on one axis, and whether ceil mode's last-window rule fired"""
    span = H + 2 * p - d * (k - 1) - 1
    n = (-(-span // s) if ceil_mode else span // s) + 1
    fired = ceil_mode and (n - 1) * s >= H + p
    return n - fired, fired


def _grid():
    """Every small setting of one axis nn.MaxPool2d accepts, by what it tests;
    a stride of None (the window) is its own setting"""
    kinds = {"floor": [], "ceil_up": [], "ceil_rule": [], "ceil_same": []}
    for H in range(1, 12):
        for k in range(1, 5):
            for s in (None, 1, 2, 3, 4):
                for p in range(0, k // 2 + 1):
                    for d in (1, 2, 3):
                        for ceil_mode in (False, True):
                            s_ = k if s is None else s
                            n, fired = _axis(H, k, s_, p, d, ceil_mode)
                            if n < 1:
                                continue
                            setting = (H, k, s, p, d)
                            if not ceil_mode:
                                kinds["floor"].append((setting, False))
                            elif fired:
                                kinds["ceil_rule"].append((setting, True))
                            elif n != _axis(H, k, s_, p, d, False)[0]:
                                kinds["ceil_up"].append((setting, True))
                            else:
                                kinds["ceil_same"].append((setting, True))
    return kinds


def _values(rng, grid, kind):
    (a, ceil_mode) = pick(rng, grid[kind])
    # the other axis: a setting of the same mode, with a stride of None when
    # this one has None (stride=None is the window on both axes)
    others = [s for group in grid.values() for s, c in group
              if c == ceil_mode and (s[2] is None) == (a[2] is None)]
    b = pick(rng, others)
    if randint(rng, 0, 1):
        a, b = b, a
    hw, k, s, p, d = zip(a, b)
    kwargs = {}
    if s[0] is not None:
        kwargs["stride"] = maybe_int(rng, s)
    elif randint(rng, 0, 2) == 0:
        kwargs["stride"] = None  # said out loud
    if p != (0, 0) or randint(rng, 0, 1):
        kwargs["padding"] = maybe_int(rng, p)
    if d != (1, 1) or randint(rng, 0, 1):
        kwargs["dilation"] = maybe_int(rng, d)
    if ceil_mode or randint(rng, 0, 1):
        kwargs["ceil_mode"] = ceil_mode
    return plain_call((tuple(hw), maybe_int(rng, k)), kwargs)


def hidden(rng):
    grid = _grid()
    calls = []
    for kind, n in (("floor", 14), ("ceil_up", 10), ("ceil_rule", 10), ("ceil_same", 6)):
        calls += [_values(rng, grid, kind) for _ in range(n)]
    return calls
