"""The students' side of a release, for tests: publish, commit, clone"""
import os
import subprocess

from grader import assignments
from grader.course import root_of
from grader.publish import publish


def published_assignments():
    """The assignments `grader publish` ships, in course order: this
    repository's (the test-only one lives in an extra root, tests/fixtures)"""
    return [a for a in assignments.names() if root_of(a) is None]


def git(*args, cwd):
    """Run git with a fixed identity and no user or system configuration; its stdout"""
    env = dict(os.environ, GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1",
               GIT_AUTHOR_NAME="instructor", GIT_AUTHOR_EMAIL="instructor@example.org",
               GIT_COMMITTER_NAME="instructor", GIT_COMMITTER_EMAIL="instructor@example.org")
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True,
                          capture_output=True, text=True).stdout


def published_clone(tmp):
    """Publish this repository into tmp/origin, commit there, and return a fresh
    `git clone` of it in tmp/clone: what a student gets"""
    origin, clone = tmp / "origin", tmp / "clone"
    publish(to=origin, say=lambda line: None)
    git("init", "-q", "-b", "main", cwd=origin)
    git("add", "-A", cwd=origin)
    git("commit", "-q", "-m", "release", cwd=origin)
    git("clone", "-q", str(origin), str(clone), cwd=tmp)
    return clone
