"""Fixtures of the book tests: one build of the real book per session

The build goes to build/book like `make book`, through the same jupyter-cache,
so a session after `make book` re-executes nothing.
"""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "build" / "book"
ARTIFACTS = ROOT / "build" / "artifacts"


def run_build(*args, timeout=900):
    """Run book/build.py in a fresh interpreter; return the CompletedProcess"""
    return subprocess.run([sys.executable, "-m", "book.build", *args],
                          cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="session")
def built_book():
    """build/book after a successful build; fails with Sphinx's log if not"""
    result = run_build()
    assert result.returncode == 0, (
        f"book build failed ({result.returncode}):\n"
        f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}")
    assert (BOOK / "index.html").is_file()
    return BOOK
