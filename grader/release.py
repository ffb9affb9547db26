"""`grader release`: solutions/ -> exercises/, and the published specs and examples

For each assignment: reads the order of its graded functions from the marker
cells of its source notebook, checks them against the modules in
grader/assignments/<assignment>/, writes grader/checks/public/<assignment>.json
(the specs and the reference's outcomes on the worked examples), then runs
nbgrader's own generate_assignment (marker cells made into grade cells,
solution regions removed, cells locked, checksums) with the release
directory set to exercises/, against a throwaway gradebook.

A published file whose content is already there is left as it is: numbers
compare with the checks' tolerance (`close`), everything else exactly, so a
release on another machine (whose float64 results may differ in their last
bits) changes no tracked file.
"""
import base64
import json
import shutil
import tempfile
from pathlib import Path

import nbformat

from grader import assignments
from grader.checkcells import markers
from grader.checks import public, specs
from grader.checks.ops import TRACED
from grader.course import nbgrader_config, public_root, release_root, source_folder


def function_specs(assignment):
    """The FunctionSpecs of an assignment in its notebooks' order, checked
    against the folder's modules; ValueError saying what to fix"""
    folder = source_folder(assignment)
    notebooks = sorted(folder.glob("*.ipynb"))
    if not notebooks:
        raise ValueError(f"no source notebook in {folder}")
    order = [name for nb in notebooks for name in markers(nbformat.read(nb, as_version=4))]
    modules = assignments.modules(assignment)
    doubles = sorted({n for n in order if order.count(n) > 1})
    unknown = [n for n in order if n not in modules]
    unmarked = sorted(set(modules) - set(order))
    problems = []
    if doubles:
        problems.append(f"more than one marker cell for {', '.join(doubles)}")
    if unknown:
        problems.append(f"marker cells name {', '.join(unknown)}, which have no module with a "
                        f"SPEC in grader/assignments/{assignment}/")
    if unmarked:
        problems.append(f"{', '.join(unmarked)} {'has' if len(unmarked) == 1 else 'have'} a "
                        f"module but no marker cell in {folder}: add one "
                        f"(docs/authoring.md)")
    out = [assignments.function_spec(name, assignment) for name in order if name in modules]
    for spec in out:
        untraced = sorted((spec.forbidden_ops | spec.required_ops) - TRACED)
        if untraced:
            problems.append(f"{spec.name}'s SPEC names ops the tracer does not follow: "
                            f"{', '.join(untraced)} (grader/checks/ops.py)")
        unknown_aspects = sorted(set(spec.aspects) - set(specs.ASPECTS))
        if unknown_aspects:
            problems.append(f"{spec.name}'s SPEC has unknown aspects "
                            f"{', '.join(unknown_aspects)} (known: {', '.join(specs.ASPECTS)})")
    if problems:
        raise ValueError(f"{assignment}: " + "; ".join(problems))
    return out


def write_public(assignment):
    """The assignment's published file, from its modules; left untouched
    when it already holds the same content (see the module doc)"""
    import torch

    from grader.plan import public_trials
    torch.set_num_threads(1)
    found = function_specs(assignment)
    text = public.dumps(assignment, assignments.position(assignment), found,
                        public_trials(assignment, [s.name for s in found]))
    path = public_root(assignment) / f"{assignment}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not (path.exists() and same_published(path.read_text(), text)):
        path.write_text(text)
    specs.forget()
    return path


def same_published(a, b):
    """Do two published files hold the same content: tensors equal within
    the checks' tolerance (same dtype and shape), everything else exactly?"""
    try:
        one, two = json.loads(a), json.loads(b)
    except ValueError:
        return False
    if not (isinstance(one, dict) and isinstance(two, dict)):
        return False
    blobs = ([base64.b64decode(x) for x in one.get("blobs", [])],
             [base64.b64decode(x) for x in two.get("blobs", [])])
    rest = lambda d: {k: v for k, v in d.items() if k != "blobs"}  # noqa: E731
    return _same(rest(one), rest(two), blobs)


def _same(x, y, blobs):
    if isinstance(x, dict) and isinstance(y, dict):
        if x.get("t") == "tensor" and y.get("t") == "tensor":
            return _same_tensor(x, y, blobs)
        return x.keys() == y.keys() and all(_same(x[k], y[k], blobs) for k in x)
    if isinstance(x, list) and isinstance(y, list):
        return len(x) == len(y) and all(_same(a, b, blobs) for a, b in zip(x, y))
    return type(x) is type(y) and x == y


def _same_tensor(x, y, blobs):
    from grader.checks import wire
    from grader.checks.aspects import close
    if {k: v for k, v in x.items() if k != "blob"} != {k: v for k, v in y.items() if k != "blob"}:
        return False
    try:
        a, b = wire.get(x, blobs[0]), wire.get(y, blobs[1])
    except (wire.WireError, IndexError):
        return False
    if not a.is_floating_point() and not a.is_complex():
        return bool((a == b).all())
    return close(a, b)


def generate(assignment, release_dir):
    """nbgrader generate_assignment into release_dir/<assignment>"""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    with tempfile.TemporaryDirectory() as tmp:
        config = nbgrader_config(tmp, db_url=f"sqlite:///{tmp}/release.db",
                                 release_dir=release_dir, assignment=assignment)
        config.NbGrader.logfile = ""
        api = NbGraderAPI(CourseDirectory(config=config), config=config)
        api.log.setLevel("ERROR")
        result = api.generate_assignment(assignment, force=True)
        if not result["success"]:
            raise RuntimeError(f"nbgrader could not release {assignment}:\n{result['log']}")


def release(wanted=None, release_dir=None):
    """Release each assignment (default: every one with a source folder);
    return the folders written"""
    wanted = wanted or [a for a in assignments.names() if source_folder(a).is_dir()]
    written = []
    for assignment in wanted:
        if not source_folder(assignment).is_dir():
            raise FileNotFoundError(f"no source folder {source_folder(assignment)}")
        write_public(assignment)
        into = Path(release_dir) if release_dir else release_root(assignment)
        target = into / assignment
        if target.exists():
            shutil.rmtree(target)
        generate(assignment, into)
        written.append(target)
    return written
