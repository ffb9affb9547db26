"""tanh_via_sigmoid(x): tanh written with the sigmoid

tanh(x) = 2 sigmoid(2x) - 1, the same shape as x; right (and with a finite
gradient) for large |x| too, where exp(-2x) overflows.
"""
import torch

from grader.assignments.calls import grad_calls, rand, tensor_calls
from grader.assignments.spec import Spec, tensor_aspects

from .draws import F64, elementwise_shapes

SPEC = Spec(tensor_aspects(values=2))


def reference(x):
    return 2 * torch.sigmoid(2 * x) - 1


def public():
    """Small worked examples, as in the chapter"""
    return tensor_calls((torch.tensor([-2.0, -0.5, 0.0, 1.0, 3.0], dtype=F64),))


def hidden(rng):
    calls = []
    for i, shape in enumerate(elementwise_shapes(rng)):
        calls += tensor_calls((rand(rng, shape) * 4,), noncontig=i % 2 == 1)
    # large |x| overflows exp(-2x); each call also holds ordinary values, where
    # tanh is not yet +-1, so that sign(x) is not right on it
    wide = torch.cat([torch.linspace(-30, 30, 13, dtype=F64), rand(rng, (6,), "large"),
                      torch.tensor([0.0, -1e4, 1e4, 0.3, -1.2], dtype=F64)])
    calls += tensor_calls((wide,), grad=False)
    big = torch.cat([rand(rng, (3, 4), "large"), rand(rng, (1, 4))])
    calls += tensor_calls((big,), grad=False, noncontig=True)
    # gradients at the saturated ends (exp(800) = inf, 0 * inf)
    x = torch.tensor([-400.0, -50.0, -20.0, 0.0, 1e-30, 20.0, 50.0, 400.0, 0.3, -1.2, 2.0,
                      -710.0, 710.0], dtype=F64)
    calls += grad_calls((x,))
    calls += grad_calls((x.reshape(1, 13).T,))
    return calls
