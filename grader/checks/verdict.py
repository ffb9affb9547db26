"""A verdict is data: what one check found, in fields

`judge` (aspects.py) makes a `Verdict` per grade cell: passed or not, the
points, and for a failure its `kind` (why, in a word), the `reason` (a
`Finding`: a code and its values), the call that shows it (its arguments
summarised: names, shapes, dtypes, devices, small values), what was
expected and what came back, how many calls were checked and failed. The
sentences a student reads are made from these fields by explain.py, only
where they are shown (the notebook's visible check, the autograded
notebook, the feedback page, the report); every other reader (recording,
feedback, report, export) reads the fields.

Everything here goes to JSON and back (`to_json`, `from_json`): the
worker sends verdicts to the gradebook writer, possibly from another
machine, and the result cache keeps them.
"""
import enum
from dataclasses import dataclass, field

SMALL = 36  # tensors with at most this many elements are shown in full


class Kind(str, enum.Enum):
    """Why a check passed or failed, in a word"""
    PASSED = "passed"
    WRONG = "wrong"                # a rule does not hold (on a call, or over all of them)
    MISSING = "missing"            # the function is not defined
    UNFINISHED = "unfinished"      # still the template's `raise NotImplementedError()`
    NOT_COUNTED = "not counted"    # nothing for nothing: no call with the right values
    DIED = "died"                  # the call's process died
    TIMED_OUT = "timed out"        # the call gave no answer in time
    VOID = "void"                  # the results were not the grader's own measurement
    NOT_JUDGED = "not judged"      # no call to judge, or the results could not be read
    NOT_RUN = "not run"            # the notebook could not be read, or was too large
    UNGRADED = "ungraded"          # no worker could grade the submission
    NOT_CHECKED = "not checked"    # worth nothing in this course or run (`devices` on cpu)


# kinds a failing counterexample's outcome gives (calls.Outcome.kind)
OUTCOME_KINDS = {"crash": Kind.DIED, "timeout": Kind.TIMED_OUT, "void": Kind.VOID}


@dataclass(frozen=True)
class Finding:
    """What a rule found, as a code (explain.REASONS says it in words) and
    the values the sentence needs: names, numbers, dtypes, what the
    function said. A value may be a Finding itself (what came back)."""
    code: str
    params: dict = field(default_factory=dict)

    def get(self, name, default=None):
        return self.params.get(name, default)

    def to_json(self):
        return {"code": self.code, "params": {k: _out(v) for k, v in self.params.items()}}

    @classmethod
    def from_json(cls, data):
        return cls(data["code"], {k: _in(v) for k, v in data.get("params", {}).items()})


def _out(v):
    if isinstance(v, (Finding, Value)):
        return {"$": type(v).__name__, **v.to_json()}
    if isinstance(v, tuple):
        return list(v)
    return v


def _in(v):
    if isinstance(v, dict) and v.get("$") == "Finding":
        return Finding.from_json(v)
    if isinstance(v, dict) and v.get("$") == "Value":
        return Value.from_json(v)
    return v


@dataclass(frozen=True)
class Value:
    """A value as a message shows it: a tensor's dtype, shape and, when it
    is small, its numbers (rows on lines); or a plain value's repr"""
    dtype: str = None
    shape: tuple = None
    numbers: str = None
    text: str = None

    @classmethod
    def of(cls, value):
        import torch  # (only where values are judged: the gradebook writer never imports it)
        if isinstance(value, torch.Tensor):
            return cls(str(value.dtype).replace("torch.", ""), tuple(value.shape),
                       numbers(value) if value.numel() <= SMALL else None)
        return cls(text=repr(value))

    @property
    def tensor(self):
        return self.shape is not None

    def to_json(self):
        return {"dtype": self.dtype, "shape": None if self.shape is None else list(self.shape),
                "numbers": self.numbers, "text": self.text}

    @classmethod
    def from_json(cls, data):
        shape = data.get("shape")
        return cls(data.get("dtype"), None if shape is None else tuple(shape),
                   data.get("numbers"), data.get("text"))


class _Short(float):
    """A number shown with 4 significant digits: 1e-30, 6.667e+13"""

    def __repr__(self):
        return format(self, ".4g")


def _nested(values, kind):
    if isinstance(values, list):
        return [_nested(v, kind) for v in values]
    return kind(values)


def numbers(t):
    """A tensor's numbers as text: 4 decimals (4 significant digits where
    they are tiny or huge), a row per line, a block per leading index"""
    import torch
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


def _rows(nested):
    if nested and isinstance(nested[0], list) and nested[0] and isinstance(nested[0][0], list):
        out = []
        for i, sub in enumerate(nested):
            out.append(f"[{i}]")
            out += ["  " + r for r in _rows(sub)]
        return out
    return [str(r) for r in nested]


