"""Where things are: this repository and an nbgrader course directory

The source (solutions/) and release (exercises/) notebooks always come from
this repository; a course directory DIR holds nbgrader's standard layout:
submitted/<student>/<assignment>/, autograded/, feedback/ and gradebook.db.
"""
import os
import sys
import tomllib
import warnings
from pathlib import Path

from traitlets.config import Config

# nbgrader 0.9.6 on SQLAlchemy 2.1 warns about its own session handling on
# every autograde; the warning is about nbgrader's internals, not our data
warnings.filterwarnings("ignore", message=r".*not in session, add operation along.*")

# nbgrader shells out to `alembic` to create a gradebook: it must be on PATH
_BIN = str(Path(sys.executable).parent)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO / "solutions"
EXERCISES = REPO / "exercises"
# Folders laid out like this repository's assignments, added by tests only
# (tests/fixtures/): each holds assignments/<a>/ (as grader/assignments/<a>/),
# solutions/<a>/, and what `grader release` writes, exercises/<a>/ and
# public/<a>.json (as grader/checks/public/). grader.checks.public reads the
# same variable.
EXTRA_ROOTS = "GRADER_EXTRA_ROOTS"
COURSE_ID = "d2l-pooling"
# The seed of the hidden cases unless `--seed` says otherwise. Here, not in
# grader.plan, so that the recording process knows it without importing torch.
DEFAULT_SEED = 20261122


def extra_roots():
    """The extra roots the environment names (see EXTRA_ROOTS), in order,
    each once"""
    found = [Path(p).resolve() for p in os.environ.get(EXTRA_ROOTS, "").split(os.pathsep) if p]
    return list(dict.fromkeys(found))


def root_of(assignment):
    """The root an assignment lives in: an extra root whose assignments/ or
    solutions/ holds it, else this repository (None)"""
    for root in extra_roots():
        if (root / "assignments" / assignment).is_dir() or (root / "solutions" / assignment).is_dir():
            return root
    return None


def source_root(assignment=None):
    """The folder holding solutions/<assignment>/ (nbgrader's source directory)"""
    root = root_of(assignment) if assignment else None
    return root / "solutions" if root else SOLUTIONS


def release_root(assignment=None):
    """The folder `grader release` writes <assignment>/ into"""
    root = root_of(assignment) if assignment else None
    return root / "exercises" if root else EXERCISES


def public_root(assignment=None):
    """The folder `grader release` writes <assignment>.json into"""
    root = root_of(assignment) if assignment else None
    return root / "public" if root else REPO / "grader" / "checks" / "public"


def source_folder(assignment):
    return source_root(assignment) / assignment


def release_folder(assignment):
    return release_root(assignment) / assignment


# nbgrader's generate_assignment, with each marker cell of the source notebook
# made into the function's grade cells first (grader/checkcells.py): the same
# for `grader release`, the gradebook's set-up and nbgrader's own tools
GENERATE_ASSIGNMENT = [
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "grader.checkcells.ExpandChecks",
    "nbgrader.preprocessors.InstantiateTests",
    "nbgrader.preprocessors.LockCells",
    "nbgrader.preprocessors.ClearSolutions",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.CheckCellMetadata",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.SaveCells",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.CheckCellMetadata",
]


def nbgrader_config(course_dir, db_url=None, release_dir=None, assignment=None):
    """nbgrader's configuration for a course directory, as a traitlets Config
    (the source directory is the assignment's, where it lives in an extra root)"""
    course_dir = Path(course_dir).resolve()
    c = Config()
    c.CourseDirectory.root = str(course_dir)
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.source_directory = str(source_root(assignment))
    c.GenerateAssignment.preprocessors = list(GENERATE_ASSIGNMENT)
    c.CourseDirectory.release_directory = str(release_dir or course_dir / "release")
    c.CourseDirectory.db_url = db_url or default_db_url(course_dir)
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    c.ClearHiddenTests.enforce_metadata = True
    c.GenerateAssignment.create_assignment = True
    # nbgrader's exchange (release_assignment / collect) lives in the course dir
    c.Exchange.root = str(course_dir / "exchange")
    if course_dir.is_dir():
        (course_dir / "exchange").mkdir(exist_ok=True)
    return c


def default_db_url(course_dir):
    return os.environ.get("GRADER_DB_URL") or f"sqlite:///{Path(course_dir).resolve()}/gradebook.db"


# The devices a course may be graded on; every check runs on the CPU and
# copies the calls of the `devices` aspect to the others
DEVICES = ("cpu", "cuda")
SETTINGS = "grader.toml"


class SettingError(ValueError):
    """A course setting (DIR/grader.toml, --devices) that cannot be used"""


def course_devices(course_dir):
    """The devices the course is graded on: `[grading] devices` in
    DIR/grader.toml, ["cpu"] where the file or the key is missing"""
    path = Path(course_dir) / SETTINGS
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return ["cpu"]
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingError(f"{path} cannot be read: {exc}") from None
    try:
        grading = tomllib.loads(text).get("grading", {})
    except tomllib.TOMLDecodeError as exc:
        raise SettingError(f"{path} is not valid TOML: {exc}") from None
    if not isinstance(grading, dict):
        raise SettingError(f"{path}: [grading] must be a table, e.g. [grading] devices = [\"cpu\"]")
    return check_devices(grading.get("devices", ["cpu"]), f"{path} [grading] devices")


def check_devices(devices, where):
    """devices as a list in DEVICES' order; SettingError saying what is wrong"""
    if not isinstance(devices, (list, tuple)) or not all(isinstance(d, str) for d in devices):
        raise SettingError(f"{where} must be a list of device names such as "
                           f"[\"cpu\", \"cuda\"], not {devices!r}")
    unknown = [d for d in devices if d not in DEVICES]
    if unknown:
        raise SettingError(f"{where}: unknown device {', '.join(map(repr, unknown))} "
                           f"(known: {', '.join(DEVICES)})")
    if "cpu" not in devices:
        raise SettingError(f"{where} must include \"cpu\": every check runs there, and the "
                           f"`devices` aspect copies its calls to the other devices; "
                           f"got {list(devices)}")
    return [d for d in DEVICES if d in devices]


def results_path(course_dir, assignment, student, notebook):
    """Where a graded submission's result is kept until (and after) it is
    recorded: a folder per student, so that any student id comes back whole"""
    return Path(course_dir) / ".grader" / "results" / assignment / student / f"{notebook}.json"


def submissions(course_dir, assignment):
    """[(student, notebook path)] under submitted/, sorted"""
    root = Path(course_dir) / "submitted"
    out = []
    if not root.is_dir():
        return out
    for student_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        folder = student_dir / assignment
        if folder.is_dir():
            for nb in sorted(folder.glob("*.ipynb")):
                out.append((student_dir.name, nb))
    return out


def source_notebooks(assignment):
    return sorted(source_folder(assignment).glob("*.ipynb"))
