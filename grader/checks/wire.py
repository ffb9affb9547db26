"""Calls and outcomes as plain data: JSON plus raw array buffers

This is all that crosses between the grader and the sandbox. A tensor is a
JSON header (dtype, shape) and a blob holding its elements in C order, in
the machine's byte order (both ends run on the same machine); bfloat16,
which numpy lacks, travels as float32. Decoding never unpickles: a blob is
read as numbers of the header's dtype and must hold exactly the header's
shape; every field is type-checked, and anything unexpected raises
`WireError`.
"""
import json
import struct

import numpy as np
import torch

from grader.checks.calls import Call, Outcome

# the dtypes a tensor may have, and the numpy type its blob is read as
DTYPES = {"float16": np.float16, "bfloat16": np.float32, "float32": np.float32,
          "float64": np.float64, "int8": np.int8, "int16": np.int16, "int32": np.int32,
          "int64": np.int64, "uint8": np.uint8, "bool": np.bool_,
          "complex64": np.complex64, "complex128": np.complex128}
MAX_BLOB = 64 << 20


class WireError(ValueError):
    """A message that is not what the protocol allows"""


# --- values ---------------------------------------------------------------

def _put_tensor(t, blobs):
    t = t.detach().to("cpu")
    dtype = str(t.dtype).replace("torch.", "")
    arr = (t.float() if t.dtype == torch.bfloat16 else t.resolve_conj().resolve_neg()).contiguous().numpy()
    blobs.append(arr.tobytes())
    return {"t": "tensor", "dtype": dtype, "shape": list(t.shape), "blob": len(blobs) - 1}


def _get_tensor(d, blobs):
    dtype, shape, i = d.get("dtype"), d.get("shape"), d.get("blob")
    if dtype not in DTYPES or not isinstance(shape, list) or type(i) is not int \
            or not 0 <= i < len(blobs) or len(shape) > 16 \
            or not all(type(n) is int and 0 <= n <= MAX_BLOB for n in shape):
        raise WireError(f"bad tensor header {d!r:.200}")
    kind = np.dtype(DTYPES[dtype])
    blob = blobs[i]
    count = 1
    for n in shape:
        count *= n
    if count * kind.itemsize != len(blob):
        raise WireError(f"an array of {len(blob)} bytes cannot hold {dtype} of shape {shape}")
    if dtype == "bool":  # any byte but 0 is True, as a bool must be 0 or 1
        arr = np.frombuffer(blob, dtype=np.uint8).reshape(shape) != 0
    else:
        arr = np.frombuffer(blob, dtype=kind).reshape(shape)
    t = torch.from_numpy(arr.copy())
    return t.to(torch.bfloat16) if dtype == "bfloat16" else t


def put(value, blobs):
    """Encode a value made of tensors, numbers, strings, tuples and lists"""
    if isinstance(value, torch.Tensor):
        return _put_tensor(value, blobs)
    if isinstance(value, (tuple, list)):
        return {"t": "tuple" if isinstance(value, tuple) else "list",
                "v": [put(v, blobs) for v in value]}
    if isinstance(value, dict):
        return {"t": "dict", "v": {str(k): put(v, blobs) for k, v in value.items()}}
    if value is None or type(value) in (bool, int, float, str):
        if isinstance(value, float) and not np.isfinite(value):
            return {"t": "float", "v": repr(value)}
        return {"t": "py", "v": value}
    raise TypeError(f"cannot send a {type(value).__name__}")


def get(d, blobs, depth=0):
    if depth > 8 or not isinstance(d, dict):
        raise WireError("malformed value")
    kind = d.get("t")
    if kind == "tensor":
        return _get_tensor(d, blobs)
    if kind in ("tuple", "list"):
        items = d.get("v")
        if not isinstance(items, list) or len(items) > 4096:
            raise WireError("malformed sequence")
        seq = [get(v, blobs, depth + 1) for v in items]
        return tuple(seq) if kind == "tuple" else seq
    if kind == "dict":
        items = d.get("v")
        if not isinstance(items, dict):
            raise WireError("malformed dict")
        return {str(k): get(v, blobs, depth + 1) for k, v in items.items()}
    if kind == "float":
        if d.get("v") not in ("nan", "inf", "-inf"):
            raise WireError("malformed float")
        return float(d["v"])
    if kind == "py":
        v = d.get("v")
        if v is not None and type(v) not in (bool, int, float, str):
            raise WireError("malformed plain value")
        return v
    raise WireError(f"unknown value kind {kind!r:.40}")


# --- calls and outcomes -----------------------------------------------------

def put_call(call, blobs):
    return {"function": call.function, "args": put(tuple(call.args), blobs),
            "kwargs": put(dict(call.kwargs), blobs), "aspects": sorted(call.aspects),
            "device": call.device, "grad": call.grad,
            "grad_output": put(call.grad_output, blobs),
            "noncontig": list(call.noncontig), "expect_error": call.expect_error,
            "trace": call.trace, "only_ops": list(call.only_ops)}


def get_call(d, blobs):
    return Call(function=str(d["function"]), args=tuple(get(d["args"], blobs)),
                kwargs=get(d["kwargs"], blobs), aspects=frozenset(d["aspects"]),
                device=str(d["device"]), grad=bool(d["grad"]),
                grad_output=get(d["grad_output"], blobs),
                noncontig=tuple(int(i) for i in d["noncontig"]),
                expect_error=d["expect_error"], trace=bool(d["trace"]),
                only_ops=tuple(str(x) for x in d.get("only_ops") or ()))


_TEXT = ("kind", "type_name", "dtype", "device", "grad_error", "error_type",
         "error_message", "error_where", "note", "trace_note")


