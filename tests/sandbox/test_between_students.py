"""Between students: can one submission reach the next one graded in the
same sandbox, or leave anything behind on the host?

A sandbox grades many students in turn. Every student runs in processes
forked from a template that has never read a request (so no process of
theirs ever held another student's code, output or results), as a uid of
their own; the kernel objects that outlive processes (SysV IPC, POSIX
message queues, keyrings) are closed to student code by a seccomp filter;
everything a student wrote is removed after them, whatever its name or
depth, and a clean-up that fails restarts the sandbox before the next
student. Each test has one student try to leave something and the next
one look for it, then checks that an honest student still gets full
marks.
"""
import hashlib
import os
import uuid

import pytest

from grader.checks.explain import problem

from grader.sandbox.launcher import Sandbox

from .corpus import LIMITS, full_marks, grade, markers, needs_isolation, notebook

pytestmark = needs_isolation

# --- memory: the previous student's code, output and results ------------------

# Student A's code and output, spread over many cells and lines of
# different lengths, as a real notebook's are (a single cell may land in
# memory that is handed back to the system when freed)
def leave_in_memory(code_token, out_token):
    cells = [f"# QZXVMARK{code_token}" + " " * (i * 7 % 600) + f"\nv{i} = {i}\n"
             for i in range(400)]
    cells.append(f"for i in range(200):\n    print('QZXVMARK{out_token}' + ' ' * (i * 13 % 700))")
    return cells

# Scans every readable anonymous mapping of its own process (numpy's
# array interface over an address: no ctypes) for "QZXVMARK" followed by
# twelve hex digits whose sha256 is one it was given. It never holds the
# tokens themselves, so it cannot find its own copy.
SCAN_MEMORY = '''
import hashlib, re
import numpy as np

WANTED = {wanted}


class _At:
    def __init__(self, address, size):
        self.__array_interface__ = {{"data": (address, True), "shape": (size,),
                                    "typestr": "|u1", "version": 3}}


def _regions():
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            if not parts[1].startswith("r"):
                continue
            path = parts[5] if len(parts) > 5 else ""
            if path and path not in ("[heap]", "[stack]"):
                continue  # files (a read past their end is SIGBUS) and [vvar]
            low, high = (int(x, 16) for x in parts[0].split("-"))
            if high - low <= (1 << 30):
                yield low, high - low


found = set()
for address, size in _regions():
    data = np.asarray(_At(address, size)).tobytes()
    for m in re.finditer(rb"QZXVMARK([0-9a-f]{{12}})", data):
        digest = hashlib.sha256(m.group(1)).hexdigest()
        if digest in WANTED:
            found.add(WANTED[digest])
print("SCANNED", flush=True)
for what in sorted(found):
    print("LEAKED", what, flush=True)
'''


def test_no_process_holds_the_previous_students_code_or_output(sandbox, harms_nobody):
    """Student A's code and printed output are somewhere in the memory of
    the processes that graded A; student B scans the memory of its own
    process for them (the previous student's `def local_pool(` is found the
    same way)"""
    code_token, out_token = uuid.uuid4().hex[:12], uuid.uuid4().hex[:12]
    first = grade(sandbox, notebook(after=leave_in_memory(code_token, out_token)))
    assert full_marks(first)
    wanted = {hashlib.sha256(code_token.encode()).hexdigest(): "code",
              hashlib.sha256(out_token.encode()).hexdigest(): "output"}
    second = grade(sandbox, notebook(after=[SCAN_MEMORY.format(wanted=wanted)]))
    assert markers(second, "SCANNED"), second.output.text[-2000:]
    assert not markers(second, "LEAKED"), markers(second, "LEAKED")
    assert full_marks(second)
    harms_nobody()


# --- files: nothing is kept by name, however deep ------------------------------

