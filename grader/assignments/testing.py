"""What the assignments' tests share: inputs and checks for testing the
references against PyTorch, the worked examples' expected values, and an
answer's verdict on one aspect over the grading plan (tests/checks uses
these too)"""

import torch
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# seeded and bounded: the whole reference suite runs in well under a minute
SETTINGS = settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
)

DTYPES = [torch.float32, torch.float64]
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])

dtypes = st.sampled_from(DTYPES)
seeds = st.integers(0, 2**31 - 1)


def make(shape, dtype=torch.float64, device="cpu", seed=0, kind="normal", contiguous=True):
    """A tensor of the given shape; kind 'ints' gives small repeated negative and positive
    integers (exact sums, ties); contiguous=False gives a strided view of a bigger tensor"""
    g = torch.Generator().manual_seed(seed)
    big = tuple(shape[:-1]) + (2 * shape[-1],) if shape else ()
    full = big if not contiguous and shape else tuple(shape)
    if kind == "ints":
        T = torch.randint(-4, 5, full, generator=g).to(dtype)
    else:
        T = torch.randn(full, generator=g, dtype=dtype)
    T = T.to(device)
    if not contiguous and shape:
        T = T[..., ::2]
        assert T.shape == tuple(shape)
        assert T.numel() <= 1 or not T.is_contiguous()
    return T


def tensors(shape, dtype=None, device="cpu"):
    """Hypothesis strategy: make(shape) with a drawn seed, kind and contiguity"""
    return st.builds(
        make,
        st.just(tuple(shape)),
        dtype=st.just(dtype) if dtype is not None else dtypes,
        device=st.just(device),
        seed=seeds,
        kind=st.sampled_from(["normal", "ints"]),
        contiguous=st.booleans(),
    )


def assert_untouched(fn, *inputs, **kwargs):
    """Call fn(*inputs, **kwargs), check no input changed (values or version counter)
    and return the output"""
    before = [T.clone() for T in inputs]
    versions = [T._version for T in inputs]
    out = fn(*inputs, **kwargs)
    for T, B, v in zip(inputs, before, versions):
        assert T._version == v, "an input was modified in place"
        torch.testing.assert_close(T, B, rtol=0, atol=0, equal_nan=True)
    return out


def grads(out, upstream, *leaves):
    """Gradients of (out * upstream).sum() w.r.t. leaves"""
    return torch.autograd.grad((out * upstream).sum(), leaves)


def public_values(function):
    """[(call, expected value)] of a function's worked examples whose first
    argument is float64 (or not a tensor), gradients left out"""
    from grader import assignments
    from grader.plan import expect
    out = []
    for call in assignments.public_calls(function):
        first = call.args[0]
        if call.grad or (isinstance(first, torch.Tensor) and first.dtype != torch.float64):
            continue
        out.append((call, expect(call).value))
    return out


# --- judging a function's answer over the grading plan ----------------------------

def verdict(function, aspect, fn, source=None):
    """judge's verdict on `fn` (or None: not defined) for one aspect of a
    function, over the grading plan's calls on the CPU; `source` is the
    answer's code, for the source check of `structure`"""
    from grader.assignments.corpus import judged
    return judged(function, fn, source, aspects=(aspect,))[aspect]


def changed_reference(function, change=lambda out, *args: out):
    """The function's reference, its result passed through
    `change(result, *args)`: an answer right but for that change"""
    from grader import assignments
    ref = assignments.reference(function)

    def fn(*args, **kwargs):
        return change(ref(*args, **kwargs), *args)
    return fn


def load_answer(source, name):
    """The function `name` that `source` defines, with np, torch and F at hand"""
    import numpy as np
    import torch.nn.functional as F
    namespace = {"np": np, "torch": torch, "F": F}
    exec(compile(source, "<answer>", "exec"), namespace)  # noqa: S102
    return namespace[name]
