"""The service's course settings, in DIR/grader.toml

    [service]
    identity = "owner"        # who may submit as a student: see below
    poll_seconds = 0.2        # how often the exchange's inbound folder is read
    workers = 2               # warm grading workers (default: all cores)

    [assignments.pooling]
    attempts = 5              # attempts graded before the deadline (0: no limit)
    feedback = "public"       # before the deadline: score, table, public, full
    feedback_after_deadline = "full"
    counts = "latest"         # which graded attempt is the grade: latest or best

identity: "owner" (the default) accepts a submission only when its folder
and every file in it belong to the account named like the student (as under
JupyterHub, where each student has an account); "name" trusts the name the
exchange gives (one account for everyone, as on a single machine): only
for testing, and the service says so at every start.

feedback levels (grader.feedback.DETAIL_LEVELS): "score" the total only;
"table" which checks passed, no reasons; "public" reasons whose
counterexample is a published example (hidden inputs never appear); "full"
everything. Attempts beyond the limit are kept, not graded.
"""
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from grader.course import SETTINGS, SettingError

LEVELS = ("score", "table", "public", "full")
IDENTITIES = ("owner", "name")


@dataclass(frozen=True)
class Policy:
    attempts: int = 5
    feedback: str = "public"
    feedback_after_deadline: str = "full"
    counts: str = "latest"


@dataclass(frozen=True)
class Settings:
    identity: str = "owner"
    poll_seconds: float = 0.2
    workers: int = 0   # 0: all cores
    policies: dict = field(default_factory=dict)

    def policy(self, assignment):
        return self.policies.get(assignment, Policy())


def load(course_dir):
    """The [service] and [assignments.*] settings of DIR/grader.toml
    (defaults where missing); SettingError saying what is wrong"""
    path = Path(course_dir) / SETTINGS
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        doc = {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingError(f"{path} cannot be read: {exc}") from None
    service = _table(doc, "service", path)
    identity = service.get("identity", "owner")
    if identity not in IDENTITIES:
        raise SettingError(f"{path} [service] identity: {identity!r}; use one of "
                           f"{', '.join(IDENTITIES)}")
    poll = _number(service.get("poll_seconds", 0.2), f"{path} [service] poll_seconds", 0.01)
    workers = int(_number(service.get("workers", 0), f"{path} [service] workers", 0))
    policies = {}
    for name, table in _table(doc, "assignments", path).items():
        where = f"{path} [assignments.{name}]"
        if not isinstance(table, dict):
            raise SettingError(f"{where} must be a table")
        unknown = set(table) - set(Policy.__dataclass_fields__)
        if unknown:
            raise SettingError(f"{where}: unknown setting {', '.join(sorted(unknown))}")
        p = Policy(**table)
        if not isinstance(p.attempts, int) or isinstance(p.attempts, bool) or p.attempts < 0:
            raise SettingError(f"{where} attempts must be a whole number, 0 for no limit")
        for key in ("feedback", "feedback_after_deadline"):
            if getattr(p, key) not in LEVELS:
                raise SettingError(f"{where} {key}: {getattr(p, key)!r}; use one of "
                                   f"{', '.join(LEVELS)}")
        if p.counts not in ("latest", "best"):
            raise SettingError(f"{where} counts: {p.counts!r}; use latest or best")
        policies[name] = p
    return Settings(identity, poll, workers, policies)


def _table(doc, key, path):
    value = doc.get(key, {})
    if not isinstance(value, dict):
        raise SettingError(f"{path} [{key}] must be a table")
    return value


def _number(value, where, low):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low:
        raise SettingError(f"{where} must be a number of at least {low}, not {value!r}")
    return value


def before_deadline(db_url, assignment, timestamp):
    """Was a submission made at `timestamp` (nbgrader's text) before the
    assignment's due date in the gradebook? True where there is none; False
    where the time cannot be read (the deadline's rules then)"""
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.utils import parse_utc
    try:
        with Gradebook(db_url) as gb:
            due = gb.find_assignment(assignment).duedate
    except MissingEntry:
        due = None
    if due is None:
        return True
    try:
        return parse_utc(timestamp) <= due
    except Exception:  # noqa: BLE001
        return False