LEAVE_BY_NAME = '''
import os
for top in ("/tmp", "/scratch"):
    for name in (".watchdog", ".zygote", "work", ".ipython", "lost+found"):
        path = os.path.join(top, name)
        try:
            os.makedirs(path, exist_ok=True)
            with open(os.path.join(path, "QZXVLEFT{token}"), "w") as f:
                f.write("answers")
            print("LEFT", path, flush=True)
        except OSError as exc:
            print("REFUSED", path, type(exc).__name__, flush=True)
'''
LOOK_FOR_FILES = '''
import os
for top in ("/tmp", "/scratch", "/dev/shm"):
    for root, dirs, files in os.walk(top):
        for name in files + dirs:
            if "QZXVLEFT" in name:
                print("FOUND", os.path.join(root, name), flush=True)
print("LOOKED", flush=True)
'''


def test_no_file_is_kept_by_its_name(sandbox, harms_nobody):
    """Files left under the names the grader itself uses (`.zygote`, the
    working folder, IPython's) are gone for the next student"""
    token = uuid.uuid4().hex[:12]
    first = grade(sandbox, notebook(after=[LEAVE_BY_NAME.replace("{token}", token)]))
    assert markers(first, "LEFT")
    second = grade(sandbox, notebook(after=[LOOK_FOR_FILES]))
    assert markers(second, "LOOKED")
    assert not markers(second, "FOUND"), markers(second, "FOUND")
    harms_nobody()


DEEP_TREE = '''
import os
os.chdir("{top}")
for i in range({depth}):
    os.mkdir("d" * 200)             # paths far beyond PATH_MAX
    os.chdir("d" * 200)
with open("QZXVLEFT{token}", "w") as f:
    f.write("answers")
for i in range(5):                  # locked on the way back up
    os.chdir("..")
    os.chmod("d" * 200, 0)
print("DEEP", {depth}, flush=True)
'''


@pytest.mark.parametrize("top,depth", [("/scratch", 1500), ("/tmp", 3000)])
def test_a_deep_locked_tree_breaks_no_later_student(sandbox, harms_nobody, top, depth):
    """A tree deeper than Python's recursion limit and than PATH_MAX, with
    locked directories, in each writable place: the clean-up removes it or
    restarts the sandbox, and every later student is graded as usual"""
    token = uuid.uuid4().hex[:12]
    first = grade(sandbox, notebook(after=[DEEP_TREE.format(top=top, depth=depth,
                                                            token=token)]))
    assert markers(first, "DEEP")
    second = grade(sandbox, notebook(after=[LOOK_FOR_FILES]))
    assert not markers(second, "FOUND"), markers(second, "FOUND")
    assert full_marks(second), {k: v.message[:200] for k, v in second.verdicts.items()
                                if not v.passed}
    harms_nobody()
    harms_nobody()


MANY_FILES = '''
import os
os.makedirs("/tmp/many", exist_ok=True)
for i in range(30000):
    open(f"/tmp/many/QZXVLEFT{i}", "w").close()
print("MANY", flush=True)
'''


def test_a_clean_up_that_fails_restarts_the_sandbox():
    """A clean-up that cannot finish in its time (here a tenth of a second
    against thirty thousand files) is reported with the submission that
    left the mess, and the next student is graded in a fresh sandbox"""
    import dataclasses
    sb = Sandbox(dataclasses.replace(LIMITS, cleanup_seconds=0.1))
    try:
        starts = sb.starts
        first = grade(sb, notebook(after=[MANY_FILES]))
        assert markers(first, "MANY")
        assert any("could not be cleaned" in problem(p) for p in first.problems), first.problems
        second = grade(sb, notebook(after=[LOOK_FOR_FILES]))
        assert sb.starts == starts + 1
        assert not markers(second, "FOUND")
        assert full_marks(second)
    finally:
        sb.close()


def test_many_files_are_removed(sandbox, harms_nobody):
    """Thirty thousand files in one folder"""
    first = grade(sandbox, notebook(after=[MANY_FILES]))
    assert markers(first, "MANY")
    second = grade(sandbox, notebook(after=[LOOK_FOR_FILES]))
    assert not markers(second, "FOUND")
    harms_nobody()


# --- kernel objects that outlive processes ------------------------------------