def put_outcome(o, blobs):
    d = {k: getattr(o, k) for k in _TEXT}
    d.update(exact_tensor=o.exact_tensor, requires_grad=o.requires_grad,
             shape=list(o.shape) if o.shape is not None else None,
             changed=list(o.changed), error_mro=list(o.error_mro), ops=o.ops,
             producers=o.producers, foreign_ops=o.foreign_ops)
    try:
        d["value"] = put(o.value, blobs)
    except TypeError:
        d["value"] = put(None, blobs)
    d["grads"] = None if o.grads is None else [put(g, blobs) for g in o.grads]
    return d


def get_outcome(d, blobs):
    """Rebuild an Outcome from untrusted data, checking every field's type"""
    if not isinstance(d, dict):
        raise WireError("outcome is not an object")
    fields = {}
    for k in _TEXT:
        v = d.get(k)
        if v is not None and not isinstance(v, str):
            raise WireError(f"field {k} is not text")
        fields[k] = v if k in ("dtype", "device") and v is None else (v or "")[:2000]
    if fields["kind"] not in ("value", "error", "timeout", "crash", "missing"):
        raise WireError("unknown outcome kind")
    shape = d.get("shape")
    if shape is not None and (not isinstance(shape, list)
                              or not all(type(s) is int for s in shape)):
        raise WireError("bad shape")
    for k in ("changed", "error_mro"):
        if not isinstance(d.get(k), list):
            raise WireError(f"bad {k}")
    ops, producers, foreign = d.get("ops"), d.get("producers"), d.get("foreign_ops")
    for names in (ops, producers, foreign):
        if names is not None and not (isinstance(names, list) and len(names) <= 1024
                                      and all(isinstance(x, str) for x in names)):
            raise WireError("bad ops")
    grads = d.get("grads")
    if grads is not None and not isinstance(grads, list):
        raise WireError("bad grads")
    value = get(d.get("value"), blobs)
    exact = d.get("exact_tensor") is True
    if exact and not isinstance(value, torch.Tensor):
        raise WireError("tensor outcome without a tensor")
    if exact and (list(value.shape) != shape or str(value.dtype).replace("torch.", "") != fields["dtype"]):
        raise WireError("tensor does not match its description")
    o = Outcome(**fields)
    o.value, o.exact_tensor = value, exact
    o.requires_grad = d.get("requires_grad") is True
    o.shape = tuple(shape) if shape is not None else None
    o.changed = [int(i) for i in d["changed"]]
    o.error_mro = [str(x)[:200] for x in d["error_mro"][:64]]
    o.ops = ops
    o.producers = producers
    o.foreign_ops = foreign
    o.grads = None if grads is None else [get(g, blobs) for g in grads]
    return o


# --- framing on a byte stream ------------------------------------------------

def pack(header, blobs=()):
    """One frame: a JSON header and its blobs, each length-prefixed"""
    head = json.dumps(header).encode()
    parts = [struct.pack("<II", len(head), len(blobs)), head]
    for b in blobs:
        parts += [struct.pack("<Q", len(b)), b]
    return b"".join(parts)


MAX_HEADER = 8 << 20
MAX_BLOBS = 4096


def read_frame(read, max_header=MAX_HEADER):
    """Read one frame with `read(n) -> bytes`; None at end of stream"""
    first = read(8)
    if not first:
        return None
    if len(first) < 8:
        raise WireError("truncated frame")
    n_head, n_blobs = struct.unpack("<II", first)
    if n_head > max_header or n_blobs > MAX_BLOBS:
        raise WireError("oversized frame")
    header = json.loads(_exact(read, n_head))
    blobs = []
    for _ in range(n_blobs):
        (size,) = struct.unpack("<Q", _exact(read, 8))
        if size > MAX_BLOB:
            raise WireError("oversized blob")
        blobs.append(_exact(read, size))
    return header, blobs


class FrameBuffer:
    """Frames out of a byte stream that arrives in pieces (a pipe read with
    select): `feed(bytes)`, then `next()` gives (header, blobs, raw) for each
    whole frame, where raw is the frame's bytes as they came (what a seal
    is computed over), or None until more bytes come. Frames whose header
    is over max_header bytes are refused before they are read."""

    def __init__(self, max_header=MAX_HEADER):
        self.buffer = bytearray()
        self.max_header = max_header

    def feed(self, data):
        self.buffer += data

    def __len__(self):
        return len(self.buffer)

    def next(self):
        buf = self.buffer
        if len(buf) < 8:
            return None
        n_head, n_blobs = struct.unpack_from("<II", buf, 0)
        if n_head > self.max_header or n_blobs > MAX_BLOBS:
            raise WireError("oversized frame")
        need = 8 + n_head
        for _ in range(n_blobs):  # find the end without copying anything
            if len(buf) < need + 8:
                return None
            (size,) = struct.unpack_from("<Q", buf, need)
            if size > MAX_BLOB:
                raise WireError("oversized blob")
            need += 8 + size
        if len(buf) < need:
            return None
        raw = bytes(buf[:need])
        del buf[:need]
        view = memoryview(raw)
        pos = [0]

        def read(n):
            chunk = view[pos[0]:pos[0] + n]
            pos[0] += len(chunk)
            return bytes(chunk)
        try:
            header, blobs = read_frame(read, self.max_header)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise WireError(f"garbled frame ({type(exc).__name__})") from None
        if not isinstance(header, dict):
            raise WireError("a frame's header is not an object")
        return header, blobs, raw


def _exact(read, n):
    chunks, left = [], n
    while left:
        chunk = read(left)
        if not chunk:
            raise WireError("truncated frame")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
