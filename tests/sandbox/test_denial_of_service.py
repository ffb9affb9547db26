"""Denial of service: can a submission stop its own grading, someone else's,
or the grading host?

The zygote (the sandbox's watchdog, under a uid student code cannot signal)
gives every cell, call, function and notebook a wall-clock deadline; a cell
that hangs or kills its process is skipped and the notebook run again; a
function that does so loses only its own calls. The kernel enforces memory,
CPU, process, file-size and tmpfs limits; after every submission every
process of the sandbox but the zygote is killed and its files wiped.
"""
import json
import os
import signal
import time

import nbformat
import pytest

from grader.checks import wire
from grader.checks.explain import problem
from grader.grade import grade_notebook
from grader.notebooks import read_notebook

from .corpus import (ASSIGNMENT, LIMITS, full_marks, grade, host_processes, markers,
                     needs_isolation, notebook, others_full, points)

LOOP = "while True:\n    pass"


def _cell_status(result, source_fragment, nb):
    index = next(i for i, c in enumerate(nb.cells) if source_fragment in c.source)
    return result.cells[str(index)].status


@needs_isolation
def test_infinite_loop_at_top_level(sandbox, harms_nobody):
    """`while True: pass` in a cell, and one that ignores every exception:
    both skipped after the cell deadline, the rest graded"""
    stubborn = "while True:\n    try:\n        pass\n    except BaseException:\n        pass"
    nb = notebook(before=[LOOP, stubborn])
    start = time.monotonic()
    result = grade(sandbox, nb)
    assert full_marks(result)
    assert _cell_status(result, "while True:\n    pass", nb) == "timeout"
    assert time.monotonic() - start < 4 * LIMITS.cell_seconds + 15
    harms_nobody()


@needs_isolation
def test_infinite_loop_in_a_function(sandbox, harms_nobody):
    """local_pool never returns: it loses its points, nothing else does"""
    hang = "def local_pool(X, pool_size, mode='max'):\n" + "\n".join(
        "    " + line for line in LOOP.splitlines())
    result = grade(sandbox, notebook({"local_pool": hang}))
    assert points(result, "local_pool") == 0
    assert "did not finish" in result.verdicts["local_pool-values"].message
    others_full(result, "local_pool")
    harms_nobody()


HOG = '''
import torch
x = torch.empty(20 << 30, dtype=torch.uint8)
'''
HOG_2 = "y = bytearray(20 << 30)"
HOG_IN_FUNCTION = '''def window_cost(c, h, w, pool_size, stride, padding):
    return len(bytearray(20 << 30))
'''


@needs_isolation
def test_memory_hog(sandbox, harms_nobody):
    """Allocating 20 GB at the top level and in a function fails cleanly"""
    nb = notebook({"window_cost": HOG_IN_FUNCTION}, before=[HOG, HOG_2])
    result = grade(sandbox, nb)
    assert _cell_status(result, "torch.empty(20", nb) == "error"
    assert _cell_status(result, "bytearray(20", nb) == "error"
    assert points(result, "window_cost") == 0
    others_full(result, "window_cost")
    harms_nobody()


SPREAD_HOG = '''
import os, time
for _ in range(6):
    if os.fork() == 0:
        try:
            block = bytearray(1400 << 20)  # within the per-process limit
            for i in range(0, len(block), 4096):
                block[i] = 1  # touched: really used
        finally:
            time.sleep(30)
            os._exit(0)
time.sleep(30)
'''


@needs_isolation
def test_whole_sandbox_memory_is_capped(sandbox, harms_nobody):
    """Six processes, each within its own address-space limit, together ask
    for 8 GB: the sandbox's cgroup holds them to its cap"""
    if not sandbox.cgroup or not sandbox.cgroup.active:
        pytest.skip("this machine lets us make no cgroup: per-process limits only")
    memory = [p for p in sandbox.cgroup.paths if "memory" in str(p) or
              (p / "memory.max").exists()][0]
    limit_file = memory / ("memory.max" if (memory / "memory.max").exists()
                           else "memory.limit_in_bytes")
    assert int(limit_file.read_text()) == LIMITS.sandbox_memory_mb << 20
    result = grade(sandbox, notebook(before=[SPREAD_HOG]))
    assert full_marks(result)
    peak = memory / "memory.max_usage_in_bytes"
    if peak.exists():
        assert int(peak.read_text()) <= (LIMITS.sandbox_memory_mb << 20) + (64 << 20)
    harms_nobody()


