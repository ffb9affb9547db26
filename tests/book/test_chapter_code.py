"""Does the chapters' own code hold up when a student copies it?

The functions a chapter defines under the name of a graded function are run
through that function's hidden checks, as a submission would be. (A chapter
run as a student's notebook, and what it writes, is checked by its
assignment's tests/test_chapter.py.)
"""
import pytest

from .pages import chapter_functions, chapters, graded_definitions

# (chapter, function): the chapters' functions that share a graded name
COPYABLE = [(chapter, name) for chapter in chapters()
            for name in graded_definitions(chapter)]


def test_chapters_define_graded_functions():
    """Does some chapter define a function a student can copy?"""
    assert COPYABLE


@pytest.mark.parametrize("chapter, name", COPYABLE)
def test_chapter_function_passes_the_graded_checks(chapter, name, tmp_path):
    """Would the chapter's function, copied into the assignment, earn every
    point of its hidden checks (dtype and device included)?"""
    from grader.checks import CheckFailed
    from grader.instructor import check_all
    fn = getattr(chapter_functions(chapter, tmp_path), name)
    try:
        check_all(name, fn)   # every aspect, public and hidden cases (it prints each)
    except CheckFailed as failure:
        pytest.fail(str(failure))
