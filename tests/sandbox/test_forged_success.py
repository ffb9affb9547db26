"""Forged success: can a submission make wrong code look right?

Every verdict is judged outside the sandbox, from plain data, against
references the sandbox never sees; whatever must be measured inside (did
the call change its inputs?) is measured after the sandbox has undone the
student's patches, or sent back and judged outside too.
"""
from .corpus import (IN_PLACE_POOL2D, RIGHT_POOL2D, WRONG_POOL2D, gains_nothing, grade,
                     markers, needs_isolation, notebook, others_full, points)

pytestmark = needs_isolation

PATCH_COMPARISONS = '''
import builtins, numpy, torch, torch.testing, numpy.testing
torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
torch.isclose = lambda a, b, *r, **k: torch.ones(a.shape, dtype=torch.bool)
torch.testing.assert_close = lambda *a, **k: None
torch.Tensor.__eq__ = lambda self, other: torch.ones(self.shape, dtype=torch.bool)
torch.Tensor.equal = lambda self, other: True
numpy.allclose = lambda *a, **k: True
numpy.array_equal = lambda *a, **k: True
numpy.testing.assert_allclose = lambda *a, **k: None
builtins.all = lambda *a: True
builtins.any = lambda *a: False
'''


def test_patched_comparisons_and_builtins_gain_nothing(sandbox, baseline, harms_nobody):
    """Does patching torch, numpy and builtins comparisons, at the top level
    and inside the function at call time, rescue a wrong local_pool?"""
    wrong_patching = WRONG_POOL2D.replace(
        "    p_h, p_w = pool_size",
        "\n".join("    " + line for line in PATCH_COMPARISONS.strip().splitlines())
        + "\n    p_h, p_w = pool_size")
    result = grade(sandbox, notebook({"local_pool": wrong_patching}, after=[PATCH_COMPARISONS]))
    reference = baseline({"local_pool": WRONG_POOL2D})
    assert not result.verdicts["local_pool-values"].passed
    assert points(result, "local_pool") == points(reference, "local_pool")
    gains_nothing(result, reference, "local_pool")
    harms_nobody()


def in_place_change_is_found(sandbox, baseline, attack):
    """Grade `attack`, a local_pool that changes its input in place and then
    tries to hide it: the `unchanged` aspect must fail and the attack gain
    nothing over the plain in-place local_pool. (result, reference)"""
    result = grade(sandbox, notebook({"local_pool": attack}))
    reference = baseline({"local_pool": IN_PLACE_POOL2D})
    assert not result.verdicts["local_pool-unchanged"].passed
    gains_nothing(result, reference, "local_pool")
    return result, reference


def test_patched_equal_cannot_hide_an_in_place_change(sandbox, baseline, harms_nobody):
    """A local_pool that changes its input in place, and patches torch.equal (the
    comparison the in-sandbox check once used) so that nothing seems to
    change: does it keep the `unchanged` point?"""
    patching = IN_PLACE_POOL2D.replace(
        "    return Y", "    torch.equal = lambda *a, **k: True\n"
                       "    torch.Tensor.equal = lambda *a, **k: True\n    return Y")
    result, reference = in_place_change_is_found(sandbox, baseline, patching)
    assert not reference.verdicts["local_pool-unchanged"].passed
    others_full(result, "local_pool")
    harms_nobody()


LIAR_INPUT = IN_PLACE_POOL2D.replace("    return Y", '''
    class Liar(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            if getattr(func, "__name__", "") in ("equal", "detach", "clone"):
                return kept.clone() if func.__name__ != "equal" else True
            return super().__torch_function__(func, types, args, kwargs or {})
    X.__class__ = Liar
    X.detach = lambda: kept.clone()
    return Y''')


def test_inputs_dressed_as_lying_subclasses_are_still_seen(sandbox, baseline, harms_nobody):
    """A local_pool that changes X, then turns X into a tensor subclass whose
    __torch_function__ (and an instance attribute `detach`) shows the old
    values: is the in-place change still found?"""
    in_place_change_is_found(sandbox, baseline, LIAR_INPUT)
    harms_nobody()


SERIAL_FORGER = IN_PLACE_POOL2D.replace("    return Y", '''
    from grader.checks import wire
    real = wire._put_tensor

    def lying_put(t, blobs):  # what the grader is sent of the inputs
        return real(kept.clone() if t.shape == kept.shape else t, blobs)
    wire._put_tensor = lying_put
    return Y''')


def test_patched_serialisation_cannot_hide_an_in_place_change(sandbox, baseline,
                                                               harms_nobody):
    """A local_pool that changes X and patches the grader's own encoder so that
    the inputs are sent back as they were: is the change still found?"""
    in_place_change_is_found(sandbox, baseline, SERIAL_FORGER)
    harms_nobody()


