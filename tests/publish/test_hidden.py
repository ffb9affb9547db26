"""Nothing hidden reaches the students' repository (issue 15)

Hidden text is computed from this repository, independently of the include list
in grader/publish.py: every line of every solution region and hidden-test region
of solutions/*/*.ipynb, every rubric, and every non-trivial line of every trusted
module (grader/**/*.py outside grader/checks) and of the test corpora of right and
wrong answers. Lines that the course shows students on purpose are not hidden:
the chapters (course/*.md), the source notebooks outside their solution and
hidden regions, and the public checks' code (grader/checks/).
"""
import builtins
import json
import keyword
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest

from grader import assignments
from grader.checks.specs import functions_of
from grader.course import release_folder
from grader.notebooks import nbgrader_meta
from grader.rubrics import rubrics
from grader.sample import correct_cells, default_assignment
from tests.publish._students import published_assignments

ROOT = Path(__file__).resolve().parents[2]
REGION = re.compile(r"^[ \t]*### BEGIN (SOLUTION|HIDDEN TESTS)[ \t]*$(.*?)^[ \t]*### END \1[ \t]*$",
                    re.M | re.S)
# Boilerplate of any Python script, trusted or not
IDIOMS = {'if __name__ == "__main__":', "HERE = Path(__file__).resolve().parent"}
HIDDEN_MODULES = ["grader.assignments", "grader.instructor", "grader.plan", "grader.autograde",
                  "grader.grade", "grader.record", "grader.cli", "grader.release",
                  "grader.publish", "grader.sandbox.launcher"]


def _source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _lines(text):
    return {line.strip() for line in text.splitlines() if line.strip()}


# words that say nothing of the code they sit in (`except Exception as exc:`)
GENERIC = set(keyword.kwlist) | set(dir(builtins)) | {"exc", "err", "e", "self", "cls",
                                                       "args", "kwargs"}


def _trivial(line):
    """Short lines, imports, a lone name with punctuation ("pool2d": [) and
    lines of nothing but keywords, builtins and generic names say nothing"""
    words = re.findall(r"[A-Za-z_]\w*", line)
    return (len(line) < 20 or re.match(r"(import|from)\s", line) is not None
            or len(re.findall(r"\w+", line)) < 2 or line in IDIOMS
            or all(w in GENERIC for w in words))


def trusted_modules():
    return sorted(p for p in (ROOT / "grader").rglob("*.py")
                  if not p.is_relative_to(ROOT / "grader" / "checks"))


def hidden_lines():
    """{line: where it comes from} of everything students must not see"""
    hidden, shown = {}, set()
    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            src = _source(cell)
            for match in REGION.finditer(src):
                for line in _lines(match.group(2)):
                    hidden.setdefault(line, f"{path.relative_to(ROOT)} ({match.group(1).lower()})")
            if cell.get("metadata", {}).get("grader", {}).get("checks"):
                for line in _lines(src):     # a marker cell: the instructor's checks
                    hidden.setdefault(line, f"{path.relative_to(ROOT)} (marker cell)")
                continue
            shown |= _lines(REGION.sub("", src))
        for grade_id, text in rubrics(path.parent.name).items():
            for line in _lines(text):
                hidden.setdefault(line, f"rubric of {grade_id}")
    for path in trusted_modules() + sorted((ROOT / "tests").rglob("*corpus*.py")):
        for line in _lines(path.read_text()):
            if not _trivial(line):
                hidden.setdefault(line, str(path.relative_to(ROOT)))
    for path in [*(ROOT / "course").glob("*.md"), *(ROOT / "grader" / "checks").rglob("*.py")]:
        shown |= _lines(path.read_text())
    return {line: where for line, where in hidden.items() if line not in shown}


def published_lines(root):
    """{line: file} of every text file under root, notebooks' cells decoded"""
    found = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or ".git" in path.relative_to(root).parts:
            continue
        text = path.read_text(errors="replace")
        if path.suffix == ".ipynb":
            text += "\n" + "\n".join(_source(c) for c in json.loads(text)["cells"])
        for line in _lines(text):
            found.setdefault(line, str(path.relative_to(root)))
    return found


