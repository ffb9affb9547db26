"""Drawing the layers' settings and inputs"""
import torch

from grader.assignments.calls import randint

F64 = torch.float64
KINDS = ["normal", "ints", "large", "normal", "distinct"]


def maybe_int(rng, pair):
    """An int when both values agree (half the time), else the pair"""
    return pair[0] if pair[0] == pair[1] and randint(rng, 0, 1) else tuple(pair)


def axes(draw):
    """draw() per axis: one setting per axis, often different"""
    return tuple(zip(*(draw() for _ in range(2))))


def elementwise_shapes(rng):
    return [(), (1,), (7,), (3, 4), (2, 3, 4), (randint(rng, 1, 5), randint(rng, 1, 5))]
