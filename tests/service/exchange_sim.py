"""What a student's Submit writes into nbgrader's exchange, without a
JupyterLab (nbgrader's ExchangeSubmit, step by step): the tests' way to
submit quickly; the browser test clicks the real button"""
import datetime
import os
import secrets
import stat
import time
from pathlib import Path


def release_assignment(course_dir, assignment):
    """nbgrader's release_assignment into the course's exchange"""
    from grader.course import default_db_url, nbgrader_config
    from grader.gradebook import ensure_assignment, nbgrader_api
    ensure_assignment(course_dir, assignment, default_db_url(course_dir))
    config = nbgrader_config(course_dir)
    result = nbgrader_api(course_dir, config=config).release_assignment(assignment)
    assert result["success"], result.get("log")
    return Path(config.Exchange.root)


def submit(root, course_id, student, assignment, notebooks, owner=None, when=None):
    """Write a submission as nbgrader's Submit does; (folder, secret).
    notebooks: {name: bytes}; owner: (uid, gid) the files belong to"""
    when = when or datetime.datetime.now(datetime.timezone.utc)
    stamp = when.strftime("%Y-%m-%d %H:%M:%S.%f %Z")
    inbound = Path(root) / course_id / "inbound"
    inbound.mkdir(parents=True, exist_ok=True)
    random_str = secrets.token_urlsafe(9)
    folder = inbound / f"{student}+{assignment}+{stamp}+{random_str}"
    folder.mkdir()
    for name, data in notebooks.items():
        (folder / name).write_bytes(data)
    (folder / "timestamp.txt").write_text(stamp)
    secret = secrets.token_hex(64)
    (folder / "submission_secret.txt").write_text(secret)
    if owner is not None:
        for path in [folder, *folder.iterdir()]:
            os.chown(path, *owner)
    os.chmod(folder, 0o777)   # nbgrader's last step: the folder is complete
    return folder, secret


def wait_for(path, timeout=60, step=0.05):
    """Wait until `path` exists; the seconds it took"""
    start = time.monotonic()
    while not Path(path).exists():
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"{path} did not appear in {timeout} s")
        time.sleep(step)
    return time.monotonic() - start
