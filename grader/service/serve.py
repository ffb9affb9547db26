"""`grader serve --course DIR`: the loop (see the package doc and docs/service.md)

For each complete submission in the exchange's inbound folder, oldest
first, one at a time per student and assignment:

1. who wrote it (policy `identity`): a submission that is not the named
   student's is refused, kept, reported, never graded;
2. kept as an attempt (attempts.py); beyond the attempt limit before the
   deadline it is not graded, and its feedback says so;
3. graded by a warm worker (a runner: local processes, or a Dask cluster;
   grader/runners), the result kept before anything is recorded;
4. the attempt that counts (policy `counts`) recorded in the gradebook as
   the student's submission (nbgrader applies its late penalty from the
   submission's timestamp);
5. its feedback written at the level the policy gives before or after the
   deadline, and released where Fetch Feedback finds it.

A service killed at any point and started again finishes what was left,
grading nothing twice (a kept result is recorded without grading again)
and recording nothing twice (nbgrader keeps one submission per student).
It serves the checks it started with: when they change on disk it stops
taking submissions, finishes the ones it has, and exits (status 75), for
its supervisor to start it again on the new version.
"""
import datetime
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

from dataclasses import replace

from grader import ledger
from grader.course import (DEFAULT_SEED, SettingError, course_devices, default_db_url,
                           nbgrader_config)
from grader.service import attempts, exchange, policy
from grader.worker import Refused, Setup, skip_slow_optional_imports

CHECKS_CHANGED = 75   # exit status: restart me (sysexits' EX_TEMPFAIL)


class ServiceError(RuntimeError):
    """The service cannot serve this course (it says why)"""


def serve(course_dir=".", *, exchange_root=None, course_id=None, workers=None, seed=None,
          limits=None, db_url=None, isolate=None, out=None, until=None, scheduler=None):
    """Serve until SIGINT or SIGTERM (or until `until(service)` is true);
    return 0, or CHECKS_CHANGED when the checks changed on disk.

    Args:
        exchange_root, course_id: nbgrader's exchange (default: the course's
            nbgrader configuration, grader.course.nbgrader_config)
        workers: warm grading workers (default: [service] workers, else all cores)
        scheduler: grade on this Dask scheduler (address, Client or cluster)
            instead of local workers
        limits: dict of grader.sandbox.limits.Limits fields
    """
    service = Service(course_dir, exchange_root=exchange_root, course_id=course_id,
                      workers=workers, seed=seed, limits=limits, db_url=db_url,
                      isolate=isolate, out=out, scheduler=scheduler)
    try:
        return service.run(until)
    finally:
        service.close()


