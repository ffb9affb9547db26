"""The student's feedback page: a summary, counterexamples, nothing hidden"""
import html
import re

from grader.checks.specs import functions_of

FUNCTIONS = [s.name for s in functions_of("pooling")]


def summary_rows(page):
    """{function: row html} of the summary table"""
    table = page.split('<table class="fb-table">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr class=\"fb-row-\w+\">(.*?)</tr>", table, re.S)
    return {re.search(r"<code>(\w+)</code>", r).group(1): r for r in rows}


def test_one_page_per_student_where_nbgrader_puts_them(course, pages):
    assert sorted(pages) == ["ada", "alan", "guido", "niklaus"]
    for student in pages:
        assert (course / "feedback" / student / "pooling" / "pooling.html").is_file()


def test_summary_table_has_every_function_and_its_points(pages):
    """A row per function with ✔/✘ and points per aspect, and the total"""
    for student, page in pages.items():
        assert 'id="summary"' in page, student
        rows = summary_rows(page)
        assert list(rows) == FUNCTIONS, student
    alan = summary_rows(pages["alan"])["pool2d"]
    assert re.search(r'class="fb-fail"[^>]*>.*?#pool2d-dtype.*?\u2718.*?0/1', alan, re.S)
    assert re.search(r'class="fb-pass"[^>]*>.*?#pool2d-values.*?\u2714.*?3/3', alan, re.S)
    assert "6 / 8" in alan     # pool2d-devices: not checked, worth 0 on a cpu-only course
    assert "53</span> / 61" in pages["alan"]


def test_failing_checks_explain_the_counterexample(pages):
    """Each failing aspect says what was called, what was expected and what
    came back, in words (and only the smallest case, not the hidden inputs)"""
    page = html.unescape(pages["alan"])
    fix = page.split("<h2>What to fix</h2>", 1)[1].split("</section>", 1)[0]
    assert "pool2d should keep the input's dtype, but for the call" in fix
    assert "the result is float32, expected float64" in fix
    assert "it should raise ValueError, but it returned a value" in fix
    assert "this is the smallest" in fix
    guido = html.unescape(pages["guido"])
    assert "did not finish" in guido
    niklaus = html.unescape(pages["niklaus"])
    assert "could not be read" in niklaus


def test_written_answers_listed_with_their_state(pages):
    ada = pages["ada"]
    answers = ada.split("<h2>Written answers</h2>", 1)[1].split("</table>", 1)[0]
    for q in ("max_vs_avg-answer", "min_pool-answer", "softmax_pool-answer"):
        assert q in answers
    assert answers.count("not graded yet") == 3
    assert "No response." in pages["alan"]  # nbgrader's comment on an empty answer


def test_nothing_hidden_reaches_the_page(pages):
    """No hidden test code, no hidden=True, no rubric or model answer, no
    ANSI escapes, no red tracebacks"""
    for student, page in pages.items():
        for secret in ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "hidden=True",
                       "Rubric, for graders", "Model answer", "BEGIN SOLUTION"):
            assert secret not in page, (student, secret)
        assert "\x1b[" not in page and "[0;31m" not in page, student
        assert "Traceback (most recent call last)" not in page, student
