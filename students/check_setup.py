"""`make check`: can this environment run the course? Says what works and what is missing

Imports what the chapters and the exercise notebooks import, checks that torch is the
pinned 2.13.0, that the grader.checks imported is this checkout's (or a copy of it,
as a JupyterHub image installs it), and loads the published examples of every
visible check. Exits 1 if anything is missing.
"""
import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Import as a notebook's kernel does: not from this script's folder, which Python
# puts first on the path of a script
if sys.path and Path(sys.path[0] or ".").resolve() == HERE:
    del sys.path[0]
TORCH = "2.13.0"
# what the chapters (course/*.md) and the exercise notebooks import, and JupyterLab's parts
MODULES = ["torch", "numpy", "matplotlib", "matplotlib_inline", "pandas", "scipy", "PIL",
           "requests", "d2l.torch", "tensorboard", "jupyterlab", "jupytext", "nbgrader",
           "ipykernel"]


def problems():
    """[what is wrong, in words]; empty when the environment is ready"""
    found = []
    for name in MODULES:
        try:
            importlib.import_module(name)
        except Exception as exc:  # any failure to import is a finding, not a crash
            found.append(f"import {name} failed: {type(exc).__name__}: {exc}")
    torch = sys.modules.get("torch")
    if torch is not None and not torch.__version__.startswith(TORCH):
        found.append(f"torch is {torch.__version__}, the course needs {TORCH} "
                     f"(pip install -c constraints.txt torch=={TORCH})")
    try:
        import grader.checks
        from grader.checks import check, public  # noqa: F401 (what the notebooks import)
    except Exception as exc:
        return found + [f"from grader.checks import check failed: {type(exc).__name__}: {exc}"]
    found += _stale(Path(grader.checks.__file__).resolve().parent)
    examples = sorted(public.FOLDER.glob("*.json"))
    if not examples:
        found.append(f"{public.FOLDER} holds no published examples")
    for path in examples:
        try:
            functions = public.examples(path.stem)
        except Exception as exc:
            found.append(f"the published examples {path.name} do not load: "
                         f"{type(exc).__name__}: {exc}")
            continue
        calls = sum(len(pairs) for pairs in functions.values())
        print(f"{path.stem}: {len(functions)} functions, {calls} published examples")
    return found


def _stale(where):
    """The visible checks imported (an editable or a copied install) must be this
    checkout's, file for file, or they judge against another release's examples"""
    mine = HERE / "grader" / "checks"
    if where == mine:
        return []

    def files(root):
        return {p.relative_to(root).as_posix(): p.read_bytes()
                for p in root.rglob("*") if p.suffix in (".py", ".json")}
    if files(where) == files(mine):
        return []
    return [f"grader.checks is imported from {where}, which differs from this checkout's "
            f"{mine}: run `make` here again (or `pip install --no-deps .` in this folder)"]


def main():
    found = problems()
    for line in found:
        print(f"PROBLEM: {line}")
    if found:
        return 1
    checks = Path(sys.modules["grader.checks"].__file__).parent
    print(f"ready: torch {sys.modules['torch'].__version__}, python {sys.version.split()[0]}, "
          f"checks from {checks}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
