"""The released exercises and the published files: in sync with their
sources on any machine, nothing hidden in them, the source never rewritten

Every assignment with a source folder is checked, the test-only one of
tests/fixtures included (it is released the same way into its own root).
"""
import base64
import json
import shutil

import nbformat
import numpy as np
import pytest

from grader import assignments, release
from grader.checkcells import cell_id, markers
from grader.checks import public
from grader.checks.specs import functions_of
from grader.course import public_root, release_folder, source_folder
from grader.release import generate, same_published, write_public

RELEASED = [a for a in assignments.names() if source_folder(a).is_dir()]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    out = tmp_path_factory.mktemp("release")
    for a in RELEASED:
        generate(a, out)
    return out


def test_every_assignment_is_released():
    """Is each assignment of the course (and the test-only one) released,
    with its published file?"""
    assert "practice" in RELEASED and len(RELEASED) >= 2
    for a in RELEASED:
        assert (release_folder(a) / f"{a}.ipynb").exists(), a
        assert (public_root(a) / f"{a}.json").exists(), a


@pytest.mark.parametrize("assignment", RELEASED)
def test_released_copy_is_in_sync(assignment, fresh):
    """Is exercises/<a> exactly what releasing solutions/<a> produces now?"""
    for path in sorted(source_folder(assignment).glob("*.ipynb")):
        committed = json.loads((release_folder(assignment) / path.name).read_text())
        made = json.loads((fresh / assignment / path.name).read_text())
        assert committed == made, f"{release_folder(assignment)}/{path.name} is stale: " \
                                  f"run `grader release {assignment}`"


@pytest.mark.parametrize("assignment", RELEASED)
def test_released_copy_has_no_solution_no_hidden_test_no_marker(assignment):
    """Are solution regions, model answers, hidden tests and the instructor's
    marker cells all gone?"""
    for path in release_folder(assignment).glob("*.ipynb"):
        text = path.read_text()
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "hidden=True",
                       "Model answer", "Rubric", "check_all", "grader.instructor"):
            assert marker not in text, f"{marker!r} leaked into {path}"
        assert not markers(nbformat.read(path, as_version=4))


@pytest.mark.parametrize("assignment", RELEASED)
def test_every_aspect_has_its_grade_cell(assignment):
    """Does each function have one test cell per aspect, named <function>-<aspect>,
    with the points of its SPEC and an id made from its grade id, in the
    order of the source's marker cells, and a solution cell to fill in?"""
    nb = nbformat.read(release_folder(assignment) / f"{assignment}.ipynb", as_version=4)
    cells = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if "nbgrader" in c.metadata}
    source = nbformat.read(source_folder(assignment) / f"{assignment}.ipynb", as_version=4)
    assert [s.name for s in functions_of(assignment)] == markers(source)
    for spec in functions_of(assignment):
        assert spec.aspects == assignments.module(spec.name).SPEC.aspects
        assert f"{spec.name}-solution" in cells
        stub = cells[f"{spec.name}-solution"].source
        assert "raise NotImplementedError()" in stub and f"def {spec.name}(" in stub
        for aspect, points in spec.aspects.items():
            cell = cells[spec.grade_id(aspect)]
            assert cell.metadata["nbgrader"]["points"] == points
            assert cell.metadata["nbgrader"]["grade"] and not cell.metadata["nbgrader"]["solution"]
            assert f"check({spec.grade_id(aspect)!r}, {spec.name})" in cell.source
            assert cell.id == cell_id(spec.grade_id(aspect))


@pytest.mark.parametrize("assignment", RELEASED)
def test_every_other_cell_keeps_its_id(assignment):
    """Does every released cell that is not a grade cell made from a marker
    keep the id it has in the source notebook?"""
    source = nbformat.read(source_folder(assignment) / f"{assignment}.ipynb", as_version=4)
    released = nbformat.read(release_folder(assignment) / f"{assignment}.ipynb", as_version=4)
    made = {cell_id(s.grade_id(a)) for s in functions_of(assignment) for a in s.aspects}
    kept = [c.id for c in released.cells if c.id not in made]
    assert kept == [c.id for c in source.cells if not c.metadata.get("grader", {}).get("checks")]


@pytest.mark.parametrize("assignment", RELEASED)
def test_published_file_is_in_sync(assignment):
    """Does the published file hold what the modules and the references say
    today: the specs exactly, the examples' numbers within the checks'
    tolerance (the float64 results may differ in their last bits on
    another machine)?"""
    from grader.plan import public_trials
    found = release.function_specs(assignment)
    made = public.dumps(assignment, assignments.position(assignment), found,
                        public_trials(assignment, [s.name for s in found]))
    committed = public.path(assignment).read_text()
    assert same_published(committed, made), \
        f"{public.path(assignment)} is stale: run `grader release {assignment}`"


