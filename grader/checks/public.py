"""What `grader release` publishes of an assignment, as JSON: its functions'
specs and worked examples

grader/checks/public/<assignment>.json holds, for the visible checks and the
grader alike: the assignment's position in the course, each graded
function's spec (name, signature, aspects with points, the structure rule,
in the notebook's order), and its published examples: the calls and the
reference's outcomes. The student's notebook reads it, so visible checks
need neither the references nor the hidden cases.

Tests add folders of published files through GRADER_EXTRA_ROOTS (each
root's public/, see grader.course).
"""
import base64
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from grader.checks import wire

FOLDER = Path(__file__).parent / "public"
FORMAT = 3  # 3: specs too; 2: raw array buffers; 1: .npy files
EXTRA_ROOTS = "GRADER_EXTRA_ROOTS"  # as grader.course.EXTRA_ROOTS


@dataclass(frozen=True)
class Published:
    assignment: str
    position: int
    specs: list      # [dict], see spec_fields, in the notebook's order
    examples: dict   # {function: [(call, expected outcome)]}


def folders():
    """Where published files are: this package's public/, then each extra root's"""
    extra = [Path(p) / "public" for p in os.environ.get(EXTRA_ROOTS, "").split(os.pathsep) if p]
    return [FOLDER] + extra


def path(assignment):
    """The published file of an assignment (in FOLDER when it is nowhere yet)"""
    for folder in folders():
        candidate = folder / f"{assignment}.json"
        if candidate.exists():
            return candidate
    return FOLDER / f"{assignment}.json"


def names():
    """Every assignment with a published file"""
    return sorted({p.stem for folder in folders() if folder.is_dir()
                   for p in folder.glob("*.json")})


def spec_fields(spec):
    """A FunctionSpec as plain JSON data"""
    return {"name": spec.name, "signature": spec.signature,
            "aspects": [[a, p] for a, p in spec.aspects.items()],
            "forbidden_ops": sorted(spec.forbidden_ops),
            "required_ops": sorted(spec.required_ops),
            "forbidden_names": list(spec.forbidden_names), "how": spec.how,
            "column": spec.column}


def dumps(assignment, position, specs, trials_by_function):
    """The published file's text: specs as FunctionSpecs, trials as
    {function: [(call, expected outcome)]}"""
    blobs = []
    body = {name: [{"call": wire.put_call(c, blobs), "expected": wire.put_outcome(o, blobs)}
                   for c, o in pairs]
            for name, pairs in trials_by_function.items()}
    doc = {"format": FORMAT, "assignment": assignment, "position": position,
           "specs": [spec_fields(s) for s in specs], "functions": body,
           "blobs": [base64.b64encode(b).decode() for b in blobs]}
    return json.dumps(doc, indent=1, sort_keys=True) + "\n"


def loads(text):
    """A Published from the file's text; ValueError when it is not one this
    grader reads"""
    doc = json.loads(text)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else None
        raise ValueError(f"published examples in format {found!r}, this grader "
                         f"reads format {FORMAT}: run `grader release` again")
    blobs = [base64.b64decode(b) for b in doc["blobs"]]
    examples = {name: [(wire.get_call(p["call"], blobs), wire.get_outcome(p["expected"], blobs))
                       for p in pairs]
                for name, pairs in doc["functions"].items()}
    return Published(doc["assignment"], doc["position"], doc["specs"], examples)


@lru_cache(maxsize=None)
def published(assignment):
    file = path(assignment)
    if not file.exists():
        raise FileNotFoundError(f"{file} is missing: run `grader release {assignment}`")
    return loads(file.read_text())


def examples(assignment):
    """{function: [(call, expected outcome)]}"""
    return published(assignment).examples


def forget():
    """Read the published files again (after `grader release` wrote them)"""
    published.cache_clear()