SYSV_LEAVE = '''
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
key = 0x5A5A0000 + {n}
shm = libc.shmget(key, 4096, 0o1000 | 0o666)          # IPC_CREAT
if shm < 0:
    print("REFUSED shm", ctypes.get_errno(), flush=True)
else:
    at = libc.shmat(shm, None, 0)
    ctypes.memmove(at, b"QZXVLEFT-shm", 12)
    print("LEFT shm", flush=True)
msq = libc.msgget(key, 0o1000 | 0o666)
if msq < 0:
    print("REFUSED msg", ctypes.get_errno(), flush=True)
else:
    class Msg(ctypes.Structure):
        _fields_ = [("mtype", ctypes.c_long), ("text", ctypes.c_char * 32)]
    libc.msgsnd(msq, ctypes.byref(Msg(1, b"QZXVLEFT-msg")), 32, 0)
    print("LEFT msg", flush=True)
sem = libc.semget(key, 1, 0o1000 | 0o666)
print("REFUSED sem" if sem < 0 else "LEFT sem", flush=True)
'''
SYSV_LOOK = '''
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
key = 0x5A5A0000 + {n}
shm = libc.shmget(key, 0, 0)
if shm >= 0:
    at = libc.shmat(shm, None, 0)
    print("FOUND shm", ctypes.string_at(at, 12), flush=True)
msq = libc.msgget(key, 0)
if msq >= 0:
    print("FOUND msg", flush=True)
if libc.semget(key, 0, 0) >= 0:
    print("FOUND sem", flush=True)
for kind in ("shm", "sem", "msg"):
    with open(f"/proc/sysvipc/{{kind}}") as f:
        if len(f.read().splitlines()) > 1:
            print("FOUND in /proc/sysvipc", kind, flush=True)
print("LOOKED", flush=True)
'''


def test_sysv_ipc_carries_nothing_to_the_next_student(sandbox, harms_nobody):
    """Shared memory, a message queue and a semaphore set made by one
    student (they live as long as the sandbox's IPC namespace)"""
    n = int(uuid.uuid4().hex[:4], 16)
    first = grade(sandbox, notebook(after=[SYSV_LEAVE.format(n=n)]))
    assert full_marks(first)
    second = grade(sandbox, notebook(after=[SYSV_LOOK.format(n=n)]))
    assert markers(second, "LOOKED")
    assert not markers(second, "FOUND"), markers(second, "FOUND")
    harms_nobody()


MQUEUE_LEAVE = '''
import ctypes, os
rt = ctypes.CDLL("librt.so.1", use_errno=True)
q = rt.mq_open(b"/qzxv-{n}", os.O_CREAT | os.O_RDWR, 0o666, None)
if q < 0:
    print("REFUSED mq", ctypes.get_errno(), flush=True)
else:
    rt.mq_send(q, b"QZXVLEFT-mq", 11, 0)
    print("LEFT mq", flush=True)
'''
MQUEUE_LOOK = '''
import ctypes, os
rt = ctypes.CDLL("librt.so.1", use_errno=True)
q = rt.mq_open(b"/qzxv-{n}", os.O_RDWR, 0, None)
if q >= 0:
    buf = ctypes.create_string_buffer(8192)
    rt.mq_receive(q, buf, 8192, None)
    print("FOUND mq", buf.value, flush=True)
print("LOOKED", flush=True)
'''


def test_posix_message_queues_carry_nothing(sandbox, harms_nobody):
    """A POSIX message queue (it lives in the IPC namespace too)"""
    n = uuid.uuid4().hex[:8]
    grade(sandbox, notebook(after=[MQUEUE_LEAVE.format(n=n)]))
    second = grade(sandbox, notebook(after=[MQUEUE_LOOK.format(n=n)]))
    assert markers(second, "LOOKED")
    assert not markers(second, "FOUND"), markers(second, "FOUND")
    harms_nobody()


