"""Grading on a Dask cluster: `grader autograde A --scheduler tcp://host:8786`

Each task carries the submission's bytes, so the workers need no shared
file system, only this repository installed (the same version: the checks'
fingerprint is compared, worker.grade) and bubblewrap. Each Dask worker
thread keeps one warm sandbox (worker.worker_sandbox) and the plan (built
once per worker process); a WorkerPlugin closes the sandboxes when the
worker stops. Results come back as JSON (result.GradeResult) and the
client alone writes the gradebook.

A worker refuses (worker.Refused) a task whose checks differ from the
client's, or that asks for a device it lacks. A task whose client went
away (the scheduler cancels its tasks) stops within a second: the sandbox
grading it is killed, and the next task starts a fresh one.
See docs/scale-out.md.
"""
import itertools
import threading

from grader import worker
from grader.result import GradeResult

PLUGIN_NAME = "grader-sandboxes"


def grade_task(data, assignment, setup):
    """Runs on a Dask worker: worker.grade, stopped when the task is cancelled"""
    done = threading.Event()
    _stop_when_cancelled(done)
    try:
        return worker.grade(data, assignment, setup)
    finally:
        done.set()


def _stop_when_cancelled(done):
    """Until `done`, check twice a second that the scheduler still wants this
    task (its client may be gone); once it does not, kill the sandbox this
    thread grades in, again each time until the task ends (a sandbox that
    was starting is killed as soon as it exists)"""
    try:
        from distributed import get_worker
        from distributed.worker import thread_state
        dask_worker, key = get_worker(), thread_state.key
    except Exception:  # noqa: BLE001  (not on a Dask worker)
        return
    ident = threading.get_ident()

    def watch():
        while not done.wait(0.5):
            task = dask_worker.state.tasks.get(key)
            if task is None or task.state in ("cancelled", "released", "forgotten"):
                sandbox = worker.thread_sandbox(ident)
                if sandbox is not None:
                    worker.kill_sandbox(sandbox)
    threading.Thread(target=watch, name=f"cancel-{key}", daemon=True).start()


def sandbox_plugin():
    """A WorkerPlugin that closes the worker's warm sandboxes when it stops"""
    from distributed.diagnostics.plugin import WorkerPlugin

    close_sandboxes = worker.close_sandboxes

    class SandboxPlugin(WorkerPlugin):
        name = PLUGIN_NAME

        def teardown(self, worker):   # (Dask passes its worker by this name)
            close_sandboxes()

    return SandboxPlugin()


class DaskRunner:
    description = "the Dask cluster"

    def __init__(self, scheduler, setup, retries=1):
        self.scheduler, self.setup, self.retries = scheduler, setup, retries
        self.client = None
        self.own_client = False
        self.futures = {}
        self.waiting = []
        self.serial = itertools.count()

    @property
    def pending(self):
        return len(self.futures) + len(self.waiting)

    def start(self):
        from distributed import Client
        if isinstance(self.scheduler, Client):
            self.client = self.scheduler
        else:   # an address, or a cluster object (LocalCluster, KubeCluster, ...)
            try:
                self.client, self.own_client = Client(self.scheduler), True
            except (OSError, TimeoutError) as exc:
                raise RuntimeError(f"cannot reach the Dask scheduler at {self.scheduler}: "
                                   f"{exc}") from exc
        try:
            self.client.register_plugin(sandbox_plugin(), name=PLUGIN_NAME)
        except Exception:  # noqa: BLE001  (the workers' exit hooks still close them)
            pass
        waiting, self.waiting = self.waiting, []
        for sub in waiting:
            self.submit(sub)
        return self

    def submit(self, sub):
        if self.client is None:
            self.waiting.append(sub)
            return
        fut = self.client.submit(
            grade_task, sub.data, sub.assignment, self.setup,
            key=f"grade-{sub.assignment}-{sub.student}-{sub.notebook}-{sub.key}-"
                f"{next(self.serial)}",
            pure=False, retries=self.retries)
        self.futures[fut] = sub

    def results(self, block=True):
        """(submission, GradeResult or exception) as each is graded; with
        block=False, only those graded by now"""
        from distributed import as_completed
        ready = as_completed(list(self.futures)) if block else \
            [f for f in list(self.futures) if f.done()]
        for fut in ready:
            sub = self.futures.pop(fut)
            try:
                yield sub, GradeResult.from_json(fut.result())
            except Exception as exc:  # noqa: BLE001
                yield sub, exc
            finally:
                fut.release()

    def close(self, abort=False):
        if self.client is not None:
            for fut in list(self.futures):
                fut.cancel()
            self.futures = {}
            if self.own_client:
                self.client.close()
            self.client = None
