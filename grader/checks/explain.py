"""Student-facing words: what was called, what was expected, what came back

Every sentence a student or an instructor reads about a check is made
here, from a Verdict's fields (verdict.py): `message(verdict)` for a check,
`reason(finding)` for what a rule found, `problem(finding)` for what went
wrong while grading a notebook. Nothing else writes these sentences, and
nothing reads them back: recording, feedback, the report and export read
the fields.
"""
from grader.checks.specs import ASPECTS


def _indent(text, pad="    "):
    return "\n".join(pad + line for line in text.splitlines())


def _shape(shape):
    return str(tuple(shape))


def tensor_text(v, where=""):
    """'float64 tensor of shape (2,): [0.25, 0.25]', its numbers on lines
    below when it has rows; `where` follows the shape (' on cpu')"""
    kind = f"{v.dtype} tensor of shape {_shape(v.shape)}{where}"
    if v.numbers is None:
        return kind
    return f"{kind}\n{_indent(v.numbers)}" if "\n" in v.numbers else f"{kind}: {v.numbers}"


def value_text(v):
    """A Value (verdict.py) as a message shows it"""
    return tensor_text(v) if v.tensor else v.text


def call_text(call):
    """`pool2d(X, (2, 2), mode='max')` and a line per tensor argument"""
    shown, lines = [], []
    for a in call.args:
        if a.value.tensor:
            shown.append(a.name)
            extra = ", non-contiguous" if a.noncontig else ""
            lines.append(f"  {a.name} = {tensor_text(a.value, f' on {a.device}{extra}')}")
        else:
            shown.append(a.value.text)
    shown += [f"{k}={v}" for k, v in call.kwargs]
    return "\n".join([f"{call.function}({', '.join(shown)})"] + lines)


# --- what came back, and what rules found -------------------------------------------

# item types of a returned sequence, as a message names them
ITEMS = {"int": "Python ints", "float": "floats", "bool": "bools", "str": "strings",
         "tuple": "sequences", "other": "other objects (NumPy integers or tensors, say)"}
TUPLE_RULE = ("a tuple of {n} Python ints (a list or a torch.Size of Python ints is "
              "accepted too; NumPy integers, floats and bools are not)")
INT_RULE = "a Python int (not a float, a bool or a NumPy integer)"
NOT_COUNTED = ("none of the calls that check this returned the right values; every rule "
               "other than `values` counts only where the values are right \u2014 fix the "
               "values first")
ERRORS_NOT_COUNTED = ("`errors` counts only once the function returns the right values "
                      "for a valid input, and it did for none \u2014 fix the values first")
REGIONS = {"zero": "zero", "large negative": "large negative inputs",
           "large positive": "large positive inputs", "tiny": "tiny inputs"}
OPS = {"convolution": "a convolution", "matmul": "a matrix multiplication"}


def _returned(p):
    """What came back, naming its type: '(3.0, 3.0), a tuple of floats'"""
    if p["kind"] == "tensor":
        return f"a tensor ({p['dtype']}, shape {_shape(p['shape'])})"
    if p["kind"] == "sequence":
        kinds = sorted(ITEMS[i] for i in p["items"])
        of = f" of {' and '.join(kinds)}" if kinds else ", empty"
        return f"a {p['type']}{of}" if p["repr"] is None else f"{p['repr']}, a {p['type']}{of}"
    if p["kind"] == "object":
        return f"a `{p['type']}`"
    return f"{p['repr']} (a {p['type']})"


def _form(rule):
    """The rule for a plain result, for messages"""
    if rule["rule"] == "tuple":
        return TUPLE_RULE.format(n={2: "two"}.get(rule["n"], rule["n"]))
    if rule["rule"] == "int":
        return INT_RULE
    return f"a {rule['type']}"


def _plain(p):
    said = f"it returned {_returned(p['returned'])}, expected {p['expected']}"
    if p["rule"] is None:
        return said
    numbers = "the numbers are right, but " if p["numbers_right"] else ""
    return f"{said}: {numbers}the result must be {_form(p['rule'])}"


def _arg(p):
    """How a message names an argument: `X`, or argument 3"""
    return f"`{p['arg']}`" if p.get("arg") is not None else f"argument {p['position']}"


