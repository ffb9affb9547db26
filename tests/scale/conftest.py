"""Fixtures for the scale tests: a small class with its gradebook ready, the
grades of a sequential run to compare everything with, and a real PostgreSQL
server on loopback"""
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from grader.autograde import autograde
from grader.course import default_db_url
from grader.gradebook import ensure_assignment
from grader.sample import build

from ._helpers import ASSIGNMENT, STUDENTS, gradebook_grades, saved_results


def pytest_collection_modifyitems(items):
    """nbgrader 0.9.6 on SQLAlchemy 2.1 warns about its own session handling
    (grader/course.py silences it outside pytest, which resets filters)"""
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).parent == here:
            item.add_marker(pytest.mark.filterwarnings(
                "ignore:.*not in session, add operation along"))


@pytest.fixture(scope="session")
def template(tmp_path_factory):
    """A course with a few sample students (right and wrong answers, one
    unreadable file) and the assignment already in its SQLite gradebook;
    tests work on copies of it"""
    staging = tmp_path_factory.mktemp("sample")
    build(staging, ASSIGNMENT)
    course = tmp_path_factory.mktemp("template")
    for student in STUDENTS:
        shutil.copytree(staging / "submitted" / student, course / "submitted" / student)
    ensure_assignment(course, ASSIGNMENT, default_db_url(course))
    return course


@pytest.fixture
def course(template, tmp_path):
    """A fresh copy of the template"""
    dest = tmp_path / "course"
    shutil.copytree(template, dest)
    return dest


@pytest.fixture(scope="session")
def sequential(template, tmp_path_factory):
    """Grades and results of a sequential run (workers=1): the reference"""
    dest = tmp_path_factory.mktemp("sequential") / "course"
    shutil.copytree(template, dest)
    summary = autograde(ASSIGNMENT, dest, workers=1, quiet=True)
    assert sorted(summary.graded) == sorted(STUDENTS)
    return {"course": dest, "summary": summary,
            "grades": gradebook_grades(default_db_url(dest)),
            "results": saved_results(dest)}


# --- PostgreSQL ---------------------------------------------------------------------

def _pg_bin():
    for version in ("17", "16", "15", "14", "13"):
        path = Path(f"/usr/lib/postgresql/{version}/bin")
        if (path / "initdb").exists() and (path / "pg_ctl").exists():
            return path
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_user(user):
    """A command prefix that runs as `user` (initdb refuses root)"""
    if os.geteuid() != 0:
        return []
    for tool in (["runuser", "-u", user, "--"], ["setpriv", f"--reuid={user}",
                                                  f"--regid={user}", "--init-groups"]):
        if shutil.which(tool[0]):
            return tool
    return None


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server of its own on 127.0.0.1 (initdb + pg_ctl in a temp
    dir, run as the `postgres` user when we are root); its URL"""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg (version 3) is not installed")
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) on this machine")
    user = "postgres"
    prefix = _as_user(user)
    if prefix is None:
        pytest.skip("running as root without runuser or setpriv to drop to another user")
    if os.geteuid() == 0:
        try:
            import pwd
            pw = pwd.getpwnam(user)
        except KeyError:
            pytest.skip("running as root and there is no `postgres` user for initdb")
    # in /tmp itself, which the postgres user can reach (pytest's tmp is 0700)
    root = Path(tempfile.mkdtemp(prefix="grader-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        os.chmod(root, 0o755)
        os.chown(sockets, pw.pw_uid, pw.pw_gid)
        data.mkdir(mode=0o700)
        os.chown(data, pw.pw_uid, pw.pw_gid)
    port = _free_port()
    r = subprocess.run(prefix + [str(bindir / "initdb"), "-D", str(data), "-U", "grader",
                                 "-A", "trust", "--no-sync", "-E", "UTF8"],
                       capture_output=True, text=True)
    if r.returncode:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"initdb failed here: {r.stderr.strip()[-500:]}")
    log = root / "server.log"
    if os.geteuid() == 0:
        log.touch()
        os.chown(log, pw.pw_uid, pw.pw_gid)
    r = subprocess.run(prefix + [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w",
                                 "-t", "60", "-o",
                                 f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 "
                                 f"-c fsync=off -c full_page_writes=off", "start"],
                       capture_output=True, text=True)
    if r.returncode:
        text = log.read_text()[-500:] if log.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"the PostgreSQL server did not start: {r.stderr.strip()[-300:]} {text}")
    url = f"postgresql+psycopg://grader@127.0.0.1:{port}/postgres"
    try:
        import psycopg
        for _ in range(50):
            try:
                psycopg.connect(f"postgresql://grader@127.0.0.1:{port}/postgres").close()
                break
            except psycopg.OperationalError:
                time.sleep(0.2)
        yield url
    finally:
        subprocess.run(prefix + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                                 "-w", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
