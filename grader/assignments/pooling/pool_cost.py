"""pool_cost(c, h, w, pool_size, stride, padding): the cost of a pooling layer

The number of window elements a pooling layer visits on a c x h x w input:
c * h' * w' * p_h * p_w, with h' = (h + 2 q_h - p_h) // s_h + 1 and
w' = (w + 2 q_w - p_w) // s_w + 1, the padding (q_h, q_w) on each side as
nn.MaxPool2d counts it; stride=None means the window. pool_size, stride and
padding are an int or a pair. Returns a Python int.
"""
from grader.assignments.args import as_int, as_pair
from grader.assignments.calls import plain_call, randint
from grader.assignments.spec import Spec

from .windows import output_hw

SPEC = Spec({"values": 2})


def reference(c, h, w, pool_size, stride, padding):
    c = as_int(c, "c")
    if c < 0:
        raise ValueError(f"c must be >= 0, got {c}")
    p_h, p_w = as_pair(pool_size, "pool_size", minimum=1)
    s = (p_h, p_w) if stride is None else as_pair(stride, "stride", minimum=1)
    out_h, out_w = output_hw((h, w), (p_h, p_w), s, as_pair(padding, "padding"))
    return c * out_h * out_w * p_h * p_w


def public():
    """The chapter's worked examples"""
    return [plain_call((3, 4, 4, (2, 2), (2, 2), (0, 0))), plain_call((1, 4, 4, 3, 2, 1))]


def hidden(rng):
    calls = []
    for i in range(16):
        c = randint(rng, 1, 8)
        p = (randint(rng, 1, 5), randint(rng, 1, 5))
        pad = (randint(rng, 0, p[0] // 2), randint(rng, 0, p[1] // 2))
        h = randint(rng, max(1, p[0] - 2 * pad[0]), 40)
        w = randint(rng, max(1, p[1] - 2 * pad[1]), 40)
        s = (randint(rng, 1, 4), randint(rng, 1, 4))
        as_int_args = i % 3 == 0 and p[0] == p[1] and s[0] == s[1] and pad[0] == pad[1]
        args = (c, h, w, p[0], s[0], pad[0]) if as_int_args else (c, h, w, p, s, pad)
        calls.append(plain_call(args))
    return calls
