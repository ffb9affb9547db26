"""After a student: no process, file or kernel object of theirs is left

Trusted code of the watchdog (Z). A helper that has become the student's
uid kills all their processes at once (kill(-1): the kernel applies it to
every process of the uid in one go, so a fork storm cannot outrun it),
waits until none runs, and removes their files; then Z kills anything
else left, one by one, with its CAP_KILL. Files are removed as the
student's uid, so that the helper can
remove whatever the student made, however locked (the student owns it),
and nothing else: the grader's own entries belong to another uid and
survive by ownership, never by name. The removal never recurses and never
builds a long path: each directory's subdirectories are moved up to the
top of the writable place, its files unlinked, then it is removed, all
relative to open directory descriptors, so a tree deeper than Python's
recursion limit or than PATH_MAX costs nothing special. What is left must
be exactly what was there when the sandbox started; anything else (or a
removal that runs past its time) is a failed clean-up, and the watchdog
then restarts the whole sandbox before the next student.
"""
import json
import os
import signal
import socket
import stat
import time
import uuid

from grader.sandbox.inside import privileges
from grader.sandbox.procs import descendants, proc_table

WIPE_SECONDS = 30
_IPC = ("/proc/sysvipc/shm", "/proc/sysvipc/sem", "/proc/sysvipc/msg")


def kill_all(spare, pidns=True):
    """Kill every process of the sandbox but `spare` (our own pid, the
    template's) and the namespace's init, and reap what is ours to reap;
    True when none is left. (The student's processes are killed first and
    at once by `wipe_as`; this catches anything else.)"""
    me = os.getpid()
    keep = set(spare) | {me, 1}
    for _ in range(400):
        table = proc_table()
        if pidns:  # everything in our pid namespace is the sandbox's
            victims = set(table) - keep
        else:
            victims = set(descendants(table, me)) - keep
        alive = [pid for pid in victims if table.get(pid, (0, "Z"))[1] not in "ZX"]
        for pid in alive:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        reap()
        if not alive:
            return True
        time.sleep(0.005)
    return False


def _kill_everything_i_can():
    try:
        os.kill(-1, signal.SIGKILL)  # every process of this uid but us, atomically
    except ProcessLookupError:
        pass


def reap():
    """Collect every child of ours that has ended (we are the subreaper)"""
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                return
        except ChildProcessError:
            return


def snapshot(places):
    """What the writable places hold before any student: {place: {name:
    (inode, uid)}} (the grader's own entries)"""
    return {place: _entries(place) for place in places}


def _entries(place):
    out = {}
    try:
        with os.scandir(place) as it:
            for entry in it:
                st = entry.stat(follow_symlinks=False)
                out[entry.name] = (st.st_ino, st.st_uid)
    except OSError:
        pass
    return out


def wipe_as(uid, baseline, seconds=WIPE_SECONDS):
    """As `uid` (a helper that becomes it): kill every process of that uid
    and wait until none is running, then remove everything in the places
    of `baseline` that is not part of it. False when it could not, or took
    longer than `seconds`."""
    return privileges.in_child_as(uid, lambda: _as_student(uid, baseline), seconds) == 0


def wipe(place, keep=frozenset()):
    """Remove every entry of `place` that we own, at any depth (see the
    module doc: no recursion, no long paths), but the top-level entries in
    `keep`, known by (name, inode): the grader's own, when student code runs
    as the grader's uid"""
    me = os.getuid()
    root = os.open(place, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        while True:
            with os.scandir(root) as it:
                mine = []
                for e in it:
                    st = e.stat(follow_symlinks=False)
                    if st.st_uid == me and (e.name, st.st_ino) not in keep:
                        mine.append((e.name, e.is_dir(follow_symlinks=False)))
            if not mine:
                return
            for name, is_dir in mine:
                if is_dir:
                    _empty_and_remove(root, name)
                else:
                    os.unlink(name, dir_fd=root)
    finally:
        os.close(root)


def _empty_and_remove(root, name):
    """Move the subdirectories of root/name up into root (they are removed
    on the next round), unlink its other entries, remove it"""
    mode = os.stat(name, dir_fd=root, follow_symlinks=False).st_mode
    if stat.S_IMODE(mode) & 0o700 != 0o700:
        os.chmod(name, 0o700, dir_fd=root)  # a locked directory of ours
    fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=root)
    try:
        while True:
            with os.scandir(fd) as it:
                entries = [(e.name, e.is_dir(follow_symlinks=False)) for e in it]
            if not entries:
                break
            for child, is_dir in entries:
                if is_dir:
                    os.rename(child, f".grader-wipe-{uuid.uuid4().hex}", src_dir_fd=fd,
                              dst_dir_fd=root)
                else:
                    os.unlink(child, dir_fd=fd)
    finally:
        os.close(fd)
    os.rmdir(name, dir_fd=root)


