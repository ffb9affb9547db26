"""Student-facing words: what was called, what was expected, what came back"""
import torch

SMALL = 36  # tensors with at most this many elements are shown in full


def tensor_text(t, name=None):
    kind = f"{str(t.dtype).replace('torch.', '')} tensor of shape {tuple(t.shape)}"
    if t.numel() <= SMALL:
        body = _values(t)
        return f"{kind}\n{_indent(body)}" if "\n" in body else f"{kind}: {body}"
    return kind


class _Short(float):
    """A number shown with 4 significant digits: 1e-30, 6.667e+13"""

    def __repr__(self):
        return format(self, ".4g")


def _nested(values, kind):
    if isinstance(values, list):
        return [_nested(v, kind) for v in values]
    return kind(values)


def _values(t):
    t = t.detach().cpu()
    if t.is_floating_point():
        t = t.double()
        size = t[torch.isfinite(t) & (t != 0)].abs()
        if size.numel() and (float(size.min()) < 1e-4 or float(size.max()) >= 1e6):
            text = _nested(t.tolist(), _Short)  # rounding to 4 decimals would hide them
        else:
            text = torch.round(t, decimals=4).tolist()
    else:
        text = t.tolist()
    if t.dim() <= 1:
        return str(text)
    return "\n".join(_rows(text))


def _rows(nested, depth=0):
    if nested and isinstance(nested[0], list) and nested[0] and isinstance(nested[0][0], list):
        out = []
        for i, sub in enumerate(nested):
            out.append(f"[{i}]")
            out += ["  " + r for r in _rows(sub, depth + 1)]
        return out
    return [str(r) for r in nested]


def _indent(text, pad="    "):
    return "\n".join(pad + line for line in text.splitlines())


def value_text(v):
    if isinstance(v, torch.Tensor):
        return tensor_text(v)
    return repr(v)


def call_text(spec, call):
    """`pool2d(X, (2, 2), mode='avg')` and a line per tensor argument"""
    names = spec.arg_names
    shown, lines = [], []
    for i, a in enumerate(call.args):
        name = names[i] if i < len(names) else f"arg{i}"
        if isinstance(a, torch.Tensor):
            shown.append(name)
            # handed over as a transposed view: non-contiguous unless a side is 1
            extra = ", non-contiguous" if i in call.noncontig and a.dim() >= 2 \
                and min(a.shape[-2:]) > 1 else ""
            lines.append(f"  {name} = {tensor_text(a)}".replace(
                f"tensor of shape {tuple(a.shape)}",
                f"tensor of shape {tuple(a.shape)} on {call.device}{extra}", 1))
        else:
            shown.append(repr(a))
    shown += [f"{k}={v!r}" for k, v in call.kwargs.items()]
    head = f"{spec.name}({', '.join(shown)})"
    return "\n".join([head] + lines)


def outcome_text(o):
    """What came back, in a phrase"""
    if o.kind == "missing":
        return "the function is not defined"
    if o.kind == "timeout":
        return f"no answer: {o.note or 'the call did not finish in time'}"
    if o.kind == "crash":
        return f"the process died: {o.note}"
    if o.kind == "void":
        return (f"none of its results count: {o.note} (only what the grader itself "
                f"measures is graded)")
    if o.kind == "error":
        where = f" at {o.error_where}" if o.error_where else ""
        return f"it raised {o.error_type}: {o.error_message}{where}"
    if o.exact_tensor:
        return tensor_text(o.value)
    if o.type_name and o.value is None and o.type_name not in ("NoneType",):
        return f"a {o.type_name} (expected a plain torch.Tensor)"
    return repr(o.value)