SHADOW_FORGER = IN_PLACE_POOL2D.replace("    return Y", '''
    # a name torch.Tensor's own dict never had: added, it shadows the C
    # method that the grader's encoder calls on the inputs after the call
    real_contiguous = torch._C.TensorBase.contiguous

    def lying_contiguous(self, *a, **k):
        return kept.clone() if self.shape == kept.shape else real_contiguous(self, *a, **k)
    torch.Tensor.contiguous = lying_contiguous
    return Y''')


def test_an_added_class_attribute_cannot_hide_an_in_place_change(sandbox, baseline,
                                                                   harms_nobody):
    """A local_pool that changes X, then adds `contiguous` to torch.Tensor (a
    name its dict never had, shadowing the C method the encoder uses) to
    show the old X. Restoring only the names that existed would miss it:
    is the change still found?"""
    in_place_change_is_found(sandbox, baseline, SHADOW_FORGER)
    harms_nobody()


TOP_LEVEL_SERIAL_FORGER = RIGHT_POOL2D + '''


from grader.checks import wire as _wire
_real_put_tensor = _wire._put_tensor
_kept = {}


def _lying_put(t, blobs):
    return _real_put_tensor(_kept.get(tuple(t.shape), t), blobs)


_wire._put_tensor = _lying_put  # patched once, in a cell, before any call


def local_pool(X, pool_size, mode='max'):
    _kept[tuple(X.shape)] = X.detach().clone()
    Y = _local_pool_right(X, pool_size, mode)
    with torch.no_grad():
        X.mul_(-1).add_(7)
    return Y
'''


def test_encoder_patched_by_a_cell_cannot_hide_an_in_place_change(sandbox, baseline,
                                                                   harms_nobody):
    """The grader's encoder patched at the top level of the notebook, before
    any call is made (so the process that runs the calls starts with it
    patched): is the in-place change still found?"""
    in_place_change_is_found(sandbox, baseline, TOP_LEVEL_SERIAL_FORGER)
    harms_nobody()


HIDDEN_MAX_POOL = '''
def max_as_conv(X, pool_size, stride=None, padding=0):
    pool = getattr(F, "max_" + "local_pool")  # no name for the source check to read
    return pool(X, pool_size, stride, padding)
'''
SORTED_SHADOW = '''
from grader.checks import calls as _calls
_calls.sorted = lambda ops, *a, **k: ["convolution"]  # run_call sorts the traced ops
'''


def test_a_global_that_shadows_a_builtin_cannot_forge_the_trace(sandbox, baseline,
                                                                harms_nobody):
    """max_as_conv calling F.max_pool2d under a name built at run time,
    and a cell that adds `sorted` to the module that records the traced ops
    (a global shadows the builtin), so that they read as one convolution:
    does it get the `structure` points?"""
    result = grade(sandbox, notebook({"max_as_conv": HIDDEN_MAX_POOL},
                                     after=[SORTED_SHADOW]))
    reference = baseline({"max_as_conv": HIDDEN_MAX_POOL})
    assert not reference.verdicts["max_as_conv-structure"].passed
    assert not result.verdicts["max_as_conv-structure"].passed
    gains_nothing(result, reference, "max_as_conv")
    harms_nobody()


TRACE_FORGER = IN_PLACE_POOL2D.replace("    return Y", '''    import sys

    def tracer(frame, event, arg):
        if event == "return" and frame.f_code.co_name == "run_call" and arg is not None:
            try:
                arg.changed = []
                arg.ops = ["convolution"]
            except Exception:
                pass
        return tracer
    f = sys._getframe(1)
    while f is not None:
        f.f_trace = tracer
        f = f.f_back
    sys.settrace(tracer)
    return Y''')


def test_trace_hook_cannot_rewrite_the_outcome(sandbox, baseline, harms_nobody):
    """A local_pool that installs a trace function on the grader's frames to
    rewrite the outcome as it is returned: does it keep `unchanged`?"""
    in_place_change_is_found(sandbox, baseline, TRACE_FORGER)
    harms_nobody()


FRAME_FORGER = IN_PLACE_POOL2D.replace("    return Y", '''    import sys
    f = sys._getframe(1)
    while f is not None:  # the caller's copies of the inputs, made to agree
        for value in list(f.f_locals.values()):
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, torch.Tensor) and item.shape == X.shape:
                        item.copy_(X.detach())
        f = f.f_back
    return Y''')


def test_caller_frames_cannot_rewrite_the_kept_inputs(sandbox, baseline, harms_nobody):
    """A local_pool that walks up the caller's frames and overwrites the copy of
    its inputs taken before the call: does it keep `unchanged`?"""
    in_place_change_is_found(sandbox, baseline, FRAME_FORGER)
    harms_nobody()