FORK_STORM = '''
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
'''


@needs_isolation
def test_fork_storm(sandbox, harms_nobody):
    """A fork bomb stops at the process limit, dies at the cell deadline,
    and leaves nothing behind"""
    nb = notebook(before=[FORK_STORM])
    result = grade(sandbox, nb)
    assert _cell_status(result, "os.fork()", nb) == "timeout"
    assert full_marks(result)
    assert not [p for p in host_processes() if p[1] in sandbox.student_uids]
    harms_nobody()


LEAVE_PROCESSES = '''
import os, subprocess, threading, time
subprocess.Popen(["sleep", "1000.321"], start_new_session=True)
if os.fork() == 0:  # a daemon: double fork, new session
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "1000.321"])
    os._exit(0)
threading.Thread(target=time.sleep, args=(1000,), daemon=True).start()
print("SPAWNED", flush=True)
'''
SPAWN_IN_FUNCTION = '''def window_cost(c, h, w, pool_size, stride, padding):
    import subprocess
    try:
        subprocess.Popen(["sleep", "1000.321"], start_new_session=True)
        print("SPAWNED in function", flush=True)
    except OSError as exc:
        print("BLOCKED spawn in function", type(exc).__name__, flush=True)
''' + "\n".join(__import__("tests.sandbox.corpus", fromlist=["x"]).SOLUTION_CODE[
    "window_cost"].splitlines()[1:])


@needs_isolation
def test_no_processes_left_behind(sandbox, harms_nobody):
    """`sleep 1000.321` started by subprocess, by a double-forked daemon with
    its own session, and from inside a function: nothing of the student's
    is running on the host once the grade is in"""
    nb = notebook({"window_cost": SPAWN_IN_FUNCTION}, after=[LEAVE_PROCESSES])
    result = grade(sandbox, nb)
    assert markers(result, "SPAWNED")
    assert markers(result, "BLOCKED spawn in function")  # no processes inside a call
    assert full_marks(result)
    time.sleep(0.2)
    # other sandboxes may run beside us: only ours count
    left = [p for p in host_processes() if p[1] in sandbox.student_uids
            or (p[1] == sandbox.uid and "grader.sandbox.inside" not in p[2])]
    assert not left, f"left running on the host: {left}"
    assert not [p for p in host_processes(0) if p[2] == "sleep 1000.321"]
    harms_nobody()


FLOOD = '''
import sys
sys.stdout.write("x" * (50 << 20))
sys.stdout.flush()
sys.stderr.write("y" * (8 << 20))
'''
FLOOD_IN_FUNCTION = '''def window_cost(c, h, w, pool_size, stride, padding):
    print("z" * (1 << 20))
''' + "\n".join(__import__("tests.sandbox.corpus", fromlist=["x"]).SOLUTION_CODE[
    "window_cost"].splitlines()[1:])


@needs_isolation
def test_output_flood(sandbox, harms_nobody):
    """50 MB printed by a cell, a megabyte per call by a function: graded as
    usual, 64 KB of it kept"""
    result = grade(sandbox, notebook({"window_cost": FLOOD_IN_FUNCTION}, before=[FLOOD]))
    assert full_marks(result)
    assert len(result.output.text) <= 64 * 1024
    assert result.output.total_bytes >= 58 << 20
    harms_nobody()


RESULT_FLOOD = '''def local_pool(X, pool_size, mode='max'):
    return torch.zeros(1000, 1000, dtype=torch.float64)  # 8 MB a call
'''


@needs_isolation
def test_result_flood(sandbox, harms_nobody):
    """local_pool returns 8 MB a call: it is stopped at the result limit, and
    the grader holds no more than that"""
    result = grade(sandbox, notebook({"local_pool": RESULT_FLOOD}))
    assert points(result, "local_pool") == 0
    # stopped at its budget: no more than that (and the other functions'
    # results) reached the grader
    assert result.received_bytes < (LIMITS.result_mb << 20) + (8 << 20), \
        result.received_bytes
    others_full(result, "local_pool")
    harms_nobody()


