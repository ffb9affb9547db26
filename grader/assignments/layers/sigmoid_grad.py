"""sigmoid_grad(y): the sigmoid's derivative from its output

d sigmoid / dx written through the output y = sigmoid(x): y (1 - y), the
same shape as y.
"""
import torch

from grader.assignments.calls import grad_calls, rand, tensor_calls
from grader.assignments.spec import Spec, tensor_aspects

from .draws import F64, elementwise_shapes

SPEC = Spec(tensor_aspects(values=2))


def reference(y):
    return y * (1 - y)


def public():
    """Small worked examples, as in the chapter"""
    return tensor_calls((torch.tensor([0.5, 0.25, 0.9, 0.0], dtype=F64),))


def hidden(rng):
    calls = []
    for i, shape in enumerate(elementwise_shapes(rng)):
        calls += tensor_calls((torch.sigmoid(rand(rng, shape) * 3),), noncontig=i % 2 == 1)
    edges = torch.tensor([[0.0, 1.0, 0.5], [1e-8, 1 - 1e-8, 0.999]], dtype=F64)
    calls += tensor_calls((edges,))
    # the saturated ends, where a formula whose value is right can still give
    # a nan gradient
    ends = torch.tensor([0.0, 1.0, 1e-300, 1 - 1e-16, 1e-30, 0.5, 0.25, 0.9], dtype=F64)
    calls += grad_calls((ends,))
    return calls