def _nudged(text, factor):
    """The published file with every float64 number multiplied by factor
    (what another machine's last bits look like, for factor 1 + 1e-15)"""
    doc = json.loads(text)
    blobs = [base64.b64decode(b) for b in doc["blobs"]]

    def walk(node):
        if isinstance(node, dict):
            if node.get("t") == "tensor" and node["dtype"] == "float64":
                values = np.frombuffer(blobs[node["blob"]], dtype=np.float64) * factor
                blobs[node["blob"]] = values.tobytes()
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(doc["functions"])
    doc["blobs"] = [base64.b64encode(b).decode() for b in blobs]
    return json.dumps(doc, indent=1, sort_keys=True) + "\n"


def test_same_published_ignores_last_bits_only():
    """Numbers off in their last bits are the same content; numbers off by
    more, or any other field changed, are not"""
    text = public.path("practice").read_text()
    assert same_published(text, _nudged(text, 1 + 1e-15))
    assert not same_published(text, _nudged(text, 1 + 1e-3))
    doc = json.loads(text)
    doc["specs"][0]["aspects"][0][1] += 1
    assert not same_published(text, json.dumps(doc))
    doc = json.loads(text)
    doc["position"] += 1
    assert not same_published(text, json.dumps(doc))


def test_release_leaves_a_file_from_another_machine_as_it_is(tmp_path, monkeypatch):
    """`grader release` on a machine whose float64 results differ in their
    last bits from the committed ones changes no tracked file; a real change
    is written"""
    monkeypatch.setattr(release, "public_root", lambda assignment: tmp_path)
    committed = public.path("practice").read_text()
    other_machine = _nudged(committed, 1 + 1e-15)
    path = tmp_path / "practice.json"
    path.write_text(other_machine)
    write_public("practice")
    assert path.read_text() == other_machine
    path.write_text(_nudged(committed, 1 + 1e-3))
    write_public("practice")
    assert same_published(path.read_text(), committed)
    assert path.read_text() != _nudged(committed, 1 + 1e-3)


@pytest.fixture
def practice_copy(tmp_path, monkeypatch):
    """The test-only assignment copied into a root of its own (as the tests
    see it, but in tmp_path), released there once"""
    root = tmp_path / "root"
    for part in ("assignments", "solutions"):
        shutil.copytree(assignments.folder("practice").parents[1] / part / "practice",
                        root / part / "practice")
    monkeypatch.setattr(release, "release_root", lambda a: root / "exercises")
    monkeypatch.setattr(release, "public_root", lambda a: root / "public")
    monkeypatch.setattr(release, "source_folder", lambda a: root / "solutions" / a)
    monkeypatch.setattr(release, "nbgrader_config", _config_for(root))
    return root


def _config_for(root):
    from grader.course import nbgrader_config

    def config(course_dir, **kwargs):
        c = nbgrader_config(course_dir, **kwargs)
        c.CourseDirectory.source_directory = str(root / "solutions")
        return c
    return config


def test_text_edited_in_the_source_reaches_the_release_and_is_kept(practice_copy):
    """An exercise's text changed in the source notebook (as in JupyterLab)
    reaches the released notebook through `grader release`, and the release
    never writes the source notebook"""
    source = practice_copy / "solutions" / "practice" / "practice.ipynb"
    nb = nbformat.read(source, as_version=4)
    text = next(c for c in nb.cells if c.id == "local_pool-text")
    text.source += "\n\nA sentence an instructor added this term."
    nbformat.write(nb, source)
    before = source.read_bytes()
    release.release(["practice"])
    released = nbformat.read(practice_copy / "exercises" / "practice" / "practice.ipynb",
                             as_version=4)
    cell = next(c for c in released.cells if c.id == "local_pool-text")
    assert cell.source.endswith("A sentence an instructor added this term.")
    release.release(["practice"])
    assert source.read_bytes() == before


@pytest.mark.parametrize("assignment", RELEASED)
def test_a_release_leaves_the_tree_as_committed(assignment, fresh, tmp_path, monkeypatch):
    """Does `grader release` (and so `make demo`, which releases) leave
    `git status` clean: the released notebooks byte for byte as committed,
    and the published file not rewritten?"""
    for path in sorted(source_folder(assignment).glob("*.ipynb")):
        committed = (release_folder(assignment) / path.name).read_bytes()
        assert (fresh / assignment / path.name).read_bytes() == committed, \
            f"{release_folder(assignment)}/{path.name} differs from a release byte for byte"
    committed = public.path(assignment).read_bytes()
    (tmp_path / f"{assignment}.json").write_bytes(committed)
    monkeypatch.setattr(release, "public_root", lambda a: tmp_path)
    write_public(assignment)
    assert (tmp_path / f"{assignment}.json").read_bytes() == committed
