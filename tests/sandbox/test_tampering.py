"""Tampering: can a submission change what is checked or where it writes?

Test cells are recognised by their grade ids and never run (when grades are
recorded, nbgrader also restores their source from the release); points come
from the grader's specs, not from cell metadata; the only writable places in
the sandbox are its own size-limited /scratch and /tmp, wiped between
students.
"""
import os
import uuid

from grader.checks.specs import functions_of

from .corpus import (ASSIGNMENT, REPO, SOLUTION_CODE, WRONG_POOL2D, full_marks, gains_nothing, grade,
                     markers, needs_isolation, notebook, points)

pytestmark = needs_isolation

CORRECT_LAMBDA = ("local_pool = lambda X, pool_size, mode='max': "
                  "_right(X, pool_size, mode)\n" +
                  SOLUTION_CODE["local_pool"].replace("def local_pool(", "def _right(", 1))


def _edit_test_cells(sources):
    """An `edit` for notebook(): test cells' code replaced, by grade id"""
    def edit(nb):
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in sources:
                cell.source = sources[grade_id]
    return edit


def test_test_cell_code_never_runs(sandbox, baseline, harms_nobody):
    """A test cell edited to define a right local_pool does not rescue a wrong
    one; test cells edited to sabotage (a broken local_pool, os._exit, an endless
    loop) do not hurt a right one"""
    rescue = grade(sandbox, notebook({"local_pool": WRONG_POOL2D}, edit=_edit_test_cells(
        {"local_pool-values": CORRECT_LAMBDA, "local_pool-shape": CORRECT_LAMBDA})))
    reference = baseline({"local_pool": WRONG_POOL2D})
    assert not rescue.verdicts["local_pool-values"].passed
    gains_nothing(rescue, reference, "local_pool")
    sabotage = grade(sandbox, notebook(edit=_edit_test_cells({
        "local_pool-values": "local_pool = lambda *a, **k: None",
        "local_pool-shape": "import os; os._exit(1)",
        "strided_pool-values": "while True: pass"})))
    assert full_marks(sabotage)
    assert sabotage.seconds < 30
    harms_nobody()


def test_deleted_or_blanked_test_cells_change_nothing(sandbox, harms_nobody):
    """Grading does not depend on the test cells being there"""
    def blank_and_delete(nb):
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == "local_pool-values":
                cell.source = ""
        nb.cells = [c for c in nb.cells if not (
            c.metadata.get("nbgrader", {}).get("grade") and
            c.metadata["nbgrader"].get("grade_id") != "local_pool-values")]
    result = grade(sandbox, notebook(edit=blank_and_delete))
    assert full_marks(result)
    harms_nobody()


def test_points_in_metadata_are_ignored(sandbox, baseline, harms_nobody):
    """Inflating `points` in every test cell's metadata (and marking a wrong
    solution cell as a graded one) changes no score"""
    def inflate(nb):
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade"):
                meta["points"] = 1000
    result = grade(sandbox, notebook({"local_pool": WRONG_POOL2D}, edit=inflate))
    reference = baseline({"local_pool": WRONG_POOL2D})
    assert points(result) == points(reference)
    assert {v.max_points for v in result.verdicts.values()} <= {1, 2, 3}
    # the points of the published specs (52 on the course's assignment this
    # test used before it moved to the test-only one)
    total = sum(spec.points for spec in functions_of(ASSIGNMENT))
    assert sum(v.max_points for v in result.verdicts.values()) == total == 28
    harms_nobody()


WRITE_EVERYWHERE = '''
import os, sys, sysconfig
targets = ["{repo}/PWNED-{token}", "{repo}/.venv/PWNED-{token}",
           os.path.join(sysconfig.get_paths()["purelib"], "pwned-{token}.pth"),
           os.path.join(sys.base_prefix, "PWNED-{token}"), "/etc/PWNED-{token}",
           "/usr/PWNED-{token}", "/opt/grader/grader/checks/PWNED-{token}.py",
           "/root/PWNED-{token}", "/home/PWNED-{token}", "/dev/shm/PWNED-{token}",
           "/PWNED-{token}"]
for path in targets:
    try:
        with open(path, "w") as f:
            f.write("pwned")
        print("WROTE", path, flush=True)
    except OSError as exc:
        print("BLOCKED", path, type(exc).__name__, flush=True)
for path in ["/tmp/PWNED-{token}", "/scratch/work/OK-{token}"]:
    with open(path, "w") as f:  # the sandbox's own places: allowed, and private
        f.write("fine")
    print("PRIVATE", path, flush=True)
'''


def test_writes_outside_scratch_fail(sandbox, harms_nobody):
    """Writing into the repository, the venv, the Python prefix, /etc, /usr,
    the staged grader package; and to /tmp, which must not be the host's"""
    token = uuid.uuid4().hex[:12]
    attack = WRITE_EVERYWHERE.replace("{repo}", str(REPO)).replace("{token}", token)
    result = grade(sandbox, notebook(after=[attack]))
    assert not markers(result, "WROTE"), markers(result, "WROTE")
    assert len(markers(result, "BLOCKED")) == 11
    assert len(markers(result, "PRIVATE")) == 2
    for root in ("/tmp", str(REPO), str(REPO / ".venv"), "/etc", "/usr", "/", "/root",
                 "/dev/shm"):
        leaked = [n for n in os.listdir(root) if token in n]
        assert not leaked, f"the sandbox wrote {leaked} into the host's {root}"
    harms_nobody()


LEAVE_BEHIND = '''
import os
os.makedirs("/scratch/work/deep/locked", exist_ok=True)
for path in ["/scratch/work/SECRET-{token}", "/scratch/SECRET-{token}", "/tmp/SECRET-{token}",
             "/scratch/work/deep/locked/SECRET-{token}"]:
    with open(path, "w") as f:
        f.write("SECRET-{token}")
os.chmod("/scratch/work/deep/locked", 0)
os.chmod("/scratch/work/deep", 0o500)
print("LEFT", flush=True)
'''

LOOK_AROUND = '''
import os
for top in ["/scratch", "/tmp"]:
    for root, dirs, files in os.walk(top):
        for name in files + dirs:
            if "SECRET" in name:
                print("FOUND", os.path.join(root, name), flush=True)
'''


def test_scratch_is_wiped_between_students(sandbox, harms_nobody):
    """One student leaves files (some in a locked directory) in /scratch and
    /tmp; the next student looks for them"""
    token = uuid.uuid4().hex[:12]
    first = grade(sandbox, notebook(after=[LEAVE_BEHIND.replace("{token}", token)]))
    assert markers(first, "LEFT")
    second = grade(sandbox, notebook(after=[LOOK_AROUND]))
    assert not markers(second, "FOUND"), markers(second, "FOUND")
    assert full_marks(second)
    harms_nobody()
