"""Grading on a Dask cluster: `grader autograde A --scheduler tcp://host:8786`

The client (the instructor's `grader autograde`) reads each submitted
notebook and sends its bytes with the task, so the workers need no shared
file system, only this repository installed (the same version: the checks'
fingerprint is compared) and bubblewrap. Each Dask worker thread keeps one
warm sandbox (grader.autograde.worker_sandbox) and the plan (built once per
worker process); a WorkerPlugin closes the sandboxes when the worker stops.
Results come back as plain data and the client alone writes the gradebook.

A worker refuses (grader.autograde.Refused) a task whose checks differ from
the client's, or that asks for a device it lacks. A task whose client went
away (the scheduler cancels its tasks) stops within a second: the sandbox
grading it is killed, and the next task starts a fresh one.
See docs/scale-out.md.
"""
import socket
import threading
from pathlib import Path

PLUGIN_NAME = "grader-sandboxes"


def grade_task(data, assignment, seed, limits, isolate, fingerprint, devices=("cpu",)):
    """Runs on a Dask worker: grade one notebook given as bytes, on `devices`"""
    from grader.autograde import Refused, checks_fingerprint, grade_bytes
    mine = checks_fingerprint(assignment)
    if fingerprint is not None and mine != fingerprint:
        raise Refused(
            f"worker {socket.gethostname()} has other checks than the client "
            f"({mine} != {fingerprint}): install the same version of the grader there")
    done = threading.Event()
    _stop_when_cancelled(done)
    try:
        return grade_bytes(data, assignment, seed, limits, isolate, tuple(devices))
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
        worker, key = get_worker(), thread_state.key
    except Exception:  # noqa: BLE001  (not on a Dask worker)
        return
    from grader.autograde import kill_sandbox, thread_sandbox
    ident = threading.get_ident()

    def watch():
        while not done.wait(0.5):
            task = worker.state.tasks.get(key)
            if task is None or task.state in ("cancelled", "released", "forgotten"):
                sandbox = thread_sandbox(ident)
                if sandbox is not None:
                    kill_sandbox(sandbox)
    threading.Thread(target=watch, name=f"cancel-{key}", daemon=True).start()


def _plugin():
    from distributed.diagnostics.plugin import WorkerPlugin

    class SandboxPlugin(WorkerPlugin):
        """Closes the worker's warm sandboxes when the worker shuts down"""
        name = PLUGIN_NAME

        def teardown(self, worker):
            from grader.autograde import close_sandboxes
            close_sandboxes()

    return SandboxPlugin()


class DaskGrading:
    """Submit every job at once, then yield results as they complete"""

    def __init__(self, jobs, assignment, seed, limits, scheduler, isolate, retries=1,
                 devices=("cpu",)):
        self.jobs = list(jobs)
        self.devices = tuple(devices)
        self.assignment, self.seed, self.limits, self.isolate = assignment, seed, limits, isolate
        self.scheduler = scheduler
        self.retries = retries
        self.client = None
        self.own_client = False
        self.futures = {}

    def start(self):
        from distributed import Client

        from grader.autograde import checks_fingerprint
        if isinstance(self.scheduler, Client):
            self.client = self.scheduler
        else:   # an address, or a cluster object (LocalCluster, KubeCluster, ...)
            try:
                self.client, self.own_client = Client(self.scheduler), True
            except (OSError, TimeoutError) as exc:
                raise RuntimeError(f"cannot reach the Dask scheduler at {self.scheduler}: "
                                   f"{exc}") from exc
        try:
            self.client.register_plugin(_plugin(), name=PLUGIN_NAME)
        except Exception:  # noqa: BLE001  (the exit hooks of grader.autograde still close them)
            pass
        fingerprint = checks_fingerprint(self.assignment)
        for job in self.jobs:
            try:
                data = Path(job.path).read_bytes()
            except OSError as exc:   # the worker turns it into an unreadable notebook
                data = exc
            fut = self.client.submit(
                grade_task, data, self.assignment, self.seed,
                self.limits, self.isolate, fingerprint, self.devices,
                key=f"grade-{self.assignment}-{job.student}-{Path(job.path).stem}-{job.key}",
                pure=False, retries=self.retries)
            self.futures[fut] = job
        return self

    def results(self):
        from distributed import as_completed
        for fut in as_completed(list(self.futures)):
            job = self.futures.pop(fut)
            try:
                yield job, fut.result()
            except Exception as exc:  # noqa: BLE001
                yield job, exc
            finally:
                fut.release()

    def close(self):
        if self.client is not None:
            for fut in list(self.futures):
                fut.cancel()
            self.futures = {}
            if self.own_client:
                self.client.close()
            self.client = None
