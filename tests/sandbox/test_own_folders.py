"""A worker that is being stopped leaves no staging folder behind

Reproduction (CI, test_signals[SIGKILL-main]): the grader was killed; its
worker's watcher thread killed and closed the worker's sandbox, while the
worker's main thread, seeing its sandbox dead, started a new one, whose
staging folder was in no list and outlived the worker. Once a process is
ending (`end_own_folders`), no thread of it makes a staging or scratch
folder, and the ones it made are gone, closed or not.
"""
import glob
import os
import subprocess
import sys
import tempfile
import textwrap

from grader.course import REPO

CHILD = textwrap.dedent("""
    import os, threading, warnings
    warnings.simplefilter("ignore")
    from grader.sandbox.bwrap import Ending, end_own_folders, own_folder, stage
    from grader.sandbox.launcher import Sandbox

    box = Sandbox()                     # a live sandbox with its staging folder
    loose = stage()                     # one being made, in no sandbox yet
    scratch = own_folder("grader-scratch-")
    print("made", box.stage, loose, scratch, flush=True)
    end_own_folders()
    print("gone", not any(map(os.path.exists, (box.stage, loose, scratch))), flush=True)
    refused = []
    def start():
        try:
            Sandbox()
        except Ending:
            refused.append(True)
    t = threading.Thread(target=start)
    t.start(); t.join()
    print("refused", refused == [True], flush=True)
    box.close()                          # its processes and cgroup
    os._exit(0)                          # as a stopped worker leaves
""")


def test_an_ending_process_makes_no_folder_and_leaves_none():
    proc = subprocess.run([sys.executable, "-c", CHILD], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    said = dict(line.split(" ", 1) for line in proc.stdout.splitlines())
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert said["gone"] == "True", f"folders left after end_own_folders: {said['made']}"
    assert said["refused"] == "True", "a thread started a sandbox after the process ended"
    pid = os.path.basename(said["made"].split()[0]).split("-")[2]   # the child's
    left = glob.glob(f"{tempfile.gettempdir()}/grader-*-{pid}-*")
    assert not left, f"left behind: {left}"
