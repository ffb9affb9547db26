"""Hand grading round trip: a score and a comment set through nbgrader's
API (what formgrader does) reach both CSVs and the student's feedback"""
import csv
import shutil

import pytest
from nbgrader.api import Gradebook

from grader.course import default_db_url
from grader.export import export
from grader.feedback import feedback
from grader.sample import default_assignment

A = default_assignment()  # the assignment with the sample class


@pytest.fixture(scope="module")
def graded_by_hand(course, tmp_path_factory):
    """A copy of the course where a grader gave ada 1.5/2 and a comment on
    Question 1, and 2/2 on Question 2 (overriding nothing else)"""
    copy = tmp_path_factory.mktemp("hand") / "course"
    shutil.copytree(course, copy)
    with Gradebook(default_db_url(copy)) as gb:
        before = gb.find_submission(A, "ada").score
        grade = gb.find_grade("max_vs_avg-answer", A, A, "ada")
        grade.manual_score = 1.5
        comment = gb.find_comment("max_vs_avg-answer", A, A, "ada")
        comment.manual_comment = ("Good contrast of what each passes on.\n\n"
                                  "Say where the *gradient* goes for the second point.")
        grade = gb.find_grade("min_pool-answer", A, A, "ada")
        grade.manual_score = 2.0
        grade.needs_manual_grade = False  # as formgrader's API does
        gb.db.commit()
    export(copy, to=copy / "grades.csv", canvas=copy / "canvas.csv")
    pages = feedback(A, copy, student="ada")
    return copy, before, pages[0].read_text(encoding="utf-8")


def test_manual_grade_reaches_grades_csv(graded_by_hand):
    """Are the hand grades in the answer columns and in the score?"""
    copy, before, _ = graded_by_hand
    rows = {r["student_id"]: r for r in csv.DictReader(open(copy / "grades.csv"))}
    ada = rows["ada"]
    assert float(ada["max_vs_avg-answer"]) == 1.5
    assert float(ada["min_pool-answer"]) == 2.0
    assert float(ada["score"]) == pytest.approx(before + 3.5)
    assert ada["needs_manual_grade"] == "True"  # softmax_pool-answer is still open


def test_manual_grade_reaches_canvas_csv(graded_by_hand):
    copy, before, _ = graded_by_hand
    rows = list(csv.reader(open(copy / "canvas.csv")))
    ada = next(r for r in rows[2:] if r[3] == "ada")
    assert float(ada[5]) == pytest.approx(before + 3.5)


def test_manual_grade_and_comment_reach_feedback(graded_by_hand):
    """Does the regenerated page show the points and the comment (rendered),
    and say which answer is not graded yet?"""
    _, _, page = graded_by_hand
    assert "Good contrast of what each passes on." in page
    assert "<em>gradient</em>" in page
    assert "1.5 / 2" in page
    assert "not graded yet" in page  # Question 3
    assert "Rubric, for graders" not in page and "Model answer" not in page