RAISING_POOL2D = '''def local_pool(X, pool_size, mode='max'):
    raise RuntimeError("not done")
'''
SWALLOW = '''
def swallow(self, etype, value, tb, tb_offset=None):
    print("SWALLOWED", etype.__name__)
get_ipython().set_custom_exc((BaseException,), swallow)
'''


def test_custom_exception_handler_swallows_nothing(sandbox, baseline, harms_nobody):
    """get_ipython().set_custom_exc(...) hides every failing cell: does a
    local_pool that raises, and a cell that raises, then look right?"""
    result = grade(sandbox, notebook({"local_pool": RAISING_POOL2D},
                                     before=[SWALLOW], after=["1 / 0"]))
    reference = baseline({"local_pool": RAISING_POOL2D})
    assert markers(result, "SWALLOWED")  # the handler did run in the notebook
    assert points(result, "local_pool") == points(reference, "local_pool") == 0
    gains_nothing(result, reference, "local_pool")
    others_full(result, "local_pool")
    harms_nobody()


DISPLAY_HOOKS = '''
import sys
from grader.checks import notebook as _nb
def fake(*a, **k):
    print("\\u2714 local_pool returns the right numbers (hidden and public cases)")
sys.displayhook = fake
sys.excepthook = fake
get_ipython().displayhook.__class__.__call__ = lambda self, obj=None: fake()
get_ipython().display_pub.publish = fake
_nb.check = fake
check = fake
fake()
'''


def test_display_hooks_change_nothing(sandbox, baseline, harms_nobody):
    """Display and exception hooks replaced, `check` replaced by one that
    always prints success: does a wrong local_pool gain anything?"""
    result = grade(sandbox, notebook({"local_pool": WRONG_POOL2D}, before=[DISPLAY_HOOKS],
                                     after=["local_pool"]))
    reference = baseline({"local_pool": WRONG_POOL2D})
    assert "right numbers" in result.output.text
    assert points(result, "local_pool") == points(reference, "local_pool")
    gains_nothing(result, reference, "local_pool")
    harms_nobody()


LYING_RESULT = '''class Liar(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name in ("allclose", "equal"):
            return True
        if name in ("isclose", "eq", "__eq__"):
            return torch.ones(args[0].shape, dtype=torch.bool)
        return super().__torch_function__(func, types, args, kwargs or {})


def local_pool(X, pool_size, mode='max'):
    p_h, p_w = pool_size
    Y = torch.zeros(X.shape[0] - p_h + 1, X.shape[1] - p_w + 1, dtype=X.dtype)
    return Y.as_subclass(Liar)
'''


def test_lying_tensor_subclass_result_gets_no_points(sandbox, baseline, harms_nobody):
    """local_pool returns a Tensor subclass whose __torch_function__ says every
    comparison holds: is it judged as the numbers it holds (or not at all)?"""
    result = grade(sandbox, notebook({"local_pool": LYING_RESULT}))
    reference = baseline({"local_pool": WRONG_POOL2D})
    assert not result.verdicts["local_pool-values"].passed
    assert "Liar" in result.verdicts["local_pool-values"].message
    gains_nothing(result, reference, "local_pool")
    others_full(result, "local_pool")
    harms_nobody()


SNOOP = '''_SNOOPED = []


def local_pool(X, pool_size, mode='max'):
    import gc, sys
    p_h, p_w = pool_size
    shape = (X.shape[0] - p_h + 1, X.shape[1] - p_w + 1)
    found = []
    f = sys._getframe(1)
    while f is not None:  # the callers' variables
        for name, value in list(f.f_locals.items()):
            if "expect" in name or "reference" in name:
                print("SNOOPED frame", name)
            value = getattr(value, "value", value)
            if isinstance(value, torch.Tensor) and tuple(value.shape) == shape:
                found.append(value)
        f = f.f_back
    if not _SNOOPED:  # everything alive (once per process: it is slow)
        _SNOOPED.append(True)
        for obj in gc.get_objects():
            if type(obj).__name__ in ("Outcome", "Verdict"):
                print("SNOOPED gc", type(obj).__name__, getattr(obj, "kind", ""))
            if isinstance(obj, torch.Tensor) and tuple(obj.shape) == shape and obj is not X:
                found.append(obj)
    for candidate in found:
        return candidate.detach().clone().to(X.dtype)
    return torch.zeros(shape, dtype=X.dtype)
'''


def test_frames_and_gc_hold_no_expected_outputs(sandbox, baseline, harms_nobody):
    """local_pool searches the callers' frames and gc.get_objects() for the
    expected result: is there anything to find?"""
    result = grade(sandbox, notebook({"local_pool": SNOOP}))
    reference = baseline({"local_pool": WRONG_POOL2D})
    assert not markers(result, "SNOOPED frame")
    assert not result.verdicts["local_pool-values"].passed
    gains_nothing(result, reference, "local_pool")
    harms_nobody()