def _difference(p):
    return (f"first difference at index {p['index']}: expected {p['expected']}, got "
            f"{p['got']} ({p['count']} of {p['total']} numbers differ)")


def _nonfinite(p):
    name = f"{_arg(p)}{p['index'] if p['index'] else ''}"
    where = f"{REGIONS[p['region']]} ({name} = {p['value']}, {p['dtype']})" if p["region"] \
        else f"{name} = {p['value']} ({p['dtype']})"
    return (f"at {where} your gradient of {_arg(p)} is {p['got']}, the reference's is "
            f"{p['reference']}: some step of your formula overflows or divides by zero there "
            f"(exp of a large number, inf / inf, 0 * inf, log(0)), even though the value "
            f"is right")


def _raised(p):
    where = f" at {p['where']}" if p.get("where") else ""
    return f"it raised {p['type']}: {p['message']}{where}"


def _object(p):
    if p.get("value") is not None:
        return tensor_text(p["value"])
    if p.get("type") is not None:
        return f"a {p['type']} (expected a plain torch.Tensor)"
    return p["repr"]


REASONS = {
    # what a call did instead of returning (calls.Outcome.kind)
    "not defined": lambda p: "the function is not defined",
    "no answer": lambda p: f"no answer: {p['note'] or 'the call did not finish in time'}",
    "died": lambda p: f"the process died: {p['note']}",
    "void": lambda p: (f"none of its results count: {p['note']} (only what the grader "
                       f"itself measures is graded)"),
    "raised": _raised,
    "returned": _object,
    "not a tensor": lambda p: f"it returned {reason(p['outcome'])}",
    # the rules
    "shape": lambda p: f"the result has shape {_shape(p['got'])}, expected {_shape(p['expected'])}",
    "difference": _difference,
    "plain": _plain,
    "dtype": lambda p: f"the result is {p['got']}, expected {p['expected']} (the input's dtype)",
    "device": lambda p: (f"the result is on {p['got']}, expected {p['expected']} (the input's "
                         f"device)"),
    "autograd failed": lambda p: f"autograd failed: {p['error']}",
    "no gradients": lambda p: "no gradients came back",
    "no gradient reached": lambda p: f"no gradient reached {_arg(p)}",
    "gradient not finite": _nonfinite,
    "gradient wrong": lambda p: (f"the gradient of {_arg(p)} is wrong: "
                                 + (_difference(p["difference"]) if p["difference"] else "")),
    "changed input": lambda p: f"it changed {_arg(p)} in place",
    "untraceable": lambda p: f"how it computes its result could not be traced: {p['note']}",
    "forbidden op": lambda p: (f"it uses {', '.join(p['ops'])}, which this exercise rules out "
                               f"({p['how']})"),
    "foreign op": lambda p: (f"it applies {', '.join(p['ops'])} to the input's data, which "
                             f"this exercise rules out ({p['how']})"),
    "op unused": lambda p: (f"it runs {OPS[p['op']]}, but its result is not computed from it "
                            f"({p['how']})"),
    "op never runs": lambda p: f"it never runs {OPS[p['op']]} ({p['how']})",
    "forbidden name": lambda p: (f"your code uses `{p['name']}`, which this exercise rules "
                                 f"out ({p['how']})"),
    "raised other": lambda p: (f"it raised {p['type']}: {p['message']}; expected "
                               f"{p['expected']}"),
    "should raise": lambda p: (f"it should raise {p['expected']}, but it returned a value: "
                               f"{reason(p['outcome'])}"),
    "not finite": lambda p: "the result contains inf or nan",
    # the function as a whole
    "missing": lambda p: (f"`{p['function']}` is not defined in your notebook: run the cell "
                          f"that defines it, and keep its name and signature "
                          f"`{p['signature']}`."),
    "unfinished": lambda p: (f"`{p['function']}` still raises NotImplementedError: replace "
                             f"`raise NotImplementedError()` with your code."),
    "not counted": lambda p: f"`{p['function']}`: not counted: {NOT_COUNTED}.",
    "errors not counted": lambda p: f"`{p['function']}`: not counted: {ERRORS_NOT_COUNTED}.",
    "no check": lambda p: "no check could be run for this aspect",
    "not judged": lambda p: f"{p['function']}'s results could not be judged ({p['error']})",
    "hidden only": lambda p: (f"{p['function']} passes this check on the published examples "
                              f"in your notebook, but not on every hidden case ({p['checked']} "
                              f"calls checked). Think about inputs the examples do not show: "
                              f"other shapes, windows, strides, padding, dtypes, negative or "
                              f"repeated values."),
    # the notebook as a whole
    "unreadable": lambda p: f"Your notebook could not be read: {p['detail']}",
    "too big": lambda p: PROBLEMS["too big"](p),
    "ungraded": lambda p: PROBLEMS["ungraded"](p),
    "not checked": lambda p: ("not checked: this course is graded on cpu only"
                              if p["course"] == ["cpu"] else
                              f"not checked: this run was graded on cpu only (--devices cpu; "
                              f"the course is graded on {', '.join(p['course'])})"),
}


