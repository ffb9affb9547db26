"""T, the template: a clean copy of the watchdog that forks every student
process

The watchdog (Z) reads every student's submission and relays their
outcomes and output, so its heap, even freed, holds other students' code
and results. A process forked from it would hold them too. T is forked
from Z once, after torch is imported and warmed and the guard's snapshot
is taken, and before Z reads any request; from then on it receives only a
uid and three pipe descriptors per student (over a unix socket, as
SCM_RIGHTS) and forks S from its own, clean memory. S then reads its
request itself. T runs as the watchdog's uid, never runs student code and
never reads student data.
"""
import os
import signal
import socket
import struct

_MESSAGE = struct.Struct("<q")   # the student's uid, or -1 for none


def _reap(*_):
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                return
        except ChildProcessError:
            return


class Template:
    """Z's handle on T"""

    def __init__(self, work):
        """work: the folder student processes run in"""
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.pid = os.fork()
        if self.pid == 0:
            code = 70
            try:
                self.sock.close()
                _serve(theirs, work)
                code = 0
            finally:
                os._exit(code)
        theirs.close()

    def spawn(self, pipes, uid):
        """Fork S (running as `uid`, with `pipes`: its ends of the events,
        commands and output pipes); its pid"""
        socket.send_fds(self.sock, [_MESSAGE.pack(-1 if uid is None else uid)], list(pipes))
        reply = self.sock.recv(16)
        if len(reply) != _MESSAGE.size:
            raise RuntimeError("the template stopped answering")
        (pid,) = _MESSAGE.unpack(reply)
        if pid <= 0:
            raise RuntimeError("the template could not fork")
        return pid

    def alive(self):
        try:
            return os.waitpid(self.pid, os.WNOHANG)[0] == 0
        except ChildProcessError:
            return False


def _serve(sock, work):
    """T's loop: a uid and three descriptors in, a forked S's pid out"""
    from grader.sandbox.inside import privileges, student
    privileges.prctl(privileges.PR_SET_PDEATHSIG, signal.SIGKILL)  # dies with the watchdog
    # S is reaped as soon as it ends (and its CPU time is counted as ours)
    signal.signal(signal.SIGCHLD, _reap)
    keep = sock.fileno()
    for fd in range(0, 256):  # the grader's pipes are Z's, not ours
        if fd != keep:
            try:
                os.close(fd)
            except OSError:
                pass
    while True:
        msg, fds, _, _ = socket.recv_fds(sock, _MESSAGE.size, 3)
        if not msg:
            return
        if len(msg) != _MESSAGE.size or len(fds) != 3:
            for fd in fds:
                os.close(fd)
            sock.send(_MESSAGE.pack(0))
            continue
        (uid,) = _MESSAGE.unpack(msg)
        uid = None if uid < 0 else uid
        pid = os.fork()
        if pid == 0:
            try:
                sock.close()
                student.student_process(fds, uid, work)
            finally:
                os._exit(70)
        for fd in fds:
            os.close(fd)
        sock.send(_MESSAGE.pack(pid))
