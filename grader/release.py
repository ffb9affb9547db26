"""`grader release`: solutions/ -> exercises/, and the published examples

Runs nbgrader's own generate_assignment (solution regions and hidden tests
removed, cells locked, checksums) with the release directory set to this
repository's exercises/, against a throwaway gradebook, then writes the
expected outcomes of the visible checks to grader/checks/public/.
"""
import shutil
import tempfile
from pathlib import Path

from grader.checks import public
from grader.checks.specs import ASSIGNMENTS
from grader.course import EXERCISES, SOLUTIONS, nbgrader_config


def write_public(assignment):
    """grader/checks/public/<assignment>.json from the reference"""
    import torch

    from grader.plan import public_trials
    torch.set_num_threads(1)
    text = public.dumps(public_trials(assignment))
    public.FOLDER.mkdir(exist_ok=True)
    path = public.FOLDER / f"{assignment}.json"
    path.write_text(text)
    public.examples.cache_clear()
    return path


def generate(assignment, release_dir):
    """nbgrader generate_assignment into release_dir/<assignment>"""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    with tempfile.TemporaryDirectory() as tmp:
        config = nbgrader_config(tmp, db_url=f"sqlite:///{tmp}/release.db",
                                 release_dir=release_dir)
        config.NbGrader.logfile = ""
        api = NbGraderAPI(CourseDirectory(config=config), config=config)
        api.log.setLevel("ERROR")
        result = api.generate_assignment(assignment, force=True)
        if not result["success"]:
            raise RuntimeError(f"nbgrader could not release {assignment}:\n{result['log']}")


def release(assignments=None, release_dir=None):
    """Release each assignment that has a source folder; return the paths"""
    release_dir = Path(release_dir or EXERCISES)
    wanted = assignments or [a for a in ASSIGNMENTS if (SOLUTIONS / a).is_dir()]
    written = []
    for assignment in wanted:
        if not (SOLUTIONS / assignment).is_dir():
            raise FileNotFoundError(f"no source folder solutions/{assignment}")
        write_public(assignment)
        target = release_dir / assignment
        if target.exists():
            shutil.rmtree(target)
        generate(assignment, release_dir)
        written.append(target)
    return written