@dataclass(frozen=True)
class Arg:
    """One argument of a call: its name and value, where the call put it"""
    name: str
    value: Value
    device: str = "cpu"
    noncontig: bool = False   # handed over as a transposed view (and not a vector)

    def to_json(self):
        return {"name": self.name, "value": self.value.to_json(), "device": self.device,
                "noncontig": self.noncontig}

    @classmethod
    def from_json(cls, data):
        return cls(data["name"], Value.from_json(data["value"]), data.get("device", "cpu"),
                   data.get("noncontig", False))


@dataclass(frozen=True)
class CallSummary:
    """A call of a student function as a message shows it"""
    function: str
    args: tuple = ()          # Arg per positional argument
    kwargs: tuple = ()        # (name, repr) per keyword argument

    @classmethod
    def of(cls, spec, call):
        import torch
        names = spec.arg_names
        args = []
        for i, a in enumerate(call.args):
            name = names[i] if i < len(names) else f"arg{i}"
            noncontig = isinstance(a, torch.Tensor) and i in call.noncontig and a.dim() >= 2 \
                and min(a.shape[-2:]) > 1
            args.append(Arg(name, Value.of(a), call.device, noncontig))
        return cls(spec.name, tuple(args), tuple((k, repr(v)) for k, v in call.kwargs.items()))

    def to_json(self):
        return {"function": self.function, "args": [a.to_json() for a in self.args],
                "kwargs": [list(kv) for kv in self.kwargs]}

    @classmethod
    def from_json(cls, data):
        return cls(data["function"], tuple(Arg.from_json(a) for a in data.get("args", [])),
                   tuple(tuple(kv) for kv in data.get("kwargs", [])))


@dataclass(frozen=True)
class Gradient:
    """A `grad` failure's numbers: the upstream gradient passed back, and
    for the first argument whose gradient is wrong, the two gradients"""
    output: Value
    argument: str = None      # its name in the signature (None: past the names)
    position: int = None      # its position among the arguments
    expected: Value = None
    got: Value = None

    def to_json(self):
        return {"output": self.output.to_json(), "argument": self.argument,
                "position": self.position, "expected": self.expected and self.expected.to_json(),
                "got": self.got and self.got.to_json()}

    @classmethod
    def from_json(cls, data):
        value = lambda d: None if d is None else Value.from_json(d)
        return cls(value(data["output"]), data.get("argument"), data.get("position"),
                   value(data.get("expected")), value(data.get("got")))


@dataclass
class Verdict:
    """One grade cell's check: passed or not, points, and what it found

    grade_id: '<function>-<aspect>'
    reason: for a failure, what failed (a Finding); None for a pass
    call: the call that shows the failure (the smallest, ordinary one)
    expected, got: the two results of that call, where they are tensors
    checked, failed: how many calls informed the verdict, and failed it
    devices: the devices its calls ran on
    public: what a failure may say where hidden inputs must stay hidden
        (feedback before a deadline): the same check judged on the
        published examples only, or that only hidden cases fail
    """
    grade_id: str
    passed: bool
    points: float
    max_points: float
    kind: Kind = Kind.PASSED
    reason: Finding = None
    function: str = ""
    aspect: str = ""
    call: CallSummary = None
    expected: Value = None
    got: Value = None
    gradient: Gradient = None
    checked: int = 0
    failed: int = 0
    devices: tuple = ()
    public: "Verdict" = None

    def __post_init__(self):
        if not self.function and not self.aspect:
            self.function, _, self.aspect = self.grade_id.rpartition("-")

    @property
    def message(self):
        """The verdict in the student's words (explain.message)"""
        from grader.checks import explain
        return explain.message(self)

    def to_json(self):
        part = lambda v: None if v is None else v.to_json()
        return {"grade_id": self.grade_id, "passed": self.passed, "points": self.points,
                "max_points": self.max_points, "kind": self.kind.value,
                "reason": part(self.reason), "function": self.function, "aspect": self.aspect,
                "call": part(self.call), "expected": part(self.expected),
                "got": part(self.got), "gradient": part(self.gradient),
                "checked": self.checked, "failed": self.failed, "devices": list(self.devices),
                "public": part(self.public)}

    @classmethod
    def from_json(cls, data):
        part = lambda kind, key: None if data.get(key) is None else kind.from_json(data[key])
        return cls(data["grade_id"], bool(data["passed"]), data["points"], data["max_points"],
                   Kind(data.get("kind", "passed")), part(Finding, "reason"),
                   data.get("function", ""), data.get("aspect", ""),
                   part(CallSummary, "call"), part(Value, "expected"), part(Value, "got"),
                   part(Gradient, "gradient"), data.get("checked", 0), data.get("failed", 0),
                   tuple(data.get("devices") or ()), part(Verdict, "public"))