def reason(finding):
    """What a rule found, in words"""
    return REASONS[finding.code](finding.params)


# --- a whole verdict ------------------------------------------------------------------

SHOULD = {"values": "return the right numbers",
          "shape": "return a result of the right shape",
          "dtype": "keep the input's dtype",
          "devices": "return its result on the input's device",
          "grad": "pass the right gradients back to its inputs",
          "unchanged": "leave its inputs unchanged",
          "errors": "raise the error the contract asks for",
          "structure": "compute the result the way the exercise asks",
          "stability": "stay finite and right for large inputs"}


def message(v):
    """A verdict in the student's words: for a pass, what was checked; for a
    failure on a call, what the function should do, the call, what went
    wrong, the two results and how many calls failed; otherwise the reason"""
    if v.passed and v.reason is None:
        s = "s" if v.checked != 1 else ""
        return (f"{v.function} {ASPECTS[v.aspect]}: {v.checked} call{s} checked on "
                f"{', '.join(v.devices)}")
    if v.call is None:
        if v.reason.code == "forbidden name":   # about the code, so name the function
            return f"`{v.function}`: {reason(v.reason)}"
        return reason(v.reason)
    lines = [f"{v.function} should {SHOULD[v.aspect]}, but for the call",
             _indent(call_text(v.call)), f"{reason(v.reason)}."]
    if v.expected is not None:
        lines += ["expected:", _indent(value_text(v.expected)),
                  "got:", _indent(value_text(v.got))]
    if v.gradient is not None:
        g = v.gradient
        lines += ["the gradient of the result that was passed back (grad_output):",
                  _indent(value_text(g.output))]
        if g.expected is not None:
            name = g.argument if g.argument is not None else f"argument {g.position}"
            lines += [f"expected gradient of {name}:", _indent(value_text(g.expected)),
                      "got:", _indent(value_text(g.got))]
    lines += count_lines(v)
    return "\n".join(lines)


def count_lines(v):
    """How many of the calls failed, where more than one was checked"""
    if v.failed > 1:
        return [f"({v.failed} of {v.checked} calls failed this way; this is the smallest.)"]
    if v.failed and v.checked > 1:
        return [f"(1 of {v.checked} calls failed.)"]
    return []


# --- what went wrong while grading a notebook -----------------------------------------

PROBLEMS = {
    "unreadable": lambda p: p["detail"],
    "too big": lambda p: (f"the notebook's code is {p['kb']} KB, more than the {p['limit_kb']} "
                          f"KB allowed: nothing was run"),
    "stopped": lambda p: f"grading stopped: {p['detail']}",
    "cleanup": lambda p: (f"the sandbox could not be cleaned after this submission "
                          f"({'; '.join(p['details'])}); a fresh one grades the next student"),
    "abandoned": lambda p: p["detail"],
    "garbled event": lambda p: f"an event could not be read ({p['detail']})",
    "garbled result": lambda p: f"a result could not be read ({p['detail']})",
    "ungraded": lambda p: f"grading failed: {p['detail']}",
    "rebuilt": lambda p: (f"{REBUILT} (nbgrader could not record it as submitted: "
                          f"{p['detail']})"),
    "not recorded": lambda p: f"not recorded: {p['detail']}",
}
# How the autograded copy of a notebook nbgrader could not record begins
REBUILT = "recorded from the released notebook with your answers"


def problem(finding):
    """What went wrong while grading a notebook, in words"""
    return PROBLEMS[finding.code](finding.params)
