"""Checks: written once, used by the notebook, by pytest and by the grader

This package is what students and the sandbox see of the grader: the
function specs, the rules that judge an outcome, and the published examples.
It never imports the references or the hidden cases.
"""
from grader.checks.notebook import CheckFailed, check

__all__ = ["check", "CheckFailed"]
