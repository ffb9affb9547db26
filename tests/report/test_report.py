"""The class report: distribution, pass rates, reasons, incidents, time"""
import base64
import re

from grader import ledger
from grader.checks import explain
from grader.checks.verdict import Arg, CallSummary, Finding, Kind, Value, Verdict
from grader.report import analysis, reason_line, report
from grader.result import CellStatus, GradeResult, Output

from .conftest import A, FUNCTION, FUNCTIONS, HANGS, LOST, SPECS, STUDENTS, counted, fails, loses


def test_report_is_one_self_contained_page(report_page):
    page = report_page.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r'<(?:img|script|link)[^>]+(?:src|href)="(?!data:)', page)


def test_histogram_is_an_embedded_png(report_page):
    page = report_page.read_text(encoding="utf-8")
    m = re.search(rf'<img[^>]*id="hist-{A}"[^>]*src="data:image/png;base64,([^"]+)"', page)
    assert m, "no score histogram"
    assert base64.b64decode(m.group(1)).startswith(b"\x89PNG")


def test_a_row_per_function_with_pass_rates(report_page):
    page = report_page.read_text(encoding="utf-8")
    rows = re.findall(r'<tr class="rp-fn" data-function="(\w+)">(.*?)</tr>', page, re.S)
    assert [f for f, _ in rows] == FUNCTIONS
    row = dict(rows)[FUNCTION]
    # 4 students: alan fails the aspects he loses, niklaus everything
    assert FUNCTION != HANGS and "dtype" in LOST and set(LOST) < set(counted(SPECS[FUNCTION]))
    for aspect in SPECS[FUNCTION].aspects:
        if aspect == "devices":
            assert f'title="{FUNCTION}-devices: not checked, worth 0 in this course"' in row
            continue
        passed = sum(not fails(s, FUNCTION, aspect) for s in STUDENTS)
        assert f'title="{passed} of 4 passed {FUNCTION}-{aspect}"' in row, aspect


def test_failure_reasons_are_counted(report_page):
    page = report_page.read_text(encoding="utf-8")
    section = page.split("Most common failure reasons", 1)[1].split("<h3>", 1)[0]
    reasons = re.findall(r'<tr class="rp-reason"><td[^>]*>(.*?)</td><td[^>]*>(\d+)</td>'
                         r'<td[^>]*>(\d+)</td>', section, re.S)
    text = {r[0].split("<div")[0]: (int(r[1]), int(r[2])) for r in reasons}
    assert "dtype" in LOST   # alan's float32 result, one check
    assert text["the result is float32, expected float64 (the input&#x27;s dtype)"] == (1, 1)
    unreadable = next(k for k in text if k.startswith("Your notebook could not be read"))
    assert loses("niklaus") == "all"   # every check but the `devices` ones, not checked here
    assert text[unreadable] == (1, sum(len(counted(s)) for s in SPECS.values()))
    assert any("did not finish" in k for k in text)


def test_incidents_and_grading_time(report_page):
    page = report_page.read_text(encoding="utf-8")
    section = page.split("crashed, timed out or hit a limit", 1)[1].split("<h3>", 1)[0]
    assert re.search(r"guido</td><td><span[^>]*>timed out</span></td><td[^>]*>function "
                     rf"{HANGS}<", section)
    assert re.search(r"niklaus</td><td><span[^>]*>unreadable file", section)
    assert not re.search(r">(ada|alan)</td>", section)
    time = page.split("<h3>Grading time</h3>", 1)[1]
    assert re.search(r"4 submissions took [\d.]+ s of grading", time)
    assert 'alt="grading time per submission"' in time


def test_written_answers_waiting_for_a_grader(report_page):
    page = report_page.read_text(encoding="utf-8")
    assert "Still to grade in formgrader: ada." in page


def _failed(function, aspect, reason, call=None, kind=Kind.WRONG):
    return Verdict(f"{function}-{aspect}", False, 0, 1, kind, reason, call=call, failed=1,
                   checked=2)


# calls of the test-only assignment's functions (tests/practice.py)
X33 = CallSummary("local_pool", (Arg("X", Value("float64", (3, 3))),
                                 Arg("pool_size", Value(text="(2, 2)"))))