KEYS = '''
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
SYS_add_key, SYS_request_key, SYS_keyctl = {numbers}
KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING = -4, -5
'''
KEYS_LEAVE = KEYS + '''
for ring in (KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING):
    k = libc.syscall(SYS_add_key, b"user", b"qzxv-{n}", b"QZXVLEFT-key", 12, ring)
    print("LEFT key" if k >= 0 else f"REFUSED key {{ctypes.get_errno()}}", flush=True)
'''
KEYS_LOOK = KEYS + '''
k = libc.syscall(SYS_request_key, b"user", b"qzxv-{n}", None, 0)
if k >= 0:
    buf = ctypes.create_string_buffer(64)
    libc.syscall(SYS_keyctl, 11, k, buf, 64)  # KEYCTL_READ
    print("FOUND key", buf.value, flush=True)
print("LOOKED", flush=True)
'''


def _key_numbers():
    machine = os.uname().machine
    return {"x86_64": (248, 249, 250), "aarch64": (217, 218, 219)}.get(machine)


def _key_users():
    try:
        with open("/proc/key-users") as f:
            return {int(line.split(":")[0]) for line in f if line.strip()}
    except OSError:
        return set()


def test_kernel_keyrings_carry_nothing_and_nothing_stays_on_the_host(harms_nobody):
    """A key in the student uid's user keyrings (keyed by uid, outside every
    namespace the sandbox makes, and kept by the host's kernel): the next
    student cannot find it, and once the sandbox is closed no student uid
    has keys on the host"""
    numbers = _key_numbers()
    if numbers is None:
        pytest.skip(f"key syscall numbers known for x86_64 and aarch64, not {os.uname().machine}")
    n = uuid.uuid4().hex[:8]
    sb = Sandbox(LIMITS)
    try:
        grade(sb, notebook(after=[KEYS_LEAVE.format(numbers=numbers, n=n)]))
        second = grade(sb, notebook(after=[KEYS_LOOK.format(numbers=numbers, n=n)]))
        assert markers(second, "LOOKED")
        assert not markers(second, "FOUND"), markers(second, "FOUND")
        uids = set(sb.student_uids)
    finally:
        sb.close()
    assert not uids & _key_users(), f"keys left on the host for {sorted(uids & _key_users())}"


ABSTRACT_LEAVE = '''
import os, socket, time
if os.fork() == 0:
    os.setsid()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind("\\0qzxv-{n}")
    s.listen(4)
    while True:
        c, _ = s.accept()
        c.sendall(b"QZXVLEFT-socket")
        c.close()
time.sleep(0.2)
print("LEFT socket", flush=True)
'''
ABSTRACT_LOOK = '''
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect("\\0qzxv-{n}")
    print("FOUND socket", s.recv(64), flush=True)
except OSError as exc:
    print("BLOCKED", type(exc).__name__, flush=True)
print("LOOKED", flush=True)
'''


def test_abstract_sockets_carry_nothing(sandbox, harms_nobody):
    """A daemon serving answers on an abstract unix socket (the network
    namespace lives as long as the sandbox)"""
    n = uuid.uuid4().hex[:8]
    first = grade(sandbox, notebook(after=[ABSTRACT_LEAVE.format(n=n)]))
    assert markers(first, "LEFT socket")
    second = grade(sandbox, notebook(after=[ABSTRACT_LOOK.format(n=n)]))
    assert markers(second, "LOOKED")
    assert not markers(second, "FOUND"), markers(second, "FOUND")
    harms_nobody()


WHO_AM_I = '''
import os
print("UID", os.getuid(), flush=True)
'''


def test_each_student_runs_as_a_uid_of_their_own(sandbox):
    """Two students in a row never share a uid (per-uid kernel state: limits,
    keyrings, file ownership)"""
    first = grade(sandbox, notebook(after=[WHO_AM_I]))
    second = grade(sandbox, notebook(after=[WHO_AM_I]))
    a, b = markers(first, "UID")[0].split()[1], markers(second, "UID")[0].split()[1]
    assert a != b
    assert int(a) not in (0, sandbox.uid) and int(b) not in (0, sandbox.uid)