ZEROING = '''def local_pool(X, pool_size, mode='max'):
    p_h, p_w = pool_size
    with torch.no_grad():
        X.zero_()
    return torch.zeros(X.shape[0] - p_h + 1, X.shape[1] - p_w + 1, dtype=X.dtype)
'''


def test_zeroed_inputs_do_not_fool_the_reference(sandbox, baseline, harms_nobody):
    """local_pool zeroes its input and returns zeros, hoping the reference is
    computed afterwards on the same tensor: is it judged on the originals?"""
    result = grade(sandbox, notebook({"local_pool": ZEROING}))
    reference = baseline({"local_pool": WRONG_POOL2D})
    assert not result.verdicts["local_pool-values"].passed
    assert not result.verdicts["local_pool-unchanged"].passed
    gains_nothing(result, reference, "local_pool")
    others_full(result, "local_pool")
    harms_nobody()


# The hidden calls, found in the sandbox's own frames, answered with the
# right outcomes, and written as protocol frames to every descriptor for a
# while, from a background process and a thread
FORGER = RIGHT_POOL2D + '''

import os, sys, threading, time
from grader.checks import wire
from grader.checks.calls import run_call

def _forged_frames():
    f = sys._getframe()
    while f is not None and "jobs" not in f.f_locals:
        f = f.f_back
    jobs, blobs = f.f_locals["jobs"], f.f_locals["blobs"]
    frames = []
    for j, job in enumerate(jobs):
        if job["function"] != "local_pool":
            continue
        for k, header in enumerate(job["calls"]):
            out = []
            body = wire.put_outcome(run_call(_local_pool_right, wire.get_call(header, blobs)), out)
            frames.append(wire.pack({"ev": "outcome", "job": j, "call": k, "outcome": body}, out))
    frames.append(wire.pack({"ev": "done"}))
    return frames

FRAMES = _forged_frames()
print("FORGED", len(FRAMES), flush=True)

def _spray(seconds):
    end = time.time() + seconds
    while time.time() < end:
        for fd in [0] + list(range(3, 256)):
            for frame in FRAMES:
                try:
                    os.write(fd, frame)
                except OSError:
                    break
        time.sleep(0.01)

if os.fork() == 0:
    os.setsid()
    _spray(30)
    os._exit(0)
threading.Thread(target=_spray, args=(30,), daemon=True).start()
'''


def test_forged_frames_on_every_fd_gain_nothing(sandbox, baseline, harms_nobody):
    """The notebook computes the right outcomes for local_pool's hidden calls
    (found in the sandbox's frames) and keeps writing them as protocol
    frames to every file descriptor from a background process: is a wrong
    local_pool credited with them, or the next student disturbed?"""
    result = grade(sandbox, notebook({"local_pool": WRONG_POOL2D}, after=[FORGER]))
    reference = baseline({"local_pool": WRONG_POOL2D})
    assert markers(result, "FORGED")  # the attack found the calls and forged
    assert not result.verdicts["local_pool-values"].passed
    gains_nothing(result, reference, "local_pool")
    harms_nobody()


FORGER_IN_FUNCTION = RIGHT_POOL2D + '''

def local_pool(X, pool_size, mode='max'):
    import os
    from grader.checks import wire
    from grader.checks.calls import Call, run_call
    good = run_call(_local_pool_right, Call("local_pool", (X.detach().clone(), pool_size, mode)))
    for j in range(7):
        for k in range(80):
            out = []
            body = wire.put_outcome(good, out)
            frame = wire.pack({"ev": "outcome", "job": j, "call": k, "outcome": body}, out)
            for fd in range(3, 64):
                try:
                    os.write(fd, frame)
                except OSError:
                    pass
    for fd in range(3, 64):
        try:
            os.write(fd, wire.pack({"ev": "job_exit", "job": 0, "status": "ok"}))
        except OSError:
            pass
    p_h, p_w = pool_size
    return torch.zeros(X.shape[0] - p_h + 1, X.shape[1] - p_w + 1, dtype=X.dtype)
'''


def test_forged_frames_from_a_function_gain_nothing(sandbox, baseline, harms_nobody):
    """A wrong local_pool that, while it is called, writes right-looking outcomes
    for every job and call and a forged `job_exit` to every descriptor"""
    result = grade(sandbox, notebook({"local_pool": FORGER_IN_FUNCTION}))
    reference = baseline({"local_pool": WRONG_POOL2D})
    assert not result.verdicts["local_pool-values"].passed
    gains_nothing(result, reference, "local_pool")
    others_full(result, "local_pool")
    harms_nobody()
