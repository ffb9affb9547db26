"""The measurement: can a submission forge what is measured inside its own
process?

Values are the student's answer whatever the process does. What must be
measured inside (which aten ops produced the result, what the inputs look
like afterwards) is measured by code that identifies ops by the objects
captured before any student code ran and follows the result's data flow;
every outcome frame is authenticated with a secret the student's function
never sees while it runs, and a frame out of order, extra or unauthentic
voids all of that function's outcomes; every byte a student process sends
counts against the function's result budget.
"""
import pytest

from .corpus import (LIMITS, RIGHT_POOL2D, SOLUTION_CODE, WRONG_POOL2D, gains_nothing,
                     grade, markers, needs_isolation, notebook, others_full, points)

pytestmark = needs_isolation

# --- the structure trace ----------------------------------------------------------

# Max pooling with shifted slices and torch.maximum: right values, no
# convolution (so no `structure` point) and no pooling op
SHIFT_MAX = '''
def _shift_max(X, pool_size, stride=None, padding=0):
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)
    k_h, k_w = pair(pool_size)
    s_h, s_w = (k_h, k_w) if stride is None else pair(stride)
    p_h, p_w = pair(padding)
    P = F.pad(X, (p_w, p_w, p_h, p_h), value=float('-inf'))
    H = (P.shape[-2] - k_h) // s_h + 1
    W = (P.shape[-1] - k_w) // s_w + 1
    out = None
    for i in range(k_h):
        for j in range(k_w):
            part = P[..., i:i + s_h * (H - 1) + 1:s_h, j:j + s_w * (W - 1) + 1:s_w]
            out = part if out is None else torch.maximum(out, part)
    return out
'''
PLAIN_SHIFT = SHIFT_MAX + '''

def max_as_conv(X, pool_size, stride=None, padding=0):
    return _shift_max(X, pool_size, stride, padding)
'''
THROWAWAY_CONV = SHIFT_MAX + '''

def max_as_conv(X, pool_size, stride=None, padding=0):
    N, C, H, W = X.shape
    F.conv2d(X.reshape(N * C, 1, H, W), torch.ones(1, 1, 1, 1, dtype=X.dtype,
                                                   device=X.device))  # thrown away
    return _shift_max(X, pool_size, stride, padding)
'''
# The library's max pooling, found by a name the source check cannot read,
# with the forbidden op renamed into the required one at the top level
RENAMED_OP = '''
_pool = getattr(F, "max" + "_pool2d")
for _name in ("max_pool2d_with_indices", "max_pool2d"):
    getattr(torch.ops.aten, _name).__name__ = "convolution"
    for _o in getattr(torch.ops.aten, _name).overloads():
        getattr(getattr(torch.ops.aten, _name), _o).__name__ = "convolution"


def max_as_conv(X, pool_size, stride=None, padding=0):
    return _pool(X, pool_size, stride, padding)
'''
# An op of its own, registered under the name `convolution`
CUSTOM_OP = SHIFT_MAX + '''
_lib = torch.library.Library("qzxv", "DEF")
_lib.define("convolution(Tensor x) -> Tensor")
_lib.impl("convolution", lambda x: x.clone(), "CompositeExplicitAutograd")


def max_as_conv(X, pool_size, stride=None, padding=0):
    torch.ops.qzxv.convolution(X)
    return _shift_max(X, pool_size, stride, padding)
'''
# The recorder taken off the dispatch stack for the real work, and put back
POPPED_MODE = '''
_pool = getattr(F, "max" + "_pool2d")


def max_as_conv(X, pool_size, stride=None, padding=0):
    N, C, H, W = X.shape
    F.conv2d(X.reshape(N * C, 1, H, W), torch.ones(1, 1, 1, 1, dtype=X.dtype,
                                                   device=X.device))
    modes = []
    while torch._C._len_torch_dispatch_stack():
        modes.append(torch._C._pop_torch_dispatch_stack(None))
    try:
        return _pool(X, pool_size, stride, padding)
    finally:
        for m in reversed(modes):
            torch._C._push_on_torch_dispatch_stack(m)
'''
# ... and the same with the mode's own machinery
DISABLED_MODES = '''
_pool = getattr(F, "max" + "_pool2d")
from torch.utils import _python_dispatch as _pd


def max_as_conv(X, pool_size, stride=None, padding=0):
    N, C, H, W = X.shape
    F.conv2d(X.reshape(N * C, 1, H, W), torch.ones(1, 1, 1, 1, dtype=X.dtype,
                                                   device=X.device))
    with _pd._disable_current_modes():
        return _pool(X, pool_size, stride, padding)
'''


