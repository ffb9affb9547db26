"""Every test sees the test-only assignment of tests/fixtures beside the
course's own: tests/fixtures is an extra root (grader.course.EXTRA_ROOTS),
laid out as this repository is (assignments/, solutions/, and what
`grader release` writes there, exercises/ and public/). Set before any
grader module is imported, and inherited by every process a test starts."""
import os
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
_ROOTS = [p for p in os.environ.get("GRADER_EXTRA_ROOTS", "").split(os.pathsep) if p]
if str(FIXTURES) not in _ROOTS:
    os.environ["GRADER_EXTRA_ROOTS"] = os.pathsep.join([str(FIXTURES)] + _ROOTS)
