"""conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
the output size of nn.Conv2d

(H_out, W_out) of nn.Conv2d on an input of spatial size input_hw (H, W):
H_out = (H + 2 q_h - d_h (k_h - 1) - 1) // s_h + 1 (kernel k, padding q on
each side, stride s, dilation d), the same for W. Every
argument is an int or a pair; ValueError where nn.Conv2d would fail (a
dilated kernel bigger than the padded input, a size, stride or dilation
below 1, a negative padding). Returns a tuple of two Python ints.
"""
from grader.assignments.args import as_pair
from grader.assignments.calls import error_call, pick, plain_call, randint
from grader.assignments.spec import Spec

from .draws import axes, maybe_int

SPEC = Spec({"values": 2, "errors": 1})


def reference(input_hw, kernel_size, stride=1, padding=0, dilation=1):
    H, W = as_pair(input_hw, "input_hw", minimum=1)
    k = as_pair(kernel_size, "kernel_size", minimum=1)
    s = as_pair(stride, "stride", minimum=1)
    p = as_pair(padding, "padding", minimum=0)
    d = as_pair(dilation, "dilation", minimum=1)
    out = []
    for size, k_, s_, p_, d_ in zip((H, W), k, s, p, d):
        # the dilated kernel must fit in the padded input
        if d_ * (k_ - 1) + 1 > size + 2 * p_:
            raise ValueError(
                f"kernel_size={kernel_size} with dilation={dilation} is bigger than the "
                f"input {(H, W)} padded by {padding}"
            )
        out.append((size + 2 * p_ - d_ * (k_ - 1) - 1) // s_ + 1)
    return tuple(out)


def public():
    """Small worked examples, as in the chapter"""
    return [plain_call(((28, 28), 5)),
            plain_call(((32, 32), 3), {"stride": 2, "padding": 1}),
            plain_call(((7, 9), (3, 5)), {"stride": (2, 1), "padding": (1, 2),
                                          "dilation": (2, 1)}),
            error_call(((3, 3), 5))]


def _values(rng):
    def draw():
        k, s, p, d = randint(rng, 1, 5), randint(rng, 1, 4), randint(rng, 0, 3), randint(rng, 1, 3)
        span = d * (k - 1) + 1
        H = max(1, span - 2 * p) + pick(rng, [0, 0, 1, randint(rng, 0, 15)])
        return H, k, s, p, d
    hw, k, s, p, d = axes(draw)
    kwargs = {}
    for name, v, default in (("stride", s, 1), ("padding", p, 0), ("dilation", d, 1)):
        if v != (default, default) or randint(rng, 0, 2) == 0:  # defaults: sometimes left out
            kwargs[name] = maybe_int(rng, v)
    return plain_call((tuple(hw), maybe_int(rng, k)), kwargs)


# Settings where nn.Conv2d fails
ERRORS = [((3, 3), 5, {}), ((5, 8), (6, 3), {}), ((8, 5), (3, 6), {}),
          ((4, 4), 5, {"dilation": 1, "padding": 0}), ((6, 6), 3, {"dilation": 3}),
          ((6, 9), (2, 3), {"dilation": (6, 1)}), ((2, 2), 7, {"padding": 2}),
          ((5, 5), 3, {"stride": 0}), ((5, 5), 3, {"stride": (1, 0)}),
          ((5, 5), 0, {}), ((5, 5), 3, {"padding": -1}), ((5, 5), 3, {"dilation": 0})]


def hidden(rng):
    return [_values(rng) for _ in range(30)] + [error_call((hw, k), kw) for hw, k, kw in ERRORS]