@pytest.mark.parametrize("attack", [THROWAWAY_CONV, RENAMED_OP, CUSTOM_OP, POPPED_MODE,
                                    DISABLED_MODES],
                         ids=["throwaway-conv", "renamed-op", "custom-op", "popped-mode",
                              "disabled-modes"])
def test_the_structure_trace_cannot_be_forged(sandbox, baseline, harms_nobody, attack):
    """max_as_conv computed without a convolution (shifted slices, or
    the library's pooling hidden from the trace), dressed up so that a
    convolution seems to make the result: does it earn `structure`?"""
    result = grade(sandbox, notebook({"max_as_conv": attack}))
    assert result.verdicts["max_as_conv-values"].passed, \
        result.verdicts["max_as_conv-values"].message
    assert not result.verdicts["max_as_conv-structure"].passed
    reference = baseline({"max_as_conv": PLAIN_SHIFT})
    assert not reference.verdicts["max_as_conv-structure"].passed
    gains_nothing(result, reference, "max_as_conv")
    others_full(result, "max_as_conv")
    harms_nobody()


def test_a_right_answer_keeps_its_structure_point(sandbox):
    """The solution's convolution-and-max, and one that rebuilds its result
    out of the convolution's output through views and in-place writes,
    earn `structure` (data flow through views and copies is followed)"""
    via_views = SOLUTION_CODE["max_as_conv"].replace(
        "    return G.amax(1).reshape(N, C, *G.shape[-2:])",
        "    out = torch.empty(N * C, *G.shape[-2:], dtype=X.dtype, device=X.device)\n"
        "    for i in range(out.shape[0]):\n"
        "        out[i].copy_(G[i].amax(0))\n"
        "    return out.view(N, C, *G.shape[-2:])")
    assert via_views != SOLUTION_CODE["max_as_conv"]
    result = grade(sandbox, notebook({"max_as_conv": via_views}))
    assert result.verdicts["max_as_conv-structure"].passed, \
        result.verdicts["max_as_conv-structure"].message


# --- outcome frames written by the function ------------------------------------------

# Walks up the frames of the process that calls it to the job (its calls)
# and their input blobs, computes the right outcome of every call and
# writes them as protocol frames to the event pipe, in order, before the
# genuine outcome of the current call
FORGE_JOB = RIGHT_POOL2D + '''

def _forge(function):
    import os, sys
    import torch
    from grader.checks import wire
    from grader.checks.calls import run_call
    job = blobs = None
    f = sys._getframe(1)
    while f is not None:
        for v in list(f.f_locals.values()):
            if isinstance(v, dict) and v.get("function") == function and "calls" in v:
                job = v
            elif isinstance(v, (list, tuple)) and v and all(type(b) is bytes for b in v[:8]):
                blobs = blobs or v
        f = f.f_back
    if job is None or blobs is None:
        print("FORGER found nothing", flush=True)
        return
    print("FORGED", len(job["calls"]), "calls found", flush=True)
    for k, head in enumerate(job["calls"]):
        call = wire.get_call(head, blobs)
        good = run_call(_local_pool_right, call)
        out = []
        body = wire.put_outcome(good, out)
        after = [wire.put(a, out) for a in call.args if isinstance(a, torch.Tensor)]
        os.write(3, wire.pack({"ev": "outcome", "job": job.get("index"), "call": k,
                               "outcome": body, "after": after}, out))
'''
FORGE_THEN_RETURN = FORGE_JOB + '''

_done = []


def local_pool(X, pool_size, mode='max'):
    if not _done:
        _done.append(1)
        _forge("local_pool")
    p_h, p_w = pool_size
    return torch.zeros(X.shape[0] - p_h + 1, X.shape[1] - p_w + 1, dtype=X.dtype)
'''
FORGE_THEN_EXIT = FORGE_JOB + '''

def local_pool(X, pool_size, mode='max'):
    import os
    _forge("local_pool")
    os._exit(0)
'''


@pytest.mark.parametrize("attack", [FORGE_THEN_RETURN, FORGE_THEN_EXIT],
                         ids=["then-return", "then-exit"])
def test_outcomes_written_by_the_function_are_void(sandbox, baseline, harms_nobody, attack):
    """A wrong local_pool that, from inside its first call, finds its job and
    writes right outcomes for every one of its calls to the event pipe
    (then returns zeros, or ends its process): are they credited?"""
    result = grade(sandbox, notebook({"local_pool": attack}))
    assert markers(result, "FORGED"), result.output.text[-3000:]
    assert not result.verdicts["local_pool-values"].passed
    assert points(result, "local_pool") == 0
    reference = baseline({"local_pool": WRONG_POOL2D})
    gains_nothing(result, reference, "local_pool")
    others_full(result, "local_pool")
    harms_nobody()


