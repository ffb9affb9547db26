"""The gradebook on a real PostgreSQL server (`--db postgresql+psycopg://...`)"""
import shutil

from grader.autograde import autograde
from grader.cli import main as cli

from ._helpers import ASSIGNMENT, gradebook_grades, sql_check

SOME = ("ada", "claude", "niklaus")


def test_grades_land_in_postgresql(course, sequential, postgres, capsys):
    """Graded into PostgreSQL, through the command line: are the grades the
    same as in SQLite, complete, one submission per student, and does a
    second run skip them while a forced one regrades in place?"""
    for folder in (course / "submitted").iterdir():
        if folder.name not in SOME:
            shutil.rmtree(folder)
    assert cli(["autograde", ASSIGNMENT, "--course", str(course), "--db", postgres,
                "--workers", "2", "--quiet"]) == 0
    assert "graded 3" in capsys.readouterr().out
    want = {s: sequential["grades"][s] for s in SOME}
    assert gradebook_grades(postgres) == want
    assert sorted(sql_check(postgres)) == sorted(SOME)
    # the SQLite gradebook of the same course was not touched
    assert not gradebook_grades(f"sqlite:///{course}/gradebook.db")

    again = autograde(ASSIGNMENT, course, db_url=postgres, workers=1, quiet=True)
    assert again.graded == [] and sorted(again.skipped) == sorted(SOME)
    forced = autograde(ASSIGNMENT, course, db_url=postgres, workers=1, quiet=True,
                       force=True)
    assert sorted(forced.graded) == sorted(SOME)
    assert gradebook_grades(postgres) == want
    assert sorted(sql_check(postgres)) == sorted(SOME)
