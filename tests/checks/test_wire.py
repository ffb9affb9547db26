"""The wire format between the grader and the sandbox: values survive the
trip exactly, and anything that is not what the protocol allows is refused
with WireError (never unpickled, never guessed at)"""
import io
import pickle

import pytest
import torch

from grader.checks import wire
from grader.checks.calls import Call, Outcome, run_call


def roundtrip(value):
    blobs = []
    head = wire.put(value, blobs)
    frame = wire.pack({"v": head}, blobs)
    header, got_blobs = wire.read_frame(io.BytesIO(frame).read)
    return wire.get(header["v"], got_blobs)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64,
                                   torch.int8, torch.int16, torch.int32, torch.int64,
                                   torch.uint8, torch.bool, torch.complex64, torch.complex128])
def test_every_dtype_comes_back_exactly(dtype):
    g = torch.Generator().manual_seed(0)
    x = (torch.randn(3, 4, 5, generator=g) * 50)
    x = x.to(dtype) if not dtype.is_complex else torch.complex(x, -x).to(dtype)
    got = roundtrip(x)
    assert got.dtype == dtype and got.shape == x.shape
    assert torch.equal(got, x)


@pytest.mark.parametrize("make", [
    lambda: torch.arange(12.0).reshape(3, 4).t(),             # a transposed view
    lambda: torch.arange(24.0).reshape(2, 3, 4)[:, ::2, 1:],  # strided slices
    lambda: torch.tensor(3.5, dtype=torch.float64),           # 0-d
    lambda: torch.zeros(0, 5),                                # no elements
    lambda: torch.tensor([float("nan"), float("inf"), -0.0]),
    lambda: torch.complex(torch.ones(2), torch.ones(2)).conj(),  # lazy conjugate bit
    lambda: -torch.complex(torch.ones(2), torch.ones(2)).conj(),
])
def test_views_and_odd_tensors_come_back_as_their_values(make):
    x = make()
    got = roundtrip(x)
    assert got.shape == x.shape and got.dtype == x.dtype
    assert torch.equal(torch.nan_to_num(got.resolve_conj().resolve_neg()),
                       torch.nan_to_num(x.resolve_conj().resolve_neg()))
    assert got.is_contiguous()


def test_nested_plain_values_keep_their_types():
    value = (1, 2.5, "s", None, True, [torch.ones(2)], {"k": (float("-inf"),)})
    got = roundtrip(value)
    assert got[:5] == (1, 2.5, "s", None, True) and type(got[5]) is list
    assert torch.equal(got[5][0], torch.ones(2)) and got[6] == {"k": (float("-inf"),)}


def test_a_decoded_tensor_owns_its_memory():
    blobs = []
    head = wire.put(torch.arange(4.0), blobs)
    got = wire.get(head, blobs)
    got.add_(1)  # writable, and not a view of the received bytes
    assert bytes(blobs[0]) == torch.arange(4.0).numpy().tobytes()


def tensor_head(blob=0, **change):
    head = {"t": "tensor", "dtype": "float32", "shape": [2, 2], "blob": blob}
    head.update(change)
    return head


FOUR_FLOATS = torch.arange(4.0).numpy().tobytes()


@pytest.mark.parametrize("head, blobs, says", [
    (tensor_head(), [FOUR_FLOATS[:-1]], "cannot hold"),              # one byte short
    (tensor_head(), [FOUR_FLOATS + b"\0" * 4], "cannot hold"),       # one number too many
    (tensor_head(shape=[3, 2]), [FOUR_FLOATS], "cannot hold"),       # shape that lies
    (tensor_head(dtype="object"), [FOUR_FLOATS], "bad tensor header"),
    (tensor_head(dtype="float32; import os"), [FOUR_FLOATS], "bad tensor header"),
    (tensor_head(shape=[-2, -2]), [FOUR_FLOATS], "bad tensor header"),
    (tensor_head(shape=[2.0, 2]), [FOUR_FLOATS], "bad tensor header"),
    (tensor_head(shape="2,2"), [FOUR_FLOATS], "bad tensor header"),
    (tensor_head(shape=[1] * 17), [FOUR_FLOATS], "bad tensor header"),
    (tensor_head(blob=1), [FOUR_FLOATS], "bad tensor header"),       # no such blob
    (tensor_head(blob=True), [FOUR_FLOATS], "bad tensor header"),
    (tensor_head(blob=-1), [FOUR_FLOATS], "bad tensor header"),
    ({"t": "pickle", "v": 1}, [], "unknown value kind"),
    ({"t": "py", "v": {"a": 1}}, [], "malformed plain value"),
    ({"t": "float", "v": "1e999"}, [], "malformed float"),
])
def test_malformed_values_are_refused(head, blobs, says):
    with pytest.raises(wire.WireError, match=says):
        wire.get(head, blobs)


