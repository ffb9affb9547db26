"""Who a sandbox process runs as: dropping to a student's uid with no
capabilities, and the prctl switches the watchdog relies on

Trusted code, used by the template (T) when it starts a student process
and by the watchdog's clean-up helpers; never by student code.
"""
import ctypes
import os
import sys

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 1, 4, 36
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4


def prctl(option, arg=0):
    return _libc.prctl(ctypes.c_int(option), ctypes.c_ulong(arg), ctypes.c_ulong(0),
                       ctypes.c_ulong(0), ctypes.c_ulong(0))


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def become(uid):
    """Drop to `uid` (and its own gid) with no capabilities; False when we
    cannot. From a non-root uid the kernel keeps our capabilities across
    setuid, so they are dropped explicitly."""
    if uid is None:
        return False
    if os.getuid() != uid:
        try:
            try:
                os.setgroups([])
            except PermissionError:
                pass
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
        except PermissionError:
            return False
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    header = _CapHeader(0x20080522, 0)
    data = (_CapData * 2)()
    if _libc.capset(ctypes.byref(header), data) != 0:
        return False
    return os.getuid() == uid and not has_capabilities()


def has_capabilities():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(("CapEff:", "CapPrm:", "CapAmb:")) and int(line.split()[1], 16):
                    return True
    except OSError:
        pass
    return False


def probe_separation(uid, readable=()):
    """Can student code run as `uid`, apart from us, and still read Python
    and `readable`? Checked once, in a fork."""
    if uid is None:
        return False
    pid = os.fork()
    if pid == 0:
        ok = False
        try:
            import sysconfig
            ok = become(uid) and all(
                os.access(path, os.R_OK | os.X_OK)
                for path in (sys.prefix, sys.base_prefix, sysconfig.get_paths()["stdlib"],
                             sysconfig.get_paths()["purelib"], *readable))
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def in_child_as(uid, work, timeout=None):
    """Run work() in a forked child that has become `uid` (None: stays as
    we are); the child's exit code (0: work returned True), or 124 when it
    ran past `timeout` seconds (then it is killed)"""
    import select
    import signal
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            if uid is None or become(uid):
                code = 0 if work() else 1
        except BaseException:  # noqa: BLE001  (a child never returns to the caller)
            code = 1
        finally:
            os._exit(code)
    if timeout is not None:
        fd = os.pidfd_open(pid)
        try:
            if not select.select([fd], [], [], timeout)[0]:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return 124
        finally:
            os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1
