"""conv_transpose2d_output_shape(input_hw, kernel_size, stride=1, padding=0,
output_padding=0, dilation=1): the output size of nn.ConvTranspose2d

(H_out, W_out) of nn.ConvTranspose2d on an input of spatial size input_hw
(H, W): H_out = (H - 1) s_h - 2 q_h + d_h (k_h - 1) + a_h + 1 (padding q
on each side, output_padding a), the same for W. Every argument is an int or a pair; ValueError where
nn.ConvTranspose2d would fail (output_padding not smaller than the stride or
the dilation, an output below 1). Returns a tuple of two Python ints.
"""
from grader.assignments.args import as_pair
from grader.assignments.calls import plain_call, randint
from grader.assignments.spec import Spec

from .draws import axes, maybe_int

SPEC = Spec({"values": 2})


def reference(input_hw, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    H, W = as_pair(input_hw, "input_hw", minimum=1)
    k = as_pair(kernel_size, "kernel_size", minimum=1)
    s = as_pair(stride, "stride", minimum=1)
    p = as_pair(padding, "padding", minimum=0)
    op = as_pair(output_padding, "output_padding", minimum=0)
    d = as_pair(dilation, "dilation", minimum=1)
    out = []
    for size, k_, s_, p_, op_, d_ in zip((H, W), k, s, p, op, d):
        if op_ >= s_ and op_ >= d_:
            raise ValueError(
                f"output_padding={output_padding} must be smaller than either "
                f"stride={stride} or dilation={dilation}"
            )
        out.append((size - 1) * s_ - 2 * p_ + d_ * (k_ - 1) + op_ + 1)
    if min(out) < 1:
        raise ValueError(f"output size {tuple(out)} is too small (padding={padding})")
    return tuple(out)


def public():
    """Small worked examples, as in the chapter"""
    return [plain_call(((4, 4), 3), {"stride": 2, "padding": 1, "output_padding": 1}),
            plain_call(((3, 5), (2, 3))),
            plain_call(((5, 4), 3), {"stride": (3, 1), "padding": (0, 1), "dilation": (1, 2)})]


def _values(rng):
    def draw():
        k, s, d = randint(rng, 1, 4), randint(rng, 1, 4), randint(rng, 1, 3)
        op = randint(rng, 0, max(s, d) - 1)
        H = randint(rng, 1, 9)
        p = randint(rng, 0, 3)
        while (H - 1) * s - 2 * p + d * (k - 1) + op + 1 < 1:
            p -= 1
        return H, k, s, p, op, d
    hw, k, s, p, op, d = axes(draw)
    kwargs = {"stride": maybe_int(rng, s), "padding": maybe_int(rng, p),
              "output_padding": maybe_int(rng, op), "dilation": maybe_int(rng, d)}
    for name in list(kwargs):  # leave some at their defaults
        default = 1 if name in ("stride", "dilation") else 0
        if kwargs[name] == default and randint(rng, 0, 1):
            del kwargs[name]
    return plain_call((tuple(hw), maybe_int(rng, k)), kwargs)


def hidden(rng):
    return [_values(rng) for _ in range(30)]
