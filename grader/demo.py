"""`grader demo`: the whole instructor flow on the bundled sample class"""
import shutil
import sys
import time
from pathlib import Path

from grader.course import REPO, default_db_url


def demo(course_dir=None, workers=None, out=None):
    """release -> autograde -> feedback -> export -> class report -> grade table"""
    from grader.autograde import autograde
    from grader.export import export
    from grader.feedback import feedback, write_nbgrader_config
    from grader.release import release
    from grader.report import report
    from grader.gradebook import grade_table
    from grader.sample import build, default_assignment
    out = out or sys.stdout
    start = time.monotonic()
    course_dir = Path(course_dir or REPO / "build" / "demo-course").resolve()
    if course_dir.exists():
        shutil.rmtree(course_dir)
    course_dir.mkdir(parents=True)
    say = lambda text: print(text, file=out, flush=True)

    say("1. release: solutions/ -> exercises/")
    for path in release():
        say(f"   {path.relative_to(REPO)}")
    assignment = default_assignment()
    names = build(course_dir, assignment)
    say(f"2. sample class of {assignment}: {len(names)} submissions in {course_dir}/submitted")
    say("3. autograde (each submission in the sandbox, judged outside it)")
    summary = autograde(assignment, course_dir, workers=workers, out=sys.stderr)
    if summary.stopped:
        say(f"   stopped by {summary.stopped}")
        return course_dir
    say(f"   graded {len(summary.graded)} in {summary.seconds:.1f} s, on "
        f"{', '.join(summary.devices)}")
    for student, reason in sorted(summary.failed.items()):
        say(f"   ! {student}: {reason}")
    write_nbgrader_config(course_dir)  # formgrader started here grades the same way
    pages = feedback(assignment, course_dir)
    say(f"4. feedback: {len(pages)} pages in {course_dir / 'feedback'}")
    if pages:
        say(f"   e.g. {pages[0]}")
    csv_path = export(course_dir, to=course_dir / "grades.csv", assignments=[assignment],
                      canvas=course_dir / "canvas.csv")
    say(f"5. export: {csv_path} (and Canvas's format: {course_dir / 'canvas.csv'})")
    report_path = report(course_dir, to=course_dir / "report.html")
    say(f"6. class report: {report_path}")
    say("")
    say(grade_table(default_db_url(course_dir), assignment))
    say("")
    say(f"demo finished in {time.monotonic() - start:.1f} s")
    return course_dir
