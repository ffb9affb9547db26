"""One worker, in this process: `grader autograde --workers 1`

Each submission is graded when its result is asked for, in the thread
that asks, with one warm sandbox (worker.worker_sandbox); nothing starts
ahead. Ctrl-C reaches the grading directly; close(abort=True) kills the
sandbox.
"""
from grader import worker
from grader.result import GradeResult


class SerialRunner:
    description = None

    def __init__(self, setup):
        self.setup = setup
        self.queue = []

    @property
    def pending(self):
        return len(self.queue)

    def start(self):
        return self

    def submit(self, sub):
        self.queue.append(sub)

    def results(self, block=True):
        """Grade every queued submission, one by one (block makes no
        difference: the grading is done here)"""
        while self.queue:
            sub = self.queue.pop(0)
            try:
                yield sub, GradeResult.from_json(worker.grade(sub.data, sub.assignment,
                                                              self.setup))
            except Exception as exc:  # noqa: BLE001
                yield sub, exc

    def close(self, abort=False):
        self.queue = []
        worker.kill_sandboxes() if abort else worker.close_sandboxes()
