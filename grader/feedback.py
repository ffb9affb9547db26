"""`grader feedback`: nbgrader's feedback HTML, one page per student"""
from pathlib import Path

from grader.course import default_db_url, nbgrader_config


def feedback(assignment, course_dir=".", db_url=None, student="*"):
    """Write feedback/<student>/<assignment>/*.html; return the pages"""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    course_dir = Path(course_dir).resolve()
    config = nbgrader_config(course_dir, db_url=db_url or default_db_url(course_dir))
    config.GenerateFeedback.preprocessors = [
        "nbgrader.preprocessors.GetGrades",
        "nbgrader.preprocessors.ClearHiddenTests",
        "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    ]
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    api.log.setLevel("ERROR")
    result = api.generate_feedback(assignment, student_id=student, force=True)
    if not result["success"]:
        raise RuntimeError(f"nbgrader could not write feedback:\n{result['log']}")
    return sorted((course_dir / "feedback").glob(f"{student}/{assignment}/*.html"))
