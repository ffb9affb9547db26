"""nbgrader's exchange, as the service sees it: who submitted what, and
where their feedback goes

A student's Submit (nbgrader's ExchangeSubmit) copies the notebooks into
`<root>/<course>/inbound/<student>+<assignment>+<timestamp>+<random>/`, then
writes timestamp.txt and submission_secret.txt, and last makes the folder
writable by all (so that an instructor can remove it): a folder is
complete once both files are there and its mode is 0777. The student id
comes from the folder's name, which any account that can write to the
inbound folder can choose; `who_wrote` checks it against the account that
owns the folder and every file in it. A course serves the assignments
released into its outbound folder (`released`), once they are the ones
this grader released (`version_problems`).
"""
import os
import pwd
import stat
from dataclasses import dataclass
from pathlib import Path

from grader.notebooks import nbgrader_meta


@dataclass(frozen=True)
class Arrival:
    """One submission in the inbound folder"""
    name: str          # the folder's name, unique: the attempt's id
    path: Path
    student: str
    assignment: str
    timestamp: str

    @property
    def notebooks(self):
        return sorted(p for p in self.path.glob("*.ipynb") if p.is_file())


def inbound(root, course_id):
    return Path(root) / course_id / "inbound"


def arrivals(root, course_id):
    """The complete submissions in the inbound folder, oldest first"""
    folder = inbound(root, course_id)
    out = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return out
    for entry in entries:
        parts = entry.name.split("+")
        if len(parts) not in (3, 4) or not entry.is_dir(follow_symlinks=False):
            continue
        path = Path(entry.path)
        try:
            complete = (path / "submission_secret.txt").is_file() and \
                stat.S_IMODE(entry.stat(follow_symlinks=False).st_mode) & 0o002
            timestamp = (path / "timestamp.txt").read_text().strip() if complete else ""
        except OSError:
            continue
        if complete and timestamp:
            out.append(Arrival(entry.name, path, parts[0], parts[1], timestamp))
    return sorted(out, key=lambda a: (a.timestamp, a.name))


def who_wrote(arrival):
    """None when the account named like the student owns the submission's
    folder and everything in it; else why not, in a sentence"""
    try:
        uid = pwd.getpwnam(arrival.student).pw_uid
    except KeyError:
        return f"there is no account named {arrival.student!r} on this machine"
    for path in [arrival.path, *arrival.path.rglob("*")]:
        try:
            st = path.lstat()
        except OSError as exc:
            return f"{path.name} cannot be read ({type(exc).__name__})"
        if stat.S_ISLNK(st.st_mode):
            return f"{path.relative_to(arrival.path.parent)} is a symbolic link"
        if st.st_uid != uid:
            try:
                owner = pwd.getpwuid(st.st_uid).pw_name
            except KeyError:
                owner = f"uid {st.st_uid}"
            return (f"{path.relative_to(arrival.path.parent)} belongs to {owner}, "
                    f"not to {arrival.student}")
    return None


def secret(folder):
    return (Path(folder) / "submission_secret.txt").read_text().strip()


def feedback_path(root, course_id, submission_secret, notebook_id):
    """Where nbgrader's Fetch Feedback looks for a notebook's page"""
    from nbgrader.utils import notebook_hash
    return Path(root) / course_id / "feedback" / \
        f"{notebook_hash(secret=submission_secret, notebook_id=notebook_id)}.html"


def release(page, root, course_id, submission_secret, notebook_id):
    """Put a feedback page where the student's Fetch Feedback finds it
    (what nbgrader's release_feedback does: a copy, then an atomic rename)"""
    dest = feedback_path(root, course_id, submission_secret, notebook_id)
    if not dest.parent.is_dir():  # as nbgrader makes it: nobody can list the pages
        dest.parent.mkdir(parents=True)
        os.chmod(dest.parent, 0o711)
    tmp = dest.with_name(dest.stem + "-tmp.html")
    tmp.write_bytes(Path(page).read_bytes())
    os.chmod(tmp, 0o644)
    os.replace(tmp, dest)
    return dest


def released(root, course_id):
    """The assignments released in the exchange (its outbound folder)"""
    outbound = Path(root) / course_id / "outbound"
    return sorted(p.name for p in outbound.iterdir() if p.is_dir()) if outbound.is_dir() else []


def version_problems(root, course_id, assignment):
    """Where the notebooks released to students differ from this grader's
    release: their graded cells' checksums (nbgrader's), as sentences"""
    import nbformat

    from grader.course import release_folder
    problems = []
    released = Path(root) / course_id / "outbound" / assignment
    for ours in sorted(release_folder(assignment).glob("*.ipynb")):
        theirs = released / ours.name
        if not theirs.exists():
            problems.append(f"{ours.name} is not in the exchange")
            continue
        a, b = (_checksums(nbformat.read(str(p), as_version=4)) for p in (ours, theirs))
        if a != b:
            differ = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            problems.append(f"{ours.name}: {', '.join(differ[:5])} differ")
    return problems


def _checksums(nb):
    out = {}
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("grade") or meta.get("locked"):
            out[meta.get("grade_id", "?")] = meta.get("checksum")
    return out
