"""The students who take turns in one sandbox (run by the watchdog, Z)

Each submission gets the next uid of the sandbox's block (when the kernel
lets the watchdog switch to it: `privileges.probe_separation`), the places
it may write to (/scratch, its working folder, and /tmp where the sandbox
has its own pid namespace), and after it a clean-up (`cleanup.clean`) that
kills its processes and removes what it wrote, measured against what the
places held before any student.
"""
import os

from grader.sandbox.inside import cleanup, privileges, student


class Tenants:
    """The students who take turns in this sandbox: a uid each, the places
    they may write to, and the clean-up after each; and the grader's pipe"""

    def __init__(self, grader_out, cleaner=None):
        self.out = grader_out
        self.cleaner = cleaner
        self.scratch = os.environ.get("GRADER_SCRATCH", "/scratch")
        self.work = os.path.join(self.scratch, "work")
        self.pidns = bool(os.environ.get("GRADER_PIDNS"))
        first, count = (int(x) for x in os.environ.get("GRADER_STUDENT_UIDS", "0:0").split(":"))
        self.uids = (first, count)
        self.turn = 0
        self.separate = count > 0 and privileges.probe_separation(first)
        self.places = [self.scratch, "/tmp"] if self.pidns else [self.scratch]

    def next_uid(self):
        if not self.separate:
            return None
        first, count = self.uids
        self.turn = self.turn % count + 1
        return first + self.turn - 1

    def send(self, header, blobs=()):
        student.send(self.out, header, blobs)

    def make_places(self):
        """The working folder student processes run in: the watchdog's, open
        to the one student at a time (their files in it are theirs, and go
        after them); then what the places hold before any student"""
        os.makedirs(self.work, exist_ok=True)
        os.chmod(self.work, 0o777)
        self.places.append(self.work)
        self.baseline = cleanup.snapshot(self.places)

    def clean(self, uid, spare, seconds=cleanup.WIPE_SECONDS):
        """Kill the student's processes and remove their files; the
        problems, empty when clean"""
        if self.cleaner is not None:
            spare = [*spare, self.cleaner.pid]
        return cleanup.clean(uid if self.separate else None, spare, self.baseline,
                             self.pidns, seconds, self.cleaner)
