"""No assignment and no graded function is named outside the course's content

An assignment's name, or the name of a function it grades, may appear only
in the course's content: the assignments' folders (grader/assignments/<a>/),
the source notebooks (solutions/<a>/), the chapters (course/), the test-only
assignment's root (tests/fixtures/), and in generated files (exercises/,
grader/checks/public/, build/). Everything else -- the grader, the book's
build, the tests, the benchmarks, the Makefile, the docs -- finds
assignments and functions by discovery (grader.assignments, the published
specs) or uses the test-only assignment (tests/practice.py), so that adding,
renaming or dropping one is an edit inside its folder and notebook. (A
chapter's or a notebook's prose may mention another chapter's topic: "the
channels of a convolution" is a word there, not a reference.)

What counts as naming one:
- in Python files, any code or string but docstrings and comments (prose:
  "max pooling" names a topic, not the assignment);
- in Markdown, code (`...` and fenced blocks): prose is prose;
- in TOML and YAML, values but the `description` (and no comments);
- in every other file (Makefile, mk/*.mk, shell, templates), any occurrence;
always as a whole word, case-sensitive, and not right after `.` or `-`
(`F.linear` is torch's, `d2l-pooling` is the course's id).
"""
import io
import re
import subprocess
import tokenize
from pathlib import Path

import pytest

from grader import assignments
from grader.checks.ops import TRACED
from grader.course import REPO

GENERATED = ("exercises/", "grader/checks/public/", "build/")
CONTENT = ("solutions/", "course/", "tests/fixtures/")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
SPAN = re.compile(r"`[^`\n]+`")


def course_names():
    """{name: assignment} for this repository's assignments and their
    functions (the test-only ones of tests/fixtures are not the course's)"""
    own = Path(assignments.__file__).parent
    out = {}
    for a in assignments.names():
        if assignments.folder(a).parent != own:
            continue
        out[a] = a
        for function in assignments.modules(a):
            out[function] = a
    return out


def word(names):
    alternatives = "|".join(sorted(map(re.escape, names), key=len, reverse=True))
    return re.compile(rf"(?<![\w.-])({alternatives})(?!\w)")


def allowed(path):
    """May the file at `path` (relative, posix) name assignments and
    functions? Generated files and the course's content: the assignments'
    folders, the source notebooks, the chapters, and the test-only
    assignment's root (their prose may name another chapter's topic)"""
    return path.startswith(GENERATED + CONTENT) or re.match(r"grader/assignments/\w+/", path)


def python_text(text):
    """The Python file with its comments and docstrings blanked out"""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return text
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    chars, previous = list(text), tokenize.NEWLINE
    for tok in tokens:
        prose = tok.type == tokenize.COMMENT or (
            tok.type == tokenize.STRING and previous in (tokenize.NEWLINE, tokenize.INDENT,
                                                         tokenize.DEDENT))
        if prose:
            first = offsets[tok.start[0] - 1] + tok.start[1]
            last = offsets[tok.end[0] - 1] + tok.end[1]
            chars[first:last] = [c if c == "\n" else " " for c in chars[first:last]]
        if tok.type not in (tokenize.COMMENT, tokenize.NL):
            previous = tok.type
    return "".join(chars)


def markdown_text(text):
    """The code of a Markdown file: fenced blocks and `spans`"""
    fences = [m.group(0) for m in FENCE.finditer(text)]
    rest = FENCE.sub("", text)
    return "\n".join(fences + SPAN.findall(rest))


def settings_text(text):
    """A TOML or YAML file without its comments, its `description` and its
    bare keys (conda's `channels:` is conda's)"""
    lines = [line.split("#")[0] for line in text.splitlines()]
    return "\n".join(line for line in lines if not re.match(r"\s*description\s*=", line)
                     and not re.fullmatch(r"\s*[\w-]+\s*:\s*", line))


def what_counts(path, text):
    if path.endswith(".py"):
        text = python_text(text)
        if path.startswith("grader/checks/"):   # aten op names (`linear`) are torch's
            text = re.sub(r'"(%s)"' % "|".join(TRACED), '""', text)
        return text
    if path.endswith(".md"):
        return markdown_text(text)
    if path.endswith((".toml", ".yml", ".yaml")):
        return settings_text(text)
    return text


def tracked_files():
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, text=True, check=True).stdout
    return sorted({p for p in listed.splitlines() if (REPO / p).is_file()})


def leaks(names, files, read=lambda p: (REPO / p).read_text()):
    """{path: sorted names it should not hold}"""
    pattern = word(names)
    out = {}
    for path in files:
        try:
            text = read(path)
        except (UnicodeDecodeError, OSError):
            continue
        found = {m.group(1) for m in pattern.finditer(what_counts(path, text))}
        found = sorted(found) if not allowed(path) else []
        if found:
            out[path] = found
    return out


@pytest.fixture(scope="module")
def names():
    found = course_names()
    assert len(found) > len({a for a in found.values()}) >= 1
    return found


def test_no_name_outside_its_folder_notebook_and_chapter(names):
    """Does every file outside the course's content find assignments and
    functions by discovery?"""
    found = leaks(names, tracked_files())
    assert not found, "assignments or functions named outside the course's content (find " \
        "them by discovery, or use tests/practice.py):\n" + \
        "\n".join(f"  {p}: {', '.join(n)}" for p, n in sorted(found.items()))


def test_the_rule_finds_a_name_in_each_kind_of_file(names):
    """Would a name in code, a string, a Markdown code span or a Makefile be
    found, and prose, docstrings, comments, `F.name` and `x-name` be left?"""
    name = next(n for n, a in names.items() if n != a)
    a = names[name]
    texts = {
        "grader/x.py": f'"""{name} in a docstring"""\n# {name} in a comment\n'
                       f'y = F.{name}(x) + "d2l-{name}"\n',
        "docs/x.md": f"The {name} prose.\n",
        "tests/a.py": f"from grader.assignments.{a} import {name}\n",
        "tests/b.py": f'SPEC = "{name}-values"\n',
        "tests/c.py": f'x = f"{{y}}/{name}.py"\n',
        "docs/y.md": f"Run `grader release {a}`.\n",
        "docs/z.md": f"```\ncheck('{name}-values', f)\n```\n",
        "Makefile": f"demo:\n\tgrader autograde {a}\n",
        f"grader/assignments/{a}/tests/test_x.py": f"{name}()\n",
        f"course/{a}.md": f"`{name}`\n",
        "exercises/x/x.ipynb": f'"{name}"\n',
    }
    found = leaks(names, sorted(texts), read=texts.__getitem__)
    assert set(found) == {"tests/a.py", "tests/b.py", "tests/c.py", "docs/y.md", "docs/z.md",
                          "Makefile"}, found
