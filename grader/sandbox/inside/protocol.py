"""The watchdog's side of one job: a function's calls, one sealed outcome each

For call k the watchdog sends a fresh 32-byte secret on the command pipe
as the call starts; the function process (C) reads it only after the
student's function has returned and everything is measured, and sends the
outcome frame followed by a `seal` frame: HMAC-SHA256 of the outcome
frame's bytes under that secret. The watchdog accepts exactly this, in
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
import time

from grader.checks import wire


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
        self.secret = None

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
            if self.total:
                self._secret(0, deadline)
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
                run.box.send({"ev": "outcome", "job": j, "call": current,
                              "outcome": out.get("outcome"), "after": out.get("after")},
                             out_blobs)
                pending = None
                if current + 1 < self.total:
                    current += 1
                    deadline = min(deadline_job, time.monotonic() + lim["call_seconds"])
                    try:
                        self._secret(current, deadline)
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

    def _secret(self, k, deadline):
        self.secret = os.urandom(32)
        self.run.write(wire.pack({"ev": "secret", "job": self.j, "call": k}, [self.secret]),
                       deadline)

    def _sealed(self, head, raw):
        mac = head.get("mac")
        if not isinstance(mac, str) or self.secret is None:
            return False
        good = hmac.new(self.secret, raw, "sha256").hexdigest()
        return hmac.compare_digest(mac, good)

    def _void(self, reason):
        self.run.box.send({"ev": "void", "job": self.j, "reason": reason})
        return "void"

    def _stopped(self, call, kind, note):
        self.run.box.send({"ev": "stopped", "job": self.j, "call": call, "kind": kind,
                           "note": note})

    def _timeout_note(self, deadline, deadline_job):
        lim = self.run.limits
        if time.monotonic() >= self.run.end_all - 0.01:
            return f"the notebook's time ({lim['notebook_seconds']} s) ran out"
        which = "function" if deadline >= deadline_job else "call"
        return f"the {which} did not finish within {lim[which + '_seconds']} s"
