"""Mutation testing of the modules that decide points: `make mutation`

    .venv/bin/python tools/mutation.py [MODULE ...]   (default: aspects rules)

Runs mutmut (configured in pyproject.toml's [tool.mutmut]: the modules, and
tests/checks as the tests) on grader/checks/<MODULE>.py, then prints per
module how many mutants the tests killed, the mutation score over the
mutants that are not equivalent, and every survivor with its diff. The
equivalent mutants (changes no test can see, because no verdict and no
message can change) are listed in tools/equivalent_mutants.txt, each with
its reason; they are matched by function and mutated line, so they survive
edits elsewhere in the file. mutmut keeps its results in mutants/: a second
run tests only what changed.
"""
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTMUT = [sys.executable, "-m", "mutmut"]
EQUIVALENTS = ROOT / "tools" / "equivalent_mutants.txt"
KILLED = {1, 3, 36, -24, 24, 152, 255, 37}  # failed, timed out, or caught by a type check
SURVIVED = {0}


def run(modules):
    for m in modules:
        retest_survivors(m)
    names = [f"grader.checks.{m}*" for m in modules]
    return subprocess.run(MUTMUT + ["run", *names], cwd=ROOT).returncode


def retest_survivors(module):
    """mutmut keeps every verdict until the function's code changes; tests
    added since may kill a survivor now, so survivors are tested again"""
    meta = ROOT / "mutants" / "grader" / "checks" / f"{module}.py.meta"
    if not meta.exists():
        return
    data = json.loads(meta.read_text())
    codes = data.get("exit_code_by_key", {})
    for name, code in codes.items():
        if code not in KILLED:
            codes[name] = None
    meta.write_text(json.dumps(data, indent=4))


def results(module):
    """{mutant name: exit code} from mutmut's record of grader/checks/<module>.py"""
    meta = ROOT / "mutants" / "grader" / "checks" / f"{module}.py.meta"
    if not meta.exists():
        return {}
    return json.loads(meta.read_text()).get("exit_code_by_key", {})


def diff(name):
    """The mutant's diff, as mutmut shows it"""
    out = subprocess.run(MUTMUT + ["show", name], cwd=ROOT, capture_output=True, text=True)
    return out.stdout


def changed_line(text):
    """The mutated line: the first '+' line of the diff, stripped"""
    for line in text.splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            return line[1:].strip()
    return ""


def function_of(name):
    """'grader.checks.aspects.x_judge__mutmut_12' -> 'judge'"""
    last = re.sub(r"__mutmut_\d+$", "", name.rsplit(".", 1)[-1])
    return last[2:] if last.startswith("x_") else last


def equivalents():
    """{(function, mutated line): reason} from tools/equivalent_mutants.txt"""
    out = {}
    for line in EQUIVALENTS.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        function, mutated, reason = (part.strip() for part in line.split(" | ", 2))
        out[(function, mutated)] = reason
    return out


def report(module, known):
    codes = results(module)
    if not codes:
        print(f"{module}.py: no results (run mutmut first)")
        return None
    survivors, equivalent, killed, other = [], [], 0, []
    for name, code in sorted(codes.items(), key=lambda kv: _order(kv[0])):
        if code in KILLED:
            killed += 1
            continue
        text = diff(name) if code in SURVIVED else ""
        key = (function_of(name), changed_line(text))
        if code in SURVIVED and key in known:
            equivalent.append((name, known[key]))
        elif code in SURVIVED:
            survivors.append((name, text))
        else:
            other.append((name, code))
    counted = len(codes) - len(equivalent)
    score = 100.0 * killed / counted if counted else 100.0
    untested = sum(1 for _, code in other if code is None)
    print(f"\n=== grader/checks/{module}.py: {len(codes)} mutants, {killed} killed, "
          f"{len(survivors)} survived, {len(equivalent)} equivalent (listed), "
          f"{len(other) - untested} without a test, {untested} not run yet")
    print(f"mutation score: {score:.1f} % ({killed} of {counted} non-equivalent mutants killed)")
    tested = counted - untested
    if untested and tested:
        print(f"  over the mutants run so far: {100.0 * killed / tested:.1f} % "
              f"({killed} of {tested}); run `make mutation` again to finish")
    elif untested:
        print("  none has run yet: mutmut stopped before testing any (see its output above)")
    for name, text in survivors:
        print(f"\n--- survived: {name}\n{_body(text)}")
    for name, reason in equivalent:
        print(f"--- equivalent: {name}: {reason}")
    for name, code in other:
        if code is not None:
            print(f"--- {name}: exit code {code} (no test reaches it)")
    return score


def _order(name):
    m = re.search(r"__mutmut_(\d+)$", name)
    return (name.rsplit("__mutmut_", 1)[0], int(m.group(1)) if m else 0)


def _body(text):
    lines = [line for line in text.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    return "\n".join(lines)


def main(argv):
    modules = argv or ["aspects", "rules"]
    code = run(modules)
    if code not in (0, 1):
        print(f"mutmut stopped with exit code {code}")
    known = equivalents()
    scores = {m: report(m, known) for m in modules}
    print("\n" + ", ".join(f"{m}.py {s:.1f} %" for m, s in scores.items() if s is not None))


if __name__ == "__main__":
    main(sys.argv[1:])