@needs_isolation
def test_kernel_death_at_top_level(sandbox, harms_nobody):
    """os._exit(1), a segfault and SIGKILL to itself at the top level: each
    cell is skipped, the rest graded"""
    cells = ["import os\nos._exit(1)", "import ctypes\nctypes.string_at(0)",
             "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"]
    nb = notebook(before=cells)
    result = grade(sandbox, nb)
    assert full_marks(result)
    for fragment in ("os._exit(1)", "string_at(0)", "SIGKILL)"):
        assert _cell_status(result, fragment, nb) == "crash"
    harms_nobody()


@needs_isolation
def test_kernel_death_in_functions(sandbox, harms_nobody):
    """os._exit in local_pool, a segfault in window_cost: they lose their points,
    nothing else does"""
    code = {"local_pool": "def local_pool(X, pool_size, mode='max'):\n    import os\n    os._exit(1)\n",
            "window_cost": "def window_cost(c, h, w, pool_size, stride, padding):\n"
                         "    import ctypes\n    return ctypes.string_at(0)\n"}
    result = grade(sandbox, notebook(code))
    assert points(result, "local_pool") == 0 and points(result, "window_cost") == 0
    assert "segmentation fault" in result.verdicts["window_cost-values"].message
    others_full(result, "local_pool", "window_cost")
    harms_nobody()


SCRIBBLE = '''
import os
os.write(3, b"\\xff" * 64)
'''
CLOSE_ALL = '''
import os
os.closerange(0, 1024)
'''
REDIRECT = '''
import os
os.dup2(os.open("/dev/null", os.O_WRONLY), 3)
'''
CLOSE_IN_FUNCTION = '''def local_pool(X, pool_size, mode='max'):
    import os
    os.closerange(0, 1024)
'''


@needs_isolation
def test_closing_or_scribbling_on_protocol_fds(sandbox, harms_nobody):
    """Garbage written to the event pipe, every descriptor closed, the event
    pipe redirected to /dev/null, at the top level and in a function"""
    nb = notebook({"local_pool": CLOSE_IN_FUNCTION}, before=[SCRIBBLE, CLOSE_ALL, REDIRECT])
    result = grade(sandbox, nb)
    assert points(result, "local_pool") == 0
    others_full(result, "local_pool")
    for fragment in ("\\xff", "closerange(0, 1024)\n", "dev/null"):
        status = next(v.status for k, v in result.cells.items()
                      if k != "None" and fragment in nb.cells[int(k)].source)
        assert status in ("garbled", "crash", "timeout")
    harms_nobody()


WATCHDOG = '''
import ctypes, os, signal
zygote = {watchdog}
template = os.getppid()
for sig in (signal.SIGSTOP, signal.SIGKILL):
    for target in (zygote, template, 1):
        try:
            os.kill(target, sig)
            print("SIGNALLED", target, sig, flush=True)
        except OSError as exc:
            print("BLOCKED signal", target, type(exc).__name__, flush=True)
os.kill(-1, signal.SIGKILL)  # every process it may signal: none but itself
for path in [f"/proc/{{p}}/{{f}}" for p in (zygote, template) for f in ("mem", "environ", "fd/0")]:
    try:
        open(path, "rb").read(1)
        print("OPENED", path, flush=True)
    except OSError as exc:
        print("BLOCKED open", path, type(exc).__name__, flush=True)
libc = ctypes.CDLL(None, use_errno=True)
for target in (zygote, template):
    if libc.ptrace(16, target, 0, 0) == 0:  # PTRACE_ATTACH
        print("TRACED", target, flush=True)
    else:
        print("BLOCKED ptrace", ctypes.get_errno(), flush=True)
try:
    os.setuid(0)
    print("ROOT", flush=True)
except OSError:
    print("BLOCKED setuid", flush=True)
'''


