"""Worker processes on this machine

The workers fork from a forkserver that has imported torch, the grader and
nbformat and built the plan (`start_forkserver`, started as early as
possible: it warms up while the caller reads the gradebook), so that a
worker's start-up is its sandbox only. Each worker (worker.start) warms the
plan of every assignment it serves and its sandbox, then grades one
submission at a time. A worker that dies (it should not: student code
runs in the sandbox) is replaced and its submissions are tried again, at
most `retries` times each.
"""
import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import time

from grader import worker
from grader.result import GradeResult

PRELOAD = ["grader.runners.preload", "torch", "grader.grade", "grader.sandbox.launcher",
           "grader.plan"]


def start_forkserver(assignment, setup):
    """Start the forkserver the workers fork from, if it is not running yet:
    it imports torch, the grader and nbformat and builds the plan of
    `assignment` in the background while this process goes on. Returns the
    multiprocessing context."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    os.environ[worker.PRELOAD_ENV] = f"{assignment}:{setup.seed}:{','.join(setup.devices)}"
    try:
        from multiprocessing import forkserver
        forkserver.ensure_running()   # the server starts with the variable set
    finally:
        os.environ.pop(worker.PRELOAD_ENV, None)
    return ctx


class LocalRunner:
    def __init__(self, assignments, setup, workers, retries=2):
        self.assignments, self.setup = list(assignments), setup
        self.workers, self.retries = workers, retries
        self.description = f"{workers} workers"
        self.waiting = []        # submitted before start(), or to try again
        self.attempts = {}
        self.pool = None
        self.futures = {}

    @property
    def pending(self):
        return len(self.futures) + len(self.waiting)

    def start(self):
        ctx = start_forkserver(self.assignments[0], self.setup)
        self.pool = cf.ProcessPoolExecutor(
            self.workers, mp_context=ctx, initializer=worker.start,
            initargs=(tuple(self.assignments), self.setup, os.getpid()))
        waiting, self.waiting = self.waiting, []
        for sub in waiting:
            self.submit(sub)
        return self

    def submit(self, sub):
        if self.pool is None:
            self.waiting.append(sub)
            return
        self.attempts[id(sub)] = self.attempts.get(id(sub), 0) + 1
        self.futures[self.pool.submit(worker.grade, sub.data, sub.assignment, self.setup)] = sub

    def results(self, block=True):
        """(submission, GradeResult or exception) as each is graded; with
        block=False, only those graded by now"""
        while self.futures:
            ready = cf.as_completed(list(self.futures)) if block else \
                [f for f in list(self.futures) if f.done()]
            broken = False
            for fut in ready:
                for sub, result in self._taken(fut):
                    if result is _BROKEN:
                        broken = True
                    else:
                        yield sub, result
            if broken:   # every other future of the pool fails too: take them, then again
                rest = list(self.futures)
                cf.wait(rest)
                for fut in rest:
                    yield from ((s, r) for s, r in self._taken(fut) if r is not _BROKEN)
                self.pool.shutdown(wait=False, cancel_futures=True)
                self.futures = {}
                self.start()
            if not block:
                return

    def _taken(self, fut):
        """The result of a finished future, or _BROKEN where its worker died
        (the submission waits to be tried again, if it may)"""
        sub = self.futures.pop(fut)
        try:
            result = GradeResult.from_json(fut.result())
        except cf.process.BrokenProcessPool as exc:
            if self.attempts[id(sub)] <= self.retries:
                self.waiting.append(sub)
                yield sub, _BROKEN
                return
            result = RuntimeError(f"a grading worker died ({exc})")
            yield sub, _BROKEN
        except Exception as exc:  # noqa: BLE001
            result = exc
        del self.attempts[id(sub)]
        yield sub, result

    def close(self, abort=False):
        """Let the workers finish and leave; with abort, stop them now (each
        kills its sandbox on SIGTERM; one that does not leave in 5 s is killed,
        and its sandbox dies with it)"""
        if self.pool is None:
            return
        if abort:
            procs = list((self.pool._processes or {}).values())
            for proc in procs:
                with contextlib.suppress(Exception):
                    proc.terminate()
            deadline = time.monotonic() + 5
            for proc in procs:
                with contextlib.suppress(Exception):
                    proc.join(max(0.0, deadline - time.monotonic()))
            for proc in procs:
                with contextlib.suppress(Exception):
                    if proc.is_alive():
                        proc.kill()
                        proc.join(2)
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = None


_BROKEN = object()   # a future whose worker died
