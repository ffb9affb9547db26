"""The class report: distribution, pass rates, reasons, incidents, time"""
import base64
import re

from grader.checks.specs import functions_of
from grader.report import incidents, reason_key, reason_of

FUNCTIONS = [s.name for s in functions_of("pooling")]


def test_report_is_one_self_contained_page(report_page):
    page = report_page.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r'<(?:img|script|link)[^>]+(?:src|href)="(?!data:)', page)


def test_histogram_is_an_embedded_png(report_page):
    page = report_page.read_text(encoding="utf-8")
    m = re.search(r'<img[^>]*id="hist-pooling"[^>]*src="data:image/png;base64,([^"]+)"', page)
    assert m, "no score histogram"
    assert base64.b64decode(m.group(1)).startswith(b"\x89PNG")


def test_a_row_per_function_with_pass_rates(report_page):
    page = report_page.read_text(encoding="utf-8")
    rows = re.findall(r'<tr class="rp-fn" data-function="(\w+)">(.*?)</tr>', page, re.S)
    assert [f for f, _ in rows] == FUNCTIONS
    pool2d = dict(rows)["pool2d"]
    # 4 students: alan fails dtype and errors, niklaus everything
    assert 'title="2 of 4 passed pool2d-dtype"' in pool2d
    assert 'title="3 of 4 passed pool2d-values"' in pool2d


def test_failure_reasons_are_counted(report_page):
    page = report_page.read_text(encoding="utf-8")
    section = page.split("Most common failure reasons", 1)[1].split("<h3>", 1)[0]
    reasons = re.findall(r'<tr class="rp-reason"><td[^>]*>(.*?)</td><td[^>]*>(\d+)</td>'
                         r'<td[^>]*>(\d+)</td>', section, re.S)
    text = {r[0].split("<div")[0]: (int(r[1]), int(r[2])) for r in reasons}
    assert text["the result is float32, expected float64 (the input&#x27;s dtype)"] == (1, 1)
    unreadable = next(k for k in text if k.startswith("Your notebook could not be read"))
    assert text[unreadable] == (1, 42)   # the 7 `devices` checks are not checked here
    assert any("did not finish" in k for k in text)


def test_incidents_and_grading_time(report_page):
    page = report_page.read_text(encoding="utf-8")
    section = page.split("crashed, timed out or hit a limit", 1)[1].split("<h3>", 1)[0]
    assert re.search(r"guido</td><td><span[^>]*>timed out</span></td><td[^>]*>function "
                     r"softmax_pool2d", section)
    assert re.search(r"niklaus</td><td><span[^>]*>unreadable file", section)
    assert not re.search(r">(ada|alan)</td>", section)
    time = page.split("<h3>Grading time</h3>", 1)[1]
    assert re.search(r"4 submissions took [\d.]+ s of grading", time)
    assert 'alt="grading time per submission"' in time


def test_written_answers_waiting_for_a_grader(report_page):
    page = report_page.read_text(encoding="utf-8")
    assert "Still to grade in formgrader: ada." in page


def test_reasons_are_grouped_by_what_went_wrong():
    message = ("pool2d should keep the input's dtype, but for the call\n"
               "    pool2d(X, (2, 2))\n      X = float64 tensor of shape (3, 3) on cpu\n"
               "the result is float32, expected float64 (the input's dtype).\n"
               "(22 of 44 calls failed this way; this is the smallest.)")
    assert reason_of(message) == "the result is float32, expected float64 (the input's dtype)"
    a = "the result has shape (2, 1, 4), expected (2, 1, 3)"
    b = "the result has shape (5, 2), expected (5, 3)"
    assert reason_key(a) == reason_key(b)
    assert reason_key("`min_pool2d` is not defined") == reason_key("`pool2d` is not defined")
    assert reason_key(a) != reason_key("the result is float32, expected float64")
    multi = ("pool2d should raise the error the contract asks for, but for the call\n"
             "    pool2d(X, (2, 2), 'min')\n"
             "it should raise ValueError, but it returned a value: float32 tensor of shape (2, 2)\n"
             "    [0.0, 0.0]\n    [0.0, 0.0].\n(6 of 6 calls failed this way)")
    assert reason_of(multi) == ("it should raise ValueError, but it returned a value: "
                                "float32 tensor of shape (2, 2) …")


def test_incidents_from_cached_results():
    """Cell timeouts, function hangs, crashes, limits and output floods are
    all found in the cached results"""
    verdict = lambda msg: {"passed": False, "message": msg}
    results = {"s": [{"notebook": "pooling", "problems": [],
                      "cells": {"3": {"status": "timeout", "error": "no end after 10.0 s"},
                                "4": {"status": "error", "error": "NameError: x"}},
                      "verdicts": {"f-values": verdict("f should ..., but for the call\n"
                                                       "    f(X)\nthe process died: the process "
                                                       "died (killed)."),
                                   "g-values": verdict("g should ..., but for the call\n"
                                                       "    g(X)\nit raised MemoryError: ."),
                                   "h-values": verdict("no answer: the call did not finish")},
                      "output": {"text": "x" * 10, "total_bytes": 10 ** 7}}]}
    kinds = {(k, where) for _, k, where, _ in incidents(results)}
    assert ("timeout", "cell 3") in kinds and ("error", "cell 4") in kinds
    assert ("crash", "function f") in kinds and ("limit", "function g") in kinds
    assert ("timeout", "function h") in kinds and ("limit", "pooling") in kinds