def clean(uid, spare, baseline, pidns, seconds=WIPE_SECONDS, cleaner=None):
    """After (or before a restart of) a student: their processes killed,
    their files gone from the places of `baseline`; the problems, as
    sentences (empty: clean). uid None: student code runs as we do (no
    isolation), so we kill first and remove all but the baseline. With a
    `Cleaner`, its small process does the removal (cheaper to fork)."""
    problems = []
    wipe_with = cleaner.wipe if cleaner is not None else wipe_as
    if uid is not None:
        wiped = wipe_with(uid, baseline, seconds)
        killed = kill_all(spare, pidns)
    else:
        killed = kill_all(spare, pidns)
        wiped = wipe_with(None, baseline, seconds)
    if not killed:
        problems.append("processes of the student could not be killed")
    if not wiped:
        problems.append("the student's files could not be removed in time")
    return problems


def _as_student(uid, baseline):
    """In a helper that has become `uid`: kill all its processes, wait until
    none runs, remove what is not in the baseline"""
    if uid is not None:
        _kill_everything_i_can()
        me = os.getpid()
        while any(row[2] == uid and row[1] not in "ZX" and pid != me
                  for pid, row in proc_table().items()):
            time.sleep(0.001)
    return _wipe_all(baseline)


class Cleaner:
    """A small process that does the clean-ups: forked before torch is
    imported, it costs a fraction of a millisecond to fork, where a fork of
    the watchdog (torch loaded and warmed) costs about 25 ms of every
    submission. For each clean-up it forks a helper that becomes the
    student's uid (see `wipe_as`). It runs as the watchdog's uid, reads
    only a uid and the baseline, and dies with the watchdog."""

    def __init__(self):
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.pid = os.fork()
        if self.pid == 0:
            code = 70
            try:
                self.sock.close()
                _serve(theirs)
                code = 0
            finally:
                os._exit(code)
        theirs.close()

    def wipe(self, uid, baseline, seconds):
        """Like `wipe_as` (uid None: as we are), done by the cleaner's helper"""
        request = {"uid": uid, "seconds": seconds,
                   "baseline": {place: [[name, key[0], key[1]] for name, key in before.items()]
                                for place, before in baseline.items()}}
        try:
            self.sock.send(json.dumps(request).encode())
            return self.sock.recv(16) == b"ok"
        except OSError:
            return False


def _serve(sock):
    privileges.prctl(privileges.PR_SET_DUMPABLE, 0)
    privileges.prctl(privileges.PR_SET_PDEATHSIG, signal.SIGKILL)
    keep = sock.fileno()
    for fd in range(0, 256):
        if fd not in (keep, 2):
            try:
                os.close(fd)
            except OSError:
                pass
    while True:
        data = sock.recv(1 << 20)
        if not data:
            return
        try:
            request = json.loads(data)
            uid = request["uid"]
            baseline = {place: {name: (ino, owner) for name, ino, owner in rows}
                        for place, rows in request["baseline"].items()}
            done = privileges.in_child_as(uid, lambda: _as_student(uid, baseline),
                                          float(request["seconds"])) == 0
        except Exception:  # noqa: BLE001  (a bad request: not done)
            done = False
        sock.send(b"ok" if done else b"failed")


def _wipe_all(baseline):
    for place, before in baseline.items():
        wipe(place, frozenset((name, key[0]) for name, key in before.items()))
    return True


def leftovers(baseline):
    """What is in the writable places or the IPC namespace beyond what was
    there before any student, as sentences (empty: clean)"""
    found = []
    for place, before in baseline.items():
        now = _entries(place)
        extra = sorted(name for name, key in now.items() if before.get(name) != key)
        if extra:
            shown = ", ".join(extra[:5]) + (" ..." if len(extra) > 5 else "")
            found.append(f"{len(extra)} entries left in {place} ({shown})")
    for path in _IPC:
        try:
            with open(path) as f:
                rows = len(f.read().splitlines()) - 1
        except OSError:
            continue
        if rows > 0:
            found.append(f"{rows} SysV IPC objects left ({os.path.basename(path)})")
    return found