def test_reasons_are_grouped_by_what_went_wrong():
    dtype = _failed("local_pool", "dtype", Finding("dtype", {"got": "float32",
                                                             "expected": "float64"}), X33)
    assert reason_line(dtype) == "the result is float32, expected float64 (the input's dtype)"
    a = Finding("shape", {"got": [2, 1, 4], "expected": [2, 1, 3]})
    b = Finding("shape", {"got": [5, 2], "expected": [5, 3]})
    assert analysis.reason_key(a) == analysis.reason_key(b)
    assert analysis.reason_key(Finding("missing", {"function": "strided_pool", "signature": "s"})) \
        == analysis.reason_key(Finding("missing", {"function": "local_pool", "signature": "t"}))
    assert analysis.reason_key(a) != analysis.reason_key(dtype.reason)
    returned = Finding("returned", {"value": Value("float32", (2, 2), "[0.0, 0.0]\n[0.0, 0.0]")})
    multi = _failed("local_pool", "errors", Finding("should raise", {"expected": "ValueError",
                                                                     "outcome": returned}), X33)
    assert reason_line(multi) == ("it should raise ValueError, but it returned a value: "
                                  "float32 tensor of shape (2, 2) …")
    unread = Verdict("local_pool-values", False, 0, 3, Kind.NOT_RUN,
                     Finding("unreadable", {"detail": "the notebook has no list of cells"}))
    assert reason_line(unread) == "Your notebook could not be read: the notebook has no list " \
        "of cells"


def test_incidents_from_cached_results():
    """Cell timeouts, function hangs, crashes, limits and output floods are
    all found in the kept results"""
    call = CallSummary("f", (Arg("X", Value("float64", (1,))),))
    result = GradeResult(
        {"f-values": _failed("f", "values", Finding("died", {"note": "the process died "
                                                                    "(killed)"}), call, Kind.DIED),
         "g-values": _failed("g", "values", Finding("raised", {"type": "MemoryError",
                                                               "message": "", "where": ""}), call),
         "h-values": _failed("h", "values", Finding("no answer", {"note": ""}), None,
                             Kind.TIMED_OUT)},
        cells={"3": CellStatus("timeout", "no end after 10.0 s"),
               "4": CellStatus("error", "NameError: x")},
        output=Output("x" * 10, 10 ** 7))
    kinds = {(k, where) for _, k, where, _ in analysis.incidents({"s": [(A, result)]})}
    assert ("timeout", "cell 3") in kinds and ("error", "cell 4") in kinds
    assert ("crash", "function f") in kinds and ("limit", "function g") in kinds
    assert ("timeout", "function h") in kinds and ("limit", A) in kinds


def _reworded(monkeypatch):
    """Every sentence explain.py makes, said another way"""
    for table in (explain.REASONS, explain.PROBLEMS):
        for code, say in list(table.items()):
            monkeypatch.setitem(table, code, lambda p, say=say, code=code:
                                f"[{code}] " + say(p).upper().replace("THE", "A GIVEN"))
    for aspect, should in list(explain.SHOULD.items()):
        monkeypatch.setitem(explain.SHOULD, aspect, "be reworded: " + should)


def _analysis(course):
    results, _ = ledger.cached_results(course, A)
    groups = [(g["key"], g["count"], sorted(g["students"]), dict(g["checks"]))
              for g in analysis.failure_reasons(results)]
    found = [(s, k, w) for s, k, w, _ in analysis.incidents(results)]
    return groups, found, [reason_line(v) for g in analysis.failure_reasons(results)
                           for _, v in g["verdicts"]]


def test_rewording_every_message_leaves_the_analysis_unchanged(course, monkeypatch, tmp_path):
    """The report groups failures and finds incidents from the verdicts'
    fields: with every sentence reworded, the same groups, counts, students,
    checks and incidents; only the words on the page change"""
    groups, found, lines = _analysis(course)
    assert groups and found
    page = report(course, to=tmp_path / "before.html").read_text()
    _reworded(monkeypatch)
    groups2, found2, lines2 = _analysis(course)
    assert (groups2, found2) == (groups, found)
    assert set(lines2).isdisjoint(lines)   # every reason is said another way
    reworded = report(course, to=tmp_path / "after.html").read_text()
    counts = lambda text: re.findall(r'<td class="rp-num"[^>]*>(\d+)</td><td class="rp-num">'
                                     r'(\d+)</td>', text)
    assert sorted(counts(reworded)) == sorted(counts(page))
    assert "[dtype] A GIVEN RESULT IS FLOAT32" in reworded