# Knows the protocol: waits for the current call's secret on the command
# pipe, takes it, and answers the call itself with a right outcome sealed
# with it, then returns zeros
STEAL_SECRET = RIGHT_POOL2D + '''

def local_pool(X, pool_size, mode='max'):
    import hashlib, hmac, os, select, struct
    from grader.checks import wire
    from grader.checks.calls import Call, run_call
    if select.select([4], [], [], 1.0)[0]:
        job, call, key = struct.unpack("<ii32s", os.read(4, 40))
        print("STOLE", job, call, flush=True)
        good = run_call(_local_pool_right, Call("local_pool", (X.detach().clone(), pool_size, mode)))
        out = []
        body = wire.put_outcome(good, out)
        after = [wire.put(X.detach(), out)]
        frame = wire.pack({"ev": "outcome", "job": job, "call": call, "outcome": body,
                           "after": after}, out)
        os.write(3, frame + wire.pack({"ev": "seal", "job": job, "call": call,
                                       "mac": hmac.new(key, frame, hashlib.sha256).hexdigest()}))
    p_h, p_w = pool_size
    return torch.zeros(X.shape[0] - p_h + 1, X.shape[1] - p_w + 1, dtype=X.dtype)
'''


def test_a_stolen_secret_voids_the_function(sandbox, baseline, harms_nobody):
    """The function takes its call's secret itself and seals a right
    outcome with it; the genuine code then finds no secret for its own
    outcome: every outcome of the function is void"""
    result = grade(sandbox, notebook({"local_pool": STEAL_SECRET}))
    assert markers(result, "STOLE")
    assert not result.verdicts["local_pool-values"].passed
    assert points(result, "local_pool") == 0
    gains_nothing(result, baseline({"local_pool": WRONG_POOL2D}), "local_pool")
    others_full(result, "local_pool")
    harms_nobody()


# --- every byte counts ---------------------------------------------------------------

HUGE_TYPE_NAME = '''
class _Big:
    pass


_Big.__name__ = "Q" * (3 << 20)


def local_pool(X, pool_size, mode='max'):
    return _Big()
'''
HUGE_EXCEPTION = '''
_Boom = type("B" * (3 << 20), (ValueError,), {})


def local_pool(X, pool_size, mode='max'):
    raise _Boom("x")
'''
DEEP_EXCEPTION = '''
_E = ValueError
for _i in range(400):
    _E = type("E%d_" % _i + "e" * 10000, (_E,), {})


def local_pool(X, pool_size, mode='max'):
    raise _E("x")
'''


@pytest.mark.parametrize("attack", [HUGE_TYPE_NAME, HUGE_EXCEPTION, DEEP_EXCEPTION],
                         ids=["type-name", "exception-name", "exception-mro"])
def test_headers_count_against_the_result_budget(sandbox, harms_nobody, attack):
    """Megabytes in the parts of a frame that are not arrays (the result's
    type name, an exception's name or class hierarchy), on every call: what
    the grader receives stays within the result budget of each function,
    and the feedback stays short"""
    result = grade(sandbox, notebook({"local_pool": attack}))
    assert points(result, "local_pool") == 0
    assert "local_pool" not in " ".join(v.message for v in result.verdicts.values()
                                    if "not defined" in v.message)
    functions = 4  # of the test-only assignment (tests/practice.py)
    assert result.received_bytes <= functions * (LIMITS.result_mb << 20)
    assert result.received_bytes < (8 << 20), result.received_bytes
    messages = [v.message for k, v in result.verdicts.items() if k.startswith("local_pool-")]
    assert all(len(m) < 20000 for m in messages), max(len(m) for m in messages)
    others_full(result, "local_pool")
    harms_nobody()


# Writes frames with megabyte headers to the event pipe from inside a call
HEADER_FLOOD = '''
def local_pool(X, pool_size, mode='max'):
    import json, os, struct
    head = json.dumps({"ev": "outcome", "pad": "x" * (900 << 10)}).encode()
    frame = struct.pack("<II", len(head), 0) + head
    for _ in range(64):
        try:
            os.write(3, frame)
        except OSError:
            break
    return X
'''


def test_forged_frames_cannot_flood_the_grader(sandbox, harms_nobody):
    """Sixty frames of 900 KB headers written by the function: the grader
    receives none of them (void), and no more than the budget in all"""
    result = grade(sandbox, notebook({"local_pool": HEADER_FLOOD}))
    assert points(result, "local_pool") == 0
    assert result.received_bytes < (4 << 20), result.received_bytes
    others_full(result, "local_pool")
    harms_nobody()