class Service:
    def __init__(self, course_dir, *, exchange_root=None, course_id=None, workers=None,
                 seed=None, limits=None, db_url=None, isolate=None, out=None, scheduler=None):
        from grader.feedback import write_nbgrader_config
        from grader.gradebook import ensure_assignment
        from grader.runners import make_runner
        skip_slow_optional_imports()
        self.out = out or sys.stderr
        self.course_dir = Path(course_dir).resolve()
        self.settings = policy.load(self.course_dir)
        self.db_url = db_url or default_db_url(self.course_dir)
        config = nbgrader_config(self.course_dir, db_url=self.db_url)
        self.root = Path(exchange_root or config.Exchange.root)
        self.course_id = course_id or config.CourseDirectory.course_id
        self.seed = DEFAULT_SEED if seed is None else seed
        self.devices = tuple(course_devices(self.course_dir))
        self.assignments = exchange.released(self.root, self.course_id)
        if not self.assignments:
            raise ServiceError(f"no assignment is released in {self.root}/{self.course_id}"
                               f"/outbound: release one with nbgrader's release_assignment")
        for assignment in self.assignments:
            problems = exchange.version_problems(self.root, self.course_id, assignment)
            if problems:
                raise ServiceError(f"{assignment}: the notebook released to students is not "
                                   f"the one these checks grade ({'; '.join(problems)}): run "
                                   f"`grader release {assignment}`, then nbgrader's "
                                   f"release_assignment, and start the service again")
        from grader.checks.devices import missing
        lacking = [] if scheduler else missing(self.devices)
        if lacking:
            raise ServiceError(f"the course is graded on {', '.join(self.devices)}, and this "
                               f"machine has no {', '.join(lacking)}")
        for assignment in self.assignments:
            ensure_assignment(self.course_dir, assignment, self.db_url, self.devices)
        write_nbgrader_config(self.course_dir, db_url=self.db_url)
        self.fingerprints = {a: ledger.checks_fingerprint(a) for a in self.assignments}
        if self.settings.identity == "name":
            self.say("WARNING: [service] identity = \"name\": the student id a submission's "
                     "name gives is trusted (one account for everyone: for testing only)")
        setup = Setup(self.seed, self.devices, dict(limits or {}), isolate, self.fingerprints)
        self.runner = make_runner(self.assignments, setup, scheduler=scheduler,
                                  workers=workers or self.settings.workers, in_process=False)
        self.runner.start()
        self.flight = {}       # id(submission) -> (arrival, attempt folder, submission, started)
        self.recorders = {}
        self.stopping = None
        self.changed = False
        self.handled = 0
        self.say(f"serving {', '.join(self.assignments)} of {self.course_id} from "
                 f"{exchange.inbound(self.root, self.course_id)} (devices "
                 f"{', '.join(self.devices)}; checks "
                 + ", ".join(f"{a} {f}" for a, f in self.fingerprints.items()) + ")")

    # the loop

    def run(self, until=None):
        main = threading.current_thread() is threading.main_thread()
        old = {sig: signal.signal(sig, self._stop)
               for sig in (signal.SIGINT, signal.SIGTERM)} if main else {}
        last_check = time.monotonic()
        try:
            while not self.stopping:
                busy = {(a.student, a.assignment) for a, *_ in self.flight.values()}
                taken = {a.name for a, *_ in self.flight.values()}
                if not self.changed:
                    for arrival in exchange.arrivals(self.root, self.course_id):
                        key = (arrival.student, arrival.assignment)
                        if arrival.name in taken or key in busy:
                            continue
                        if self._take(arrival):
                            busy.add(key)
                self._collect()
                if until is not None and until(self):
                    break
                if time.monotonic() - last_check > 5:
                    last_check = time.monotonic()
                    self._check_version()
                if self.changed and not self.flight:
                    self.say("the checks changed on disk: every submission taken is done; "
                             "exiting, to be started again on the new checks")
                    return CHECKS_CHANGED
                time.sleep(self.settings.poll_seconds)
        finally:
            for sig, handler in old.items():
                signal.signal(sig, handler)
        if self.stopping:
            self.say(f"stopped by {self.stopping}; submissions not finished are taken up "
                     f"again at the next start")
        return 0

    def _stop(self, signum, frame):
        self.stopping = signal.Signals(signum).name

    def close(self):
        runner, self.runner = getattr(self, "runner", None), None
        if runner is not None:
            runner.close(abort=bool(self.stopping))
        for recorder in self.recorders.values():
            recorder.close()
        self.recorders = {}

    def say(self, text):
        stamp = datetime.datetime.now().strftime("%H:%M:%S")
        print(f"{stamp} {text}", file=self.out, flush=True)

    # one arrival

    def _take(self, arrival):
        """Start on an arrival; False when it was done already"""
        folder = attempts.folder(self.course_dir, arrival)
        state = attempts.state(folder)
        if state.get("status") in attempts.DONE:
            return False
        if arrival.assignment not in self.assignments:
            return self._refuse(arrival, f"{arrival.assignment!r} is not an assignment this "
                                         f"service grades")
        if self.settings.identity == "owner":
            wrong = exchange.who_wrote(arrival)
            if wrong:
                return self._refuse(arrival, wrong)
        folder = attempts.keep(self.course_dir, arrival)
        limit = self.settings.policy(arrival.assignment).attempts
        before = self._before_deadline(arrival)
        graded = [s for p, s in attempts.history(self.course_dir, arrival.student,
                                                 arrival.assignment)
                  if p != folder and s.get("status") in ("graded", "released")
                  and s.get("score") is not None and s.get("timestamp", "") < arrival.timestamp
                  and s.get("before_deadline", True)]
        if before and limit and len(graded) >= limit:
            self._over_limit(arrival, folder, limit, graded)
            return True
        saved = attempts.result(folder)
        if saved is not None:   # graded before the service was stopped: record it
            self._finish(arrival, folder, saved, time.monotonic(), graded=False)
            return True
        notebooks = sorted(folder.glob("*.ipynb"))
        sub = ledger.read(arrival.student, arrival.assignment, notebooks[0]) if notebooks else \
            ledger.Submission(arrival.student, arrival.assignment,
                              folder / f"{arrival.assignment}.ipynb", b"")
        self.runner.submit(sub)
        self.flight[id(sub)] = (arrival, folder, sub, time.monotonic())
        return True

    def _collect(self):
        for sub, result in self.runner.results(block=False):
            arrival, folder, _, started = self.flight.pop(id(sub))
            if isinstance(result, Refused):
                self.changed = True   # the checks moved: the next start grades it
                self.say(f"{arrival.student} {arrival.assignment}: not graded: {result}")
                continue
            if isinstance(result, BaseException):
                from grader.record import ungraded
                result = ungraded(self._recorder(arrival.assignment), sub, result, self.devices)
            self._finish(arrival, folder, result, started, sub=sub)

    def _finish(self, arrival, folder, result, started, graded=True, sub=None):
        """Keep the result, record the attempt that counts, release the
        feedback of this one (graded: the result is new, not a kept one;
        sub: the submission as it was graded, its bytes read once)"""
        from grader.result import devices_unchecked
        result = devices_unchecked(replace(result, checks=self.fingerprints[arrival.assignment]),
                                   self.devices, self.devices)
        if graded:
            attempts.write(folder, "result.json", result.to_json())
            attempts.update(folder, gradings=attempts.state(folder).get("gradings", 0) + 1)
        score, top = result.score, result.max_score
        before = self._before_deadline(arrival)
        attempts.update(folder, status="graded", score=score, max_score=top,
                        before_deadline=before, checks=result.checks)
        counted = self._counted(arrival)
        policy_ = self.settings.policy(arrival.assignment)
        level = policy_.feedback if before else policy_.feedback_after_deadline
        t0 = time.monotonic()
        try:
            self._record(arrival.student, arrival.assignment, folder, result, sub)
            t1 = time.monotonic()
            pages = self._feedback(arrival, folder, level)
            t2 = time.monotonic()
            if counted is not None and counted != folder:   # best: put the best one back
                self._record(arrival.student, arrival.assignment, counted,
                             attempts.result(counted))
        except Exception as exc:  # noqa: BLE001  (this attempt only; the next start retries)
            self.say(f"{arrival.student} {arrival.assignment}: not recorded: "
                     f"{type(exc).__name__}: {str(exc)[:300]}")
            return
        for path, state in attempts.history(self.course_dir, arrival.student,
                                            arrival.assignment):
            if state.get("status") in ("graded", "released"):
                attempts.update(path, counted=(path == (counted or folder)))
        worker = (result.worker.seconds if result.worker else None) if graded else 0.0
        taken = time.monotonic() - started
        # said before the state says so (the page is out): a service killed in
        # between says it again on its next start, from the kept result
        self.say(f"{arrival.student} {arrival.assignment}: {score:g}/{top:g}, feedback "
                 f"({level}) released {taken:.1f} s after it was taken"
                 + ("" if (counted or folder) == folder else "; an earlier attempt counts"))
        attempts.update(folder, status="released", level=level, pages=len(pages), seconds={
            "taken to released": round(taken, 3), "grading (worker)": worker,
            "recording": round(t1 - t0, 3), "feedback page": round(t2 - t1, 3),
            "waiting for a worker": None if worker is None else
            round(max(0.0, t0 - started - worker), 3)})
        self.handled += 1

    def _counted(self, arrival):
        """The attempt folder that is the grade (None: the one just graded)"""
        if self.settings.policy(arrival.assignment).counts != "best":
            return None
        return attempts.best(self.course_dir, arrival.student, arrival.assignment)

    def _recorder(self, assignment):
        from grader.record import Recorder
        if assignment not in self.recorders:
            self.recorders[assignment] = Recorder(self.course_dir, assignment, self.db_url)
        return self.recorders[assignment]

    def _record(self, student, assignment, folder, result, sub=None):
        """The attempt becomes the student's submission in DIR/submitted and
        the gradebook (what `grader autograde` would record for it); `sub`:
        the attempt as graded (else it is read from its folder)"""
        dest = self.course_dir / "submitted" / student / assignment
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        for path in Path(folder).iterdir():
            if path.suffix == ".ipynb" or path.name in ("timestamp.txt",
                                                        "submission_secret.txt"):
                shutil.copyfile(path, dest / path.name)
        notebooks = sorted(dest.glob("*.ipynb"))
        if not notebooks:
            raise ValueError("the submission holds no notebook")
        if sub is None or sub.notebook != notebooks[0].stem:
            sub = ledger.read(student, assignment, notebooks[0])
        sub = replace(sub, path=notebooks[0])
        sub.key = ledger.key(sub.data, self.fingerprints[assignment], self.seed, self.devices)
        ledger.record(self._recorder(assignment), self.course_dir, sub, result)

    def _feedback(self, arrival, folder, level):
        from grader.feedback import feedback
        pages = feedback(arrival.assignment, self.course_dir, self.db_url,
                         student=arrival.student, level=level)
        secret = exchange.secret(folder)
        return [exchange.release(page, self.root, self.course_id, secret, page.stem)
                for page in pages]

    def _refuse(self, arrival, reason):
        folder = attempts.folder(self.course_dir, arrival)
        attempts.write(folder, "state.json", {"status": "refused", "reason": reason,
                                              "student": arrival.student,
                                              "assignment": arrival.assignment,
                                              "timestamp": arrival.timestamp})
        self.say(f"REFUSED {arrival.name}: {reason}")
        return True

    def _over_limit(self, arrival, folder, limit, graded):
        best = max(s["score"] for s in graded)
        text = (f"<h1>{arrival.assignment}: attempt {len(graded) + 1} was not graded</h1>"
                f"<p>Until the deadline {limit} attempts are graded, and you have used them "
                f"(best score so far: {best:g}). This attempt is kept; your instructor sees "
                f"it.</p>")
        secret = exchange.secret(folder)
        for nb in arrival.notebooks:
            page = folder / f"{nb.stem}.over-limit.html"
            page.write_text(f"<!DOCTYPE html><html><body>{text}</body></html>",
                            encoding="utf-8")
            exchange.release(page, self.root, self.course_id, secret, nb.stem)
        attempts.update(folder, status="over-limit", limit=limit)
        self.say(f"{arrival.student} {arrival.assignment}: attempt over the limit of {limit}, "
                 f"kept, not graded")

    def _before_deadline(self, arrival):
        return policy.before_deadline(self.db_url, arrival.assignment, arrival.timestamp)

    def _check_version(self):
        for assignment, fingerprint in self.fingerprints.items():
            if ledger.checks_fingerprint(assignment) != fingerprint and not self.changed:
                self.changed = True
                self.say(f"the checks of {assignment} changed on disk: no new submission is "
                         f"taken; the service exits once those taken are done")


__all__ = ["serve", "Service", "ServiceError", "SettingError", "CHECKS_CHANGED"]
