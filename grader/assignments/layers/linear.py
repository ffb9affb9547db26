"""linear(x, weight, bias=None): what nn.Linear computes

x (..., in), weight (out, in), bias (out,) or None -> x weight^T + bias,
(..., out), with any number of leading dimensions.
"""
import torch
import torch.nn.functional as F

from grader.assignments.calls import grad_calls, magnitudes, rand, randint, tensor_calls
from grader.assignments.spec import Spec, tensor_aspects

from .draws import F64, KINDS

SPEC = Spec(tensor_aspects())


def reference(x, weight, bias=None):
    return F.linear(x, weight, bias)


def _example():
    """The sources' nn.Linear(3, 4) example: W rows 1..4, bias 0.5"""
    x = torch.tensor([[1.0, 2.0, 3.0]], dtype=F64)
    W = torch.arange(1.0, 5.0, dtype=F64)[:, None].repeat(1, 3)
    return x, W, torch.full((4,), 0.5, dtype=F64)


def public():
    """Small worked examples, as in the chapter"""
    x, W, b = _example()
    return tensor_calls((x, W, b)) + tensor_calls((x, W))


def hidden(rng):
    calls = []
    leads = [(), (1,), (4,), (2, 3), (2, 1, 3)]
    for i in range(12):
        lead, n_in, n_out = leads[i % len(leads)], randint(rng, 1, 6), randint(rng, 1, 5)
        kind = KINDS[i % len(KINDS)]
        x, W = rand(rng, (*lead, n_in), kind), rand(rng, (n_out, n_in), kind)
        bias = rand(rng, (n_out,), kind) if i % 3 else None
        args = (x, W) if bias is None and i % 2 else (x, W, bias)
        calls += tensor_calls(args, grad=False, noncontig=i % 4 == 1)
        gx, gW = rand(rng, (*lead, n_in)), rand(rng, (n_out, n_in))
        gargs = (gx, gW) if bias is None else (gx, gW, rand(rng, (n_out,)))
        calls += tensor_calls(gargs)[2:]
    # gradients where the numbers are huge or tiny, in float32 and float64
    for scale in (1e15, 1e-15):
        x, W, b = (magnitudes(rng, s, scale) for s in ((2, 4), (3, 4), (3,)))
        calls += grad_calls((x, W, b))
    return calls
