"""The instructor's command line: a thin layer over the grader's functions"""
import argparse
import sys
from pathlib import Path


def _course(p):
    p.add_argument("--course", default=".", metavar="DIR",
                   help="nbgrader course root (submitted/, autograded/, feedback/, "
                        "gradebook.db); default: the current directory")
    p.add_argument("--db", default=None, metavar="URL",
                   help="gradebook URL (default sqlite:///DIR/gradebook.db; "
                        "postgresql://... to scale out)")


def parser():
    top = argparse.ArgumentParser(prog="grader", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)

    p = sub.add_parser("new", help="a new assignment (its folder and source notebook) with "
                                   "one example function, or one more function in an "
                                   "assignment (docs/authoring.md)")
    p.add_argument("assignment")
    p.add_argument("--function", default=None, metavar="NAME",
                   help="the function to add (default for a new assignment: "
                        "ASSIGNMENT_example)")
    p.add_argument("--root", default=None, metavar="DIR", help=argparse.SUPPRESS)

    p = sub.add_parser("release", help="solutions/ -> exercises/ (and the published examples)")
    p.add_argument("assignments", nargs="*")

    p = sub.add_parser("publish", help="write the students' repository (chapters, released "
                                       "notebooks, visible checks) to DIR, or update it")
    p.add_argument("--to", required=True, metavar="DIR",
                   help="the students' repository: a new or empty folder, a fresh clone, or "
                        "one published before")

    p = sub.add_parser("autograde", help="grade every submission of an assignment")
    p.add_argument("assignment")
    _course(p)
    p.add_argument("--workers", type=int, default=None,
                   help="parallel graders (default: all cores)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="send the work to a Dask scheduler, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--force", action="store_true", help="grade again what is already graded")
    p.add_argument("--seed", type=int, default=None, help="seed of the hidden cases")
    p.add_argument("--memory-mb", type=int, default=None)
    p.add_argument("--call-seconds", type=float, default=None)
    p.add_argument("--cell-seconds", type=float, default=None)
    p.add_argument("--notebook-seconds", type=float, default=None)
    p.add_argument("--devices", default=None, metavar="LIST",
                   help="devices to check, comma-separated (default: the course's, "
                        "[grading] devices in DIR/grader.toml, else cpu); `--devices cpu` "
                        "opts one run out of the course's GPU: its `devices` checks are "
                        "then worth 0")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--timings", action="store_true",
                   help="say where the time went: start-up, and per submission the "
                        "sandbox, the worker and the recording")

    p = sub.add_parser("feedback", help="feedback pages for every graded student")
    p.add_argument("assignment")
    _course(p)
    p.add_argument("--workers", type=int, default=None,
                   help="processes writing pages (default: all cores, for 40 pages or more)")

    p = sub.add_parser("export", help="grades as CSV with a column per function "
                                      "(and a Canvas gradebook CSV)")
    _course(p)
    p.add_argument("--to", default="grades.csv",
                   help="nbgrader's CSV columns plus one per function (default grades.csv)")
    p.add_argument("--canvas", default=None, metavar="FILE",
                   help="also write a Canvas gradebook import CSV")
    p.add_argument("--canvas-ids", default=None, metavar="NAME=ID,...",
                   help="Canvas assignment ids, e.g. NAME=1234 (columns 'NAME (1234)')")
    p.add_argument("--assignment", action="append", default=None, metavar="NAME",
                   help="only this assignment (repeatable)")

    p = sub.add_parser("report", help="the class report: one self-contained HTML page")
    _course(p)
    p.add_argument("--to", default="report.html")
    p.add_argument("--assignment", action="append", default=None, metavar="NAME",
                   help="only this assignment (repeatable; default: every one with grades)")

    p = sub.add_parser("table", help="print the grade table of an assignment")
    p.add_argument("assignment")
    _course(p)

    p = sub.add_parser("serve", help="grade each submission as nbgrader's exchange receives "
                                     "it, and release its feedback (docs/service.md)")
    _course(p)
    p.add_argument("--exchange", default=None, metavar="ROOT",
                   help="nbgrader's Exchange.root (default: DIR/exchange)")
    p.add_argument("--course-id", default=None, help="nbgrader's course id")
    p.add_argument("--workers", type=int, default=None,
                   help="warm grading workers (default: [service] workers, else all cores)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="grade on a Dask scheduler instead, e.g. tcp://10.0.0.5:8786")

    p = sub.add_parser("demo", help="the instructor flow on the bundled sample class")
    p.add_argument("--course", default=None, metavar="DIR",
                   help="where to build the demo course (default build/demo-course)")
    p.add_argument("--workers", type=int, default=None)
    return top


def _autograde(args):
    """Grade, then say what happened. Exit status: 0 when the run completed
    (submissions with problems included: each is named), 2 when nothing
    could be graded (a bad setting, a device missing here), 3 when workers
    refused submissions, 130 / 143 when Ctrl-C / SIGTERM stopped it."""
    import shlex

    from grader.autograde import autograde
    from grader.worker import Refused
    from grader.course import SettingError
    limits = {k: v for k, v in (("memory_mb", args.memory_mb),
                                ("call_seconds", args.call_seconds),
                                ("cell_seconds", args.cell_seconds),
                                ("notebook_seconds", args.notebook_seconds)) if v is not None}
    devices = None if args.devices is None else \
        [d.strip() for d in args.devices.split(",") if d.strip()]
    try:
        s = autograde(args.assignment, args.course, workers=args.workers, force=args.force,
                      scheduler=args.scheduler, seed=args.seed, limits=limits or None,
                      db_url=args.db, quiet=args.quiet, devices=devices)
    except (Refused, SettingError) as exc:
        print(f"grader autograde: {exc}", file=sys.stderr)
        return 2
    print(f"{args.assignment}: graded {len(s.graded)}, up to date {len(s.skipped)}, "
          f"with problems {len(s.failed)}, in {s.seconds:.1f} s")
    print(f"  devices checked: {', '.join(s.devices)}"
          + (f" (opted out for this run: the course is graded on {', '.join(s.course_devices)})"
             if s.devices != s.course_devices else "")
          + ("; the `devices` checks are worth 0" if s.devices == ["cpu"] else ""))
    for student, reason in sorted(s.failed.items()):
        print(f"  {student}: {reason}")
    if s.unisolated:
        print(f"WARNING: {len(s.unisolated)} submissions ran without bubblewrap "
              f"(rlimits only: no network or file-system isolation)")
    if args.timings:
        import json
        print(json.dumps(s.timings, indent=1))
    if s.refused:
        print(f"REFUSED: workers refused {len(s.refused)} submissions; nothing was recorded "
              f"for them:")
        for student, reason in sorted(s.refused.items()):
            print(f"  {student}: {reason}")
    if s.stopped:
        again = shlex.join(["grader", "autograde", args.assignment, "--course", args.course]
                           + (["--devices", args.devices] if args.devices else []))
        print(f"STOPPED by {s.stopped}: {len(s.graded)} submissions recorded in this run are "
              f"kept; {s.left} not recorded yet. To grade them, run again: {again}")
        return 130 if s.stopped == "SIGINT" else 143
    return 3 if s.refused else 0


def _new(args):
    """Scaffold; say what was written and what to do next"""
    from grader import scaffold
    from grader.course import REPO
    root = Path(args.root).resolve() if args.root else REPO
    folder, _ = scaffold._paths(root, args.assignment)
    try:
        if folder.is_dir():
            if not args.function:
                raise scaffold.ScaffoldError(f"{folder} exists: name a function to add to it "
                                             f"with --function NAME")
            written = scaffold.add_function(args.assignment, args.function, root=root)
        else:
            written = scaffold.new(args.assignment, args.function, root=root)
    except scaffold.ScaffoldError as exc:
        print(f"grader new: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    print(f"next: edit these files (docs/authoring.md), then `grader release {args.assignment}` "
          f"and `make test`")
    return 0


def main(argv=None):
    args = parser().parse_args(argv)
    if args.command == "new":
        return _new(args)
    if args.command == "release":
        from grader.release import release
        for path in release(args.assignments or None):
            print(f"released {path}")
    elif args.command == "publish":
        from grader.publish import PublishError, publish
        try:
            publish(to=args.to)
        except PublishError as exc:
            print(f"grader publish: {exc}", file=sys.stderr)
            return 2
    elif args.command == "autograde":
        return _autograde(args)
    elif args.command == "feedback":
        from grader.feedback import feedback
        pages = feedback(args.assignment, args.course, db_url=args.db, workers=args.workers)
        print(f"wrote {len(pages)} feedback pages under {Path(args.course) / 'feedback'}")
    elif args.command == "export":
        from grader.export import export
        ids = dict(part.split("=", 1) for part in (args.canvas_ids or "").split(",") if "=" in part)
        path = export(args.course, args.to, db_url=args.db, assignments=args.assignment,
                      canvas=args.canvas, canvas_ids=ids)
        print(f"wrote {path}")
        if args.canvas:
            print(f"wrote {args.canvas}")
    elif args.command == "report":
        from grader.report import report
        print(f"wrote {report(args.course, args.to, db_url=args.db, assignments=args.assignment)}")
    elif args.command == "table":
        from grader.course import default_db_url
        from grader.gradebook import grade_table
        print(grade_table(args.db or default_db_url(Path(args.course).resolve()), args.assignment))
    elif args.command == "serve":
        from grader.course import SettingError
        from grader.service.serve import ServiceError, serve
        try:
            return serve(args.course, exchange_root=args.exchange, course_id=args.course_id,
                         workers=args.workers, db_url=args.db, scheduler=args.scheduler)
        except (ServiceError, SettingError) as exc:
            print(f"grader serve: {exc}", file=sys.stderr)
            return 2
    elif args.command == "demo":
        from grader.demo import demo
        demo(args.course, workers=args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