@needs_isolation
def test_watchdog_cannot_be_signalled_or_traced(sandbox, harms_nobody):
    """SIGSTOP and SIGKILL to the watchdog, the template and pid 1,
    kill(-1), ptrace and /proc/<pid>/mem of both: they run as another uid
    and are untouched"""
    starts, zygote = sandbox.starts, sandbox.info["pid"]
    result = grade(sandbox, notebook(after=[WATCHDOG.format(watchdog=zygote)]))
    for marker in ("SIGNALLED", "OPENED", "TRACED", "ROOT"):
        assert not markers(result, marker), markers(result, marker)
    assert len(markers(result, "BLOCKED signal")) == 6
    assert full_marks(result) and not result.problems
    assert sandbox.starts == starts and sandbox.info["pid"] == zygote  # never restarted
    harms_nobody()


@needs_isolation
def test_dead_sandbox_is_restarted(sandbox, harms_nobody):
    """Should the sandbox itself die, the next submission starts a new one"""
    starts = sandbox.starts
    os.killpg(sandbox.proc.pid, signal.SIGKILL)
    sandbox.proc.wait()
    harms_nobody()
    assert sandbox.starts == starts + 1


@pytest.mark.parametrize("content, reason", [
    (b"", "not a readable notebook"),
    (b"this is not json", "not a readable notebook"),
    (b'{"cells": [', "not a readable notebook"),
    (b"\x89PNG\r\n\x1a\n\x00\x00garbage", "not a readable notebook"),
    (b"[1, 2, 3]", "not a readable notebook"),
    (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": 7}', "notebook|cells"),
    (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [3]}', "notebook|cell 0"),
    (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": '
     b'[{"cell_type": "code", "source": 5, "metadata": {}}]}', "notebook|cell 0"),
])
def test_unreadable_notebooks_raise_value_error(tmp_path, content, reason):
    """Empty, non-JSON, truncated, binary and malformed notebooks: a
    ValueError that says why, never a crash"""
    path = tmp_path / "submission.ipynb"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=reason) as info:
        read_notebook(path)
    assert str(info.value)


class Spy:
    """A sandbox that records what grade_notebook sends"""

    def __init__(self, sandbox):
        self.sandbox, self.sent = sandbox, []
        self.limits, self.cuda = sandbox.limits, sandbox.cuda

    def run(self, request, blobs, on_event=None):
        self.sent.append(len(wire.pack(request, blobs)))
        return self.sandbox.run(request, blobs, on_event)


@needs_isolation
def test_saved_outputs_are_not_sent(sandbox, tmp_path):
    """A notebook carrying 60 MB of saved outputs: read, graded, and only its
    code goes to the sandbox"""
    nb = notebook()
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                                   text="o" * (6 << 20))]
    path = tmp_path / "huge.ipynb"
    path.write_text(json.dumps(nb))
    assert path.stat().st_size > 60 << 20
    spy = Spy(sandbox)
    result = grade_notebook(read_notebook(path), ASSIGNMENT, spy, devices=("cpu",))
    assert full_marks(result)
    assert spy.sent and spy.sent[0] < 2 << 20


@needs_isolation
def test_huge_code_is_refused(sandbox, harms_nobody):
    """3 MB of code: refused before anything runs, with a reason"""
    spy = Spy(sandbox)
    nb = notebook(after=["x = 1\n" * 500_000])
    result = grade_notebook(nb, ASSIGNMENT, spy, devices=("cpu",))
    assert spy.sent == []
    assert points(result) == 0 and "allowed" in problem(result.problems[0])
    harms_nobody()


KEEP_ALIVE = '''
import os, time
from grader.checks import wire
while True:
    for index in range(0, 80):
        for frame in ({"ev": "cell_end", "index": index, "error": None},
                      {"ev": "cell_start", "index": index}):
            try:
                os.write(3, wire.pack(frame))
            except OSError:
                pass
    time.sleep(0.5)
'''


@needs_isolation
def test_forged_events_cannot_extend_a_deadline(sandbox, harms_nobody):
    """A cell that hangs while writing `cell_end`/`cell_start` frames for
    every cell index, hoping to restart its own clock: stopped at once"""
    nb = notebook(before=[KEEP_ALIVE])
    start = time.monotonic()
    result = grade(sandbox, nb)
    assert time.monotonic() - start < 3 * LIMITS.cell_seconds + 10
    assert _cell_status(result, "time.sleep(0.5)", nb) in ("garbled", "timeout")
    assert full_marks(result)
    harms_nobody()