class Boom:
    def __reduce__(self):
        return (exec, ("import sys; sys.modules['__main__'].PWNED = True",))


def test_a_pickle_in_a_blob_is_read_as_numbers_never_run():
    """A blob holding a pickle is bytes like any other: refused unless its
    length fits the header, and then only ever read as numbers"""
    payload = pickle.dumps(Boom())
    with pytest.raises(wire.WireError):
        wire.get(tensor_head(), [payload])
    fitted = payload[:len(payload) // 8 * 8]
    got = wire.get({"t": "tensor", "dtype": "uint8", "shape": [len(fitted)], "blob": 0},
                   [fitted])
    assert got.dtype == torch.uint8 and bytes(got.numpy()) == fitted
    import __main__
    assert not hasattr(__main__, "PWNED")


def test_bool_bytes_other_than_zero_and_one_read_as_true():
    got = wire.get({"t": "tensor", "dtype": "bool", "shape": [4], "blob": 0},
                   [bytes([0, 1, 2, 255])])
    assert got.tolist() == [False, True, True, True]
    assert torch.equal(got, torch.tensor([False, True, True, True]))


def test_calls_and_outcomes_roundtrip():
    call = Call("local_pool", (torch.arange(9.0).reshape(3, 3), (2, 2)), {"mode": "avg"},
                grad=True, grad_output=torch.ones(2, 2), noncontig=(0,))
    blobs = []
    back = wire.get_call(wire.put_call(call, blobs), blobs)
    assert back.function == "local_pool" and back.kwargs == {"mode": "avg"} and back.grad
    assert torch.equal(back.args[0], call.args[0]) and back.args[1] == (2, 2)
    assert back.noncontig == (0,) and torch.equal(back.grad_output, call.grad_output)

    def avg(X, pool_size, mode):
        return torch.nn.functional.avg_pool2d(X[None], pool_size, 1)[0]
    outcome = run_call(avg, back)
    blobs = []
    got = wire.get_outcome(wire.put_outcome(outcome, blobs), blobs)
    assert got.kind == "value" and got.exact_tensor and got.shape == (2, 2)
    assert torch.equal(got.value, outcome.value)
    assert torch.equal(got.grads[0], outcome.grads[0])


def test_an_outcome_whose_tensor_contradicts_its_description_is_refused():
    blobs = []
    body = wire.put_outcome(Outcome("value", value=torch.ones(2, 2), exact_tensor=True,
                                    dtype="float32", shape=(2, 2)), blobs)
    body["shape"] = [4]
    with pytest.raises(wire.WireError, match="does not match"):
        wire.get_outcome(body, blobs)
    body["shape"], body["dtype"] = [2, 2], "float64"
    with pytest.raises(wire.WireError, match="does not match"):
        wire.get_outcome(body, blobs)


@pytest.mark.parametrize("frame", [
    b"\x05\x00\x00",                                   # shorter than a frame's start
    (10).to_bytes(4, "little") + (0).to_bytes(4, "little") + b'{"a"',  # cut short
    (1 << 30).to_bytes(4, "little") + (0).to_bytes(4, "little"),       # oversized header
    (2).to_bytes(4, "little") + (1).to_bytes(4, "little") + b"{}"
    + (wire.MAX_BLOB + 1).to_bytes(8, "little"),                       # oversized blob
])
def test_broken_frames_are_refused(frame):
    with pytest.raises((wire.WireError, ValueError)):
        wire.read_frame(io.BytesIO(frame).read)
