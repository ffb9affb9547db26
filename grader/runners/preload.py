"""Imported by the forkserver that local workers fork from, and nowhere else

Its import is its work: the forkserver builds the plan named in its
environment (worker.preload) before any worker forks, so that every worker
starts with it (runners/local.py, start_forkserver).
"""
from grader.worker import preload, skip_slow_optional_imports

skip_slow_optional_imports()
preload()
