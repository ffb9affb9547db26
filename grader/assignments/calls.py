"""Building the calls a function is checked with, for public() and hidden(rng)

Every builder returns Calls without the function's name: the plan names
them after the module they come from (grader.assignments.public_calls).
Tensor arguments are given in float64; the builders make the float32 copies.
"""
import torch

from grader.checks.calls import Call

VALUE_ASPECTS = frozenset({"values", "shape", "dtype", "unchanged"})


def rand(rng, shape, kind="normal"):
    """A float64 tensor: 'normal', 'ints' (many repeats), 'large', 'distinct'"""
    n = 1
    for s in shape:
        n *= s
    if kind == "normal":
        t = torch.randn(shape, generator=rng, dtype=torch.float64)
    elif kind == "ints":
        t = torch.randint(-3, 4, shape, generator=rng).double()
    elif kind == "large":
        t = torch.randn(shape, generator=rng, dtype=torch.float64) * 1e4
    elif kind == "distinct":  # no ties anywhere: safe for max's gradient
        t = (torch.randperm(n, generator=rng).double() - n / 2).reshape(shape) / 4
    else:
        raise ValueError(kind)
    return t


def pick(rng, options):
    return options[int(torch.randint(len(options), (1,), generator=rng))]


def randint(rng, low, high):
    """An int in [low, high]"""
    return int(torch.randint(low, high + 1, (1,), generator=rng))


def tensor_calls(args, kwargs=None, *, grad=True, noncontig=False, extra=frozenset(),
                 trace=False, only_ops=()):
    """The standard set for one input: float32 and float64 values (CPU), and a
    float64 gradient call. Tensor arguments must be float64. only_ops (with
    trace): the only ops that may touch the inputs' data (grader.checks.ops)"""
    kwargs = kwargs or {}
    calls = []
    for dtype in (torch.float32, torch.float64):
        cast = tuple(a.to(dtype) if isinstance(a, torch.Tensor) else a for a in args)
        aspects = VALUE_ASPECTS | extra | ({"devices"} if dtype == torch.float32 else set())
        nc = tuple(i for i, a in enumerate(args) if isinstance(a, torch.Tensor)
                   and a.dim() >= 2) if noncontig else ()
        calls.append(Call("", cast, dict(kwargs), frozenset(aspects), noncontig=nc,
                          trace=trace, only_ops=tuple(sorted(only_ops))))
    if grad:
        calls.append(Call("", tuple(args), dict(kwargs), frozenset({"grad"} | extra),
                          grad=True, trace=trace, only_ops=tuple(sorted(only_ops))))
    return calls


def error_call(args, kwargs=None, error="ValueError"):
    """A call whose contract demands an error (an exception class name)"""
    return Call("", tuple(args), dict(kwargs or {}), frozenset({"errors"}), expect_error=error)


def plain_call(args, kwargs=None, aspects=frozenset({"values"})):
    """A call of a function returning plain Python data (ints, tuples)"""
    return Call("", tuple(args), dict(kwargs or {}), frozenset(aspects))


def grad_calls(args, kwargs=None, *, extra=frozenset(), trace=False,
               dtypes=(torch.float32, torch.float64), only_ops=()):
    """Gradient calls in float32 and float64 on the same inputs, for the
    numerically hard regions (huge, tiny, near exp's overflow, ties, padded
    borders). Tensor arguments must be float64 and hold ordinary values too,
    so that the result's values say something."""
    calls = []
    for dtype in dtypes:
        cast = tuple(a.to(dtype) if isinstance(a, torch.Tensor) else a for a in args)
        calls.append(Call("", cast, dict(kwargs or {}), frozenset({"grad"} | extra),
                          grad=True, trace=trace, only_ops=tuple(sorted(only_ops))))
    return calls


def magnitudes(rng, shape, scale, positive=False):
    """Distinct values (no ties, also in float32) of about `scale`, signs
    mixed unless positive, every third of them ordinary (about 1): a float64
    tensor"""
    n = 1
    for s in shape:
        n *= s
    t = torch.randperm(n, generator=rng).double() + 1
    if not positive:
        t = t - (n + 1) / 2 - 0.25  # no zero, no two of one magnitude
    t = t / t.abs().max() * scale
    t[::3] = t[::3] / scale  # every third back to about 1
    return t.reshape(shape)
