"""Warm grading workers for the service: on this machine (`Pool`) or on a
Dask cluster (`DaskPool`); both give futures with done() and result()

Local: processes forked from a forkserver that has imported torch and the grader;
each warms the plan of every served assignment and one sandbox at its
start, then grades one submission at a time (its bytes in, plain data
out). Each worker checks, when it starts and at every submission, that its
checks are the version the service started with: a submission is graded
entirely against one version, which its feedback names.
"""
import concurrent.futures as cf
import os
import signal


class Pool:
    def __init__(self, assignments, seed, limits, isolate, devices, workers, fingerprints):
        from grader.autograde import start_forkserver
        self.args = (seed, dict(limits or {}), isolate, tuple(devices))
        self.fingerprints = dict(fingerprints)
        ctx = start_forkserver(assignments[0], seed, tuple(devices))
        self.pool = cf.ProcessPoolExecutor(
            max(1, workers or os.cpu_count() or 1), mp_context=ctx, initializer=_start,
            initargs=(tuple(assignments), *self.args, self.fingerprints, os.getpid()))

    def submit(self, data, assignment):
        """A future of the result of grading `data` (a notebook's bytes)"""
        return self.pool.submit(_grade, data, assignment, *self.args,
                                self.fingerprints[assignment])

    def close(self, abort=False):
        if abort:
            for proc in list(getattr(self.pool, "_processes", {}).values()):
                try:
                    proc.terminate()
                except OSError:
                    pass
        self.pool.shutdown(wait=not abort, cancel_futures=True)


def _start(assignments, seed, limits, isolate, devices, fingerprints, service_pid):
    """A worker's start: signals as autograde's workers, every plan warm"""
    from grader.autograde import checks_fingerprint, warm, watch_process, _stop_worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_worker)
    watch_process(service_pid, _stop_worker)
    for assignment in assignments:
        if checks_fingerprint(assignment) != fingerprints[assignment]:
            return  # each submission then says why it is refused
        try:
            warm(assignment, seed, limits, isolate, devices=devices)
        except Exception:  # noqa: BLE001  (each submission then fails with the reason)
            pass


def _grade(data, assignment, seed, limits, isolate, devices, fingerprint):
    from grader.autograde import Refused, checks_fingerprint, grade_bytes
    mine = checks_fingerprint(assignment)
    if mine != fingerprint:
        raise Refused(f"the checks of {assignment} changed since the service started "
                      f"({fingerprint} -> {mine}): restart the service")
    result = grade_bytes(data, assignment, seed, limits, isolate, devices)
    result["checks"] = fingerprint
    return result


class DaskPool:
    """The service's submissions graded on a Dask cluster (docs/scale-out.md):
    each task carries the notebook's bytes and the checks' version, which
    the worker compares with its own (grader.distributed.grade_task)"""

    def __init__(self, scheduler, seed, limits, isolate, devices, fingerprints):
        from distributed import Client

        from grader.distributed import PLUGIN_NAME, _plugin
        self.args = (seed, dict(limits or {}), isolate)
        self.devices = tuple(devices)
        self.fingerprints = dict(fingerprints)
        self.client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
        self.own = self.client is not scheduler
        try:
            self.client.register_plugin(_plugin(), name=PLUGIN_NAME)
        except Exception:  # noqa: BLE001  (the workers' exit hooks still close sandboxes)
            pass

    def submit(self, data, assignment):
        from grader.distributed import grade_task
        return self.client.submit(grade_task, data, assignment, *self.args,
                                  self.fingerprints[assignment], self.devices, pure=False)

    def close(self, abort=False):
        if self.own:
            self.client.close()
