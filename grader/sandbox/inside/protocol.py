"""The watchdog's side of one job: a function's calls, one sealed outcome each

For each call k the watchdog sends a fresh 32-byte secret on the command
pipe (a window of WINDOW calls ahead, so that C never waits for the
watchdog to be scheduled); the function process (C) reads call k's only
after the student's function has returned and everything is measured,
and sends the outcome frame followed by a `seal` frame: HMAC-SHA256 of
the outcome frame's bytes under that secret. The watchdog accepts exactly this, in
this order: outcome k, its seal, then (after the last call) `job_exit`
from S with C's exit status. Anything else voids the job: every outcome
of the function is thrown away, not only the ones after the breach:

- an outcome without a good seal (forged by student code that has no
  secret), a second outcome or seal, one for another job or call;
- `tampered` (C found that the secret it read was not its call's: student
  code took it first and sealed something of its own with it);
- the process dying after its last outcome, or ending without one.

A hang or a crash before the last outcome keeps the outcomes already
sealed (the calls that finished are genuine) and stops the others.
"""
import hmac
import os
import struct
import time

from grader.checks import wire

WINDOW = 64   # secrets in the pipe ahead of the call that runs
# a secret on the command pipe: job, call, 32 random bytes (one atomic write
# and one read of a fixed size, which C does at every call)
SECRET = struct.Struct("<ii32s")


class Stop(Exception):
    """S or C broke the protocol, hung or died (kind: timeout, crash,
    garbled; cleanup when the sandbox itself could not be cleaned)"""

    def __init__(self, kind, note):
        super().__init__(note)
        self.kind, self.note, self.cell = kind, note, None


class JobProtocol:
    """`follow()` one job of a submission's Run (watchdog.py)"""

    def __init__(self, run, job):
        self.run, self.job = run, job
        self.j, self.total = job["index"], len(job["calls"])
        self.secrets = {}   # call -> its secret, for the calls whose secret is out

    def follow(self):  # noqa: C901  (one state machine, read top to bottom)
        run, lim, j = self.run, self.run.limits, self.j
        direct = run.direct
        current, answered, pending = 0, self.total == 0, None
        run.taken = 0  # the result budget is per function
        now = time.monotonic()
        deadline_job = min(run.end_all, now + lim["function_seconds"])
        deadline = min(deadline_job, now + lim["call_seconds"])
        try:
            if not direct:
                run.write(wire.pack({"job": j}), deadline)
            self._secrets(0, deadline)
        except Stop as stop:
            self._stopped(None, "crash", stop.note or "the process stopped")
            return "crash"
        while True:
            try:
                head, blobs, raw = run.next_event(deadline)
            except Stop as stop:
                kind = stop.kind
                if answered and kind != "timeout":
                    return self._void("the process died after its last outcome")
                if kind == "timeout":
                    self._stopped(None if answered else current, "timeout",
                                  self._timeout_note(deadline, deadline_job))
                    return "timeout"
                self._stopped(current, "crash", stop.note)
                return "crash"
            ev = head.get("ev")
            if ev == "outcome" and pending is None and not answered \
                    and head.get("job") == j and head.get("call") == current:
                pending = (head, blobs, raw)
            elif ev == "seal" and pending is not None and head.get("job") == j \
                    and head.get("call") == current and self._sealed(head, pending[2]):
                out, out_blobs, _ = pending
                run.tenants.send({"ev": "outcome", "job": j, "call": current,
                              "outcome": out.get("outcome"), "after": out.get("after")},
                             out_blobs)
                pending = None
                self.secrets.pop(current, None)
                if current + 1 < self.total:
                    current += 1
                    deadline = min(deadline_job, time.monotonic() + lim["call_seconds"])
                    try:
                        self._secrets(current, deadline)
                    except Stop:
                        self._stopped(current, "crash", "the process stopped listening")
                        return "crash"
                else:
                    answered = True
                    if direct:
                        return "ok"
            elif ev == "job_exit" and not direct and pending is None and head.get("job") == j:
                status = head.get("status")
                status = status if isinstance(status, str) else "sent a bad status"
                if status != "ok":
                    if answered:
                        return self._void(f"the process {status[:100]} after its last outcome")
                    self._stopped(current, "crash", f"the process {status[:100]}")
                    return "crash"
                if not answered:
                    return self._void("the process ended before its last outcome")
                return "ok"
            elif ev == "tampered":
                return self._void("the secret of a call was taken by the student's code")
            else:
                return self._void("it sent an outcome that the grader's measuring code did "
                                  "not seal, or sent it out of order")

    def _secrets(self, current, deadline):
        """Send the secrets of the calls from `current` up to the window"""
        frames = []
        for k in range(current, min(self.total, current + WINDOW)):
            if k not in self.secrets:
                self.secrets[k] = os.urandom(32)
                frames.append(SECRET.pack(self.j, k, self.secrets[k]))
        if frames:
            self.run.write(b"".join(frames), deadline)

    def _sealed(self, head, raw):
        mac, secret = head.get("mac"), self.secrets.get(head.get("call"))
        if not isinstance(mac, str) or secret is None:
            return False
        return hmac.compare_digest(mac, hmac.new(secret, raw, "sha256").hexdigest())

    def _void(self, reason):
        self.run.tenants.send({"ev": "void", "job": self.j, "reason": reason})
        return "void"

    def _stopped(self, call, kind, note):
        self.run.tenants.send({"ev": "stopped", "job": self.j, "call": call, "kind": kind,
                           "note": note})

    def _timeout_note(self, deadline, deadline_job):
        lim = self.run.limits
        if time.monotonic() >= self.run.end_all - 0.01:
            return f"the notebook's time ({lim['notebook_seconds']} s) ran out"
        which = "function" if deadline >= deadline_job else "call"
        return f"the {which} did not finish within {lim[which + '_seconds']} s"