def test_the_hidden_text_is_what_it_should_be():
    """Does the hidden set hold the solutions, rubrics, references and cases at all?"""
    hidden = hidden_lines()
    sources = set(hidden.values())
    assert any("(solution)" in s for s in sources)
    assert any("(marker cell)" in s for s in sources)
    found = [text for path in (ROOT / "solutions").glob("*/*.ipynb")
             for text in rubrics(path.parent.name).values()]
    assert found and all(_lines(text) & set(hidden) for text in found)
    modules = {Path(m).parts[1] for m in sources if m.startswith("grader/")}
    assert {"assignments", "instructor.py", "plan.py", "autograde.py", "publish.py"} <= modules, \
        modules
    assert any("corpus" in s for s in sources)
    assert len(hidden) > 2000, len(hidden)


def test_no_hidden_line_is_published(published):
    """Does the students' repository contain no line of a solution, rubric, reference,
    hidden case, trusted module or corpus?"""
    hidden = hidden_lines()
    leaks = [f"{file}: {line!r} (from {hidden[line]})"
             for line, file in published_lines(published).items() if line in hidden]
    assert not leaks, "\n".join(leaks[:40])


def test_the_check_finds_a_leak(published, tmp_path):
    """Would a reference module, a source notebook or a rubric be noticed if published?"""
    hidden = hidden_lines()
    first = assignments.names()[0]
    function = next(iter(assignments.modules(first)))
    for path in [Path(assignments.module(function).__file__),
                 ROOT / "solutions" / first / f"{first}.ipynb",
                 ROOT / "grader" / "plan.py"]:
        copy = tmp_path / path.name
        copy.write_bytes(path.read_bytes())
        assert any(line in hidden for line in published_lines(tmp_path)), path
        copy.unlink()
    rubric = next(text for a in assignments.names() for text in rubrics(a).values())
    (tmp_path / "notes.md").write_text(f"# notes\n\n{rubric}\n")
    assert any(line in hidden for line in published_lines(tmp_path))


def test_only_public_folders_are_published(published):
    """Are solutions/, tests/, the sample class and the instructors' guides
    absent (the students get their guide and the contract)?"""
    files = {p.relative_to(published).as_posix() for p in published.rglob("*") if p.is_file()}
    tops = {f.split("/")[0] for f in files}
    assert tops <= {"course", "exercises", "grader", "vendor", "docs", ".jupyter", "README.md",
                    "Makefile", "pyproject.toml", "requirements.txt", "requirements-no-deps.txt",
                    "constraints.txt", "check_setup.py", ".gitignore", ".published"}, tops
    assert {f for f in files if f.startswith("docs/")} == {"docs/students.md", "docs/contract.md"}
    grader = {f for f in files if f.startswith("grader/")}
    assert grader == {"grader/__init__.py"} | {f for f in grader if f.startswith("grader/checks/")}
    assert published_assignments()
    for a in published_assignments():
        assert {f"grader/checks/public/{a}.json", f"exercises/{a}/{a}.ipynb"} <= files, a
    chapters = {f"course/{p.name}" for p in (ROOT / "course").glob("*.md")}
    assert chapters and chapters <= files


def _imports(path_entries, code):
    """Run code in a fresh interpreter that sees path_entries and site-packages, but none
    of the .pth files (so not this repository's editable install of `grader`)"""
    site = sysconfig.get_paths()["purelib"]
    prelude = f"import sys; sys.path[:0] = {[str(p) for p in path_entries] + [site]!r}\n"
    return subprocess.run([sys.executable, "-S", "-c", prelude + code],
                          capture_output=True, text=True, timeout=120)


IMPORT_CODE = f"""
import importlib
import grader, grader.checks
from grader.checks import check, CheckFailed
print("FROM", grader.checks.__file__)
for name in {HIDDEN_MODULES!r}:
    try:
        importlib.import_module(name)
    except ImportError:
        print("HIDDEN", name)
    else:
        print("IMPORTED", name)
"""


