"""Runners: where submissions are graded, all behind one interface

A runner hands Submissions (ledger.py) to grading workers (worker.py) and
gives their GradeResults back as each is graded:

- LocalRunner (local.py): worker processes on this machine, forked from a
  forkserver that has imported torch and built the plan;
- SerialRunner (serial.py): this process, with one warm sandbox;
- DaskRunner (dask.py): the workers of a Dask cluster.

Every runner is used the same way, by `grader autograde` (submit every
submission, then take the results) and by `grader serve` (submit each
submission as it arrives, take what is ready, go on):

    runner = make_runner(assignments, setup, workers=2)
    runner.description      # what starts, for a progress line (None: nothing starts ahead)
    runner.start()          # the workers start warming up; returns the runner
    runner.submit(sub)      # its bytes travel with it
    for sub, result in runner.results():        # block=False: only those ready now
        ...                 # a GradeResult, or the exception it raised (worker.Refused, ...)
    runner.pending          # submitted, not given back yet
    runner.close()          # abort=True: stop the workers now, sandboxes and all
"""
import os


def make_runner(assignments, setup, *, workers=None, scheduler=None, in_process=True):
    """A runner for `assignments` (names) graded with `setup` (worker.Setup):
    on the Dask `scheduler` (an address, a Client or a cluster) when given,
    else `workers` processes here (default: all cores), or this process
    when that is one worker and `in_process`"""
    if scheduler is not None and scheduler != "":
        from grader.runners.dask import DaskRunner
        return DaskRunner(scheduler, setup)
    workers = max(1, workers or os.cpu_count() or 1)
    if workers == 1 and in_process:
        from grader.runners.serial import SerialRunner
        return SerialRunner(setup)
    from grader.runners.local import LocalRunner
    return LocalRunner(assignments, setup, workers)
