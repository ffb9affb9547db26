"""pool_cost: answers in several styles earn every point, plausible wrong ones
lose the aspects they should, effort-free stubs earn nothing"""
import pytest

from grader.assignments.corpus import check, correct, plain_stubs, wrong

PAIR = """
def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)
"""

CORRECT = [
    correct("pool_cost", "floor division", PAIR + """
def pool_cost(c, h, w, pool_size, stride, padding):
    (p_h, p_w), (s_h, s_w), (q_h, q_w) = pair(pool_size), pair(stride), pair(padding)
    return c * ((h + 2 * q_h - p_h) // s_h + 1) * ((w + 2 * q_w - p_w) // s_w + 1) * p_h * p_w
    """),
    correct("pool_cost", "math.floor, loop over axes", PAIR + """
def pool_cost(c, h, w, pool_size, stride, padding):
    cost = c
    for size, p, s, q in zip((h, w), pair(pool_size), pair(stride), pair(padding)):
        cost *= math.floor((size + 2 * q - p) / s + 1) * p
    return cost
    """),
    correct("pool_cost", "the layer's output shape", """
        def pool_cost(c, h, w, pool_size, stride, padding):
            layer = nn.MaxPool2d(pool_size, stride, padding)
            out = layer(torch.zeros(1, c, h, w))
            k = nn.modules.utils._pair(pool_size)
            return int(out.numel()) * k[0] * k[1]
    """),
]

WRONG = [
    wrong("pool_cost", "padding counted once", "values", PAIR + """
def pool_cost(c, h, w, pool_size, stride, padding):
    (p_h, p_w), (s_h, s_w), (q_h, q_w) = pair(pool_size), pair(stride), pair(padding)
    return c * ((h + q_h - p_h) // s_h + 1) * ((w + q_w - p_w) // s_w + 1) * p_h * p_w
    """),
    wrong("pool_cost", "ceil instead of floor", "values", PAIR + """
def pool_cost(c, h, w, pool_size, stride, padding):
    (p_h, p_w), (s_h, s_w), (q_h, q_w) = pair(pool_size), pair(stride), pair(padding)
    out_h = math.ceil((h + 2 * q_h - p_h) / s_h) + 1
    out_w = math.ceil((w + 2 * q_w - p_w) / s_w) + 1
    return c * out_h * out_w * p_h * p_w
    """),
    wrong("pool_cost", "channels forgotten", "values", PAIR + """
def pool_cost(c, h, w, pool_size, stride, padding):
    (p_h, p_w), (s_h, s_w), (q_h, q_w) = pair(pool_size), pair(stride), pair(padding)
    return ((h + 2 * q_h - p_h) // s_h + 1) * ((w + 2 * q_w - p_w) // s_w + 1) * p_h * p_w
    """),
    wrong("pool_cost", "a float result", "values", PAIR + """
def pool_cost(c, h, w, pool_size, stride, padding):
    (p_h, p_w), (s_h, s_w), (q_h, q_w) = pair(pool_size), pair(stride), pair(padding)
    out_h = (h + 2 * q_h - p_h) // s_h + 1
    out_w = (w + 2 * q_w - p_w) // s_w + 1
    return c * out_h * out_w * p_h * p_w / 1.0
    """),
    wrong("pool_cost", "window and padding names reused (the sources' slip)", "values", PAIR + """
def pool_cost(c, h, w, pool_size, stride, padding):
    (p_h, p_w), (s_h, s_w) = pair(pool_size), pair(stride)
    out_h = (h + 2 * p_h - p_h) // s_h + 1
    out_w = (w + 2 * p_w - p_w) // s_w + 1
    return c * out_h * out_w * p_h * p_w
    """),
]

STUBS = plain_stubs("pool_cost", ["0", "1", "c * h * w", "100"])


@pytest.mark.parametrize("answer", CORRECT + WRONG + STUBS, ids=str)
def test_answer(answer):
    """Does the answer earn what it should (corpus.check)?"""
    check(answer)
