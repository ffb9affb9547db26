"""The course's visible checks: `from grader.checks import check` in the exercise notebooks

Students get only `grader.checks` and its published examples; grading happens elsewhere.
"""