def _check_imports(result, root):
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"FROM {root / 'grader' / 'checks' / '__init__.py'}", lines[0]
    assert [l for l in lines if l.startswith("IMPORTED")] == []
    assert len([l for l in lines if l.startswith("HIDDEN")]) == len(HIDDEN_MODULES)


def test_only_the_checks_import_from_the_published_tree(published):
    """With the tree on sys.path: `from grader.checks import check` works, and
    grader.assignments, grader.instructor, grader.plan, grader.autograde, ... do not exist"""
    _check_imports(_imports([published], IMPORT_CODE), published)


def _first_exercise():
    """The first graded function of the sample class's assignment: its name,
    the released notebook's set-up cell, its stub (the released solution
    cell) and the model solution (the source's)"""
    a = default_assignment()
    function = functions_of(a)[0].name
    cells = nbformat.read(release_folder(a) / f"{a}.ipynb", as_version=4).cells
    setup = next(c.source for c in cells if c.cell_type == "code")
    stub = next(c.source for c in cells
                if nbgrader_meta(c).get("grade_id") == f"{function}-solution")
    return function, setup, stub, correct_cells(a)[f"{function}-solution"]


def test_the_checks_work_from_the_published_tree(published):
    """Does a visible check run there, and say what a stub still lacks?"""
    function, setup, stub, solution = _first_exercise()
    assert "NotImplementedError" in stub and "values" in functions_of(
        default_assignment())[0].aspects
    code = f"""
{setup}
from grader.checks import check, CheckFailed
{stub}
try:
    check('{function}-values', {function})
except CheckFailed as exc:
    print('FAILED', exc)
{solution}
check('{function}-values', {function})
try:
    check('{function}-values', {function}, hidden=True)
except TypeError as exc:
    print('NO HIDDEN', exc)
"""
    result = _imports([published], code)
    assert result.returncode == 0, result.stderr
    assert f"FAILED `{function}` still raises NotImplementedError" in result.stdout
    assert f"\u2714 {function} returns the right numbers" in result.stdout
    # hidden checks are the instructor's (grader.instructor), never the students'
    assert "NO HIDDEN check() got an unexpected keyword argument 'hidden'" in result.stdout


@pytest.mark.slow
def test_the_wheel_holds_only_the_checks(published, tmp_path):
    """Does `pip wheel` of the tree (what a JupyterHub image installs) hold grader/__init__.py,
    grader/checks and its published examples, and nothing else, and import from there?"""
    import shutil
    import zipfile
    tree = shutil.copytree(published, tmp_path / "tree")   # pip builds in the tree
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "--no-build-isolation", "--quiet", "-w", str(tmp_path / "dist"),
                            str(tree)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    wheel, = (tmp_path / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    payload = sorted(n for n in names if ".dist-info/" not in n)
    expected = sorted(["grader/__init__.py"]
                      + [p.relative_to(published).as_posix()
                         for p in (published / "grader" / "checks").rglob("*")
                         if p.is_file() and p.suffix in (".py", ".json")])
    assert payload == expected
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    _check_imports(_imports([target], IMPORT_CODE), target)


LINK = re.compile(r"\]\(([^)\s]+)\)|^```\{(?:image|figure)\}\s+(\S+)", re.M)


def test_every_relative_link_of_the_published_text_is_published(published):
    """Do the chapters', README's and guide's links and images point at published files?
    (A file left out of the include list would be a broken link for students)"""
    broken, count = [], 0
    for path in published.rglob("*.md"):
        for match in LINK.finditer(path.read_text()):
            target = (match.group(1) or match.group(2)).split("#")[0]
            if not target or re.match(r"[a-z]+:", target):
                continue
            count += 1
            if not (path.parent / target).exists():
                broken.append(f"{path.relative_to(published)} -> {target}")
    assert count >= 4 and not broken, broken
