"""The documents students are pointed at are in their repository

The released notebooks, the chapters and the text a new assignment starts
from (`grader new`) point students at the guide and the contract; a link to
a file the include list leaves out is a dead end for a student.
"""
import json
import re

from grader import scaffold

LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)\s]*)?\)")


def _relative(links):
    return [t for t in links if not re.match(r"[a-z]+:", t)]


def test_the_contract_and_the_guide_are_published(published):
    """Are the students' guide and the rules every function follows published,
    and does the guide link the contract?"""
    for doc in ("docs/students.md", "docs/contract.md"):
        assert (published / doc).is_file(), doc
    assert "contract.md" in _relative(LINK.findall((published / "docs/students.md").read_text()))


def test_every_link_in_a_released_notebook_is_published(published):
    """Does every relative link in a released notebook's Markdown resolve in
    the students' repository?"""
    broken, notebooks = [], sorted(published.glob("exercises/*/*.ipynb"))
    assert notebooks
    for path in notebooks:
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] != "markdown":
                continue
            for target in _relative(LINK.findall("".join(cell["source"]))):
                if not (path.parent / target).exists():
                    broken.append(f"{path.relative_to(published)} -> {target}")
    assert not broken, broken


def test_a_new_assignment_points_at_published_documents(published):
    """Does the introduction `grader new` writes link the contract, and does
    that link resolve from where a released notebook lies?"""
    targets = _relative(LINK.findall(scaffold.INTRO))
    assert any(t.endswith("docs/contract.md") for t in targets), scaffold.INTRO
    released_at = published / "exercises" / "new_assignment"
    missing = [t for t in targets if not (released_at / t).resolve().is_file()]
    assert not missing, missing
