"""The sandbox's seccomp filter: the kernel objects that outlive processes
are closed to everything in the sandbox

bubblewrap loads this classic-BPF program (`bwrap --seccomp FD`) before it
starts the harness, so it binds the watchdog and every student process,
and nothing in the sandbox can lift it. It refuses, with EPERM:

- SysV IPC (shared memory, message queues, semaphores) and POSIX message
  queues: they live as long as the sandbox's IPC namespace, so one
  student could leave them for the next;
- kernel keyrings (add_key, request_key, keyctl): a uid's keyrings belong
  to the host's kernel, outside every namespace, and outlive the sandbox;
- new namespaces (unshare, setns, and clone with a CLONE_NEW* flag) and
  mounts, and a few interfaces with a long history of kernel bugs that no
  exercise needs (bpf, perf_event_open, userfaultfd, io_uring, ptrace,
  process_vm_readv/writev, kexec).

clone3 answers ENOSYS, so that the C library falls back to clone, whose
flags a filter can read. A syscall of another ABI (i386 or x32 on an
x86_64 kernel) kills the process. Everything else is allowed: the filter
closes doors, it does not try to describe what Python may do.
"""
import errno
import os
import struct

# syscall numbers per machine (uname -m): x86_64 from asm/unistd_64.h,
# aarch64 from asm-generic/unistd.h
_NUMBERS = {
    "x86_64": {
        "shmget": 29, "shmat": 30, "shmctl": 31, "shmdt": 67, "semget": 64, "semop": 65,
        "semctl": 66, "semtimedop": 220, "msgget": 68, "msgsnd": 69, "msgrcv": 70,
        "msgctl": 71, "mq_open": 240, "mq_unlink": 241, "mq_timedsend": 242,
        "mq_timedreceive": 243, "mq_notify": 244, "mq_getsetattr": 245, "add_key": 248,
        "request_key": 249, "keyctl": 250, "unshare": 272, "setns": 308, "mount": 165,
        "umount2": 166, "pivot_root": 155, "chroot": 161, "open_tree": 428,
        "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
        "mount_setattr": 442, "bpf": 321, "perf_event_open": 298, "userfaultfd": 323,
        "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
        "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311,
        "kexec_load": 246, "clone": 56, "clone3": 435},
    "aarch64": {
        "shmget": 194, "shmat": 196, "shmctl": 195, "shmdt": 197, "semget": 190,
        "semop": 193, "semctl": 191, "semtimedop": 192, "msgget": 186, "msgsnd": 189,
        "msgrcv": 188, "msgctl": 187, "mq_open": 180, "mq_unlink": 181,
        "mq_timedsend": 182, "mq_timedreceive": 183, "mq_notify": 184,
        "mq_getsetattr": 185, "add_key": 217, "request_key": 218, "keyctl": 219,
        "unshare": 97, "setns": 268, "mount": 40, "umount2": 39, "pivot_root": 41,
        "chroot": 51, "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431,
        "fsmount": 432, "fspick": 433, "mount_setattr": 442, "bpf": 280,
        "perf_event_open": 241, "userfaultfd": 282, "io_uring_setup": 425,
        "io_uring_enter": 426, "io_uring_register": 427, "ptrace": 117,
        "process_vm_readv": 270, "process_vm_writev": 271, "kexec_load": 104,
        "clone": 220, "clone3": 435},
}
_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}   # AUDIT_ARCH_*
X32_BIT = 0x40000000

# what the kernel keeps beyond a process, and the door to new namespaces
REFUSED = (
    "shmget", "shmat", "shmctl", "shmdt", "semget", "semop", "semctl", "semtimedop",
    "msgget", "msgsnd", "msgrcv", "msgctl",
    "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
    "add_key", "request_key", "keyctl",
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "open_tree",
    "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "ptrace", "process_vm_readv", "process_vm_writev", "kexec_load",
)
# CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET
CLONE_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | \
    0x20000000 | 0x40000000

# classic BPF
_LD_W_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_ALLOW, _KILL_PROCESS = 0x7FFF0000, 0x80000000
_ERRNO = 0x00050000
_NR, _ARCH_OFFSET, _ARG0 = 0, 4, 16   # offsets in struct seccomp_data (arg0's low word)


def _op(code, k, jt=0, jf=0):
    return struct.pack("<HBBI", code, jt, jf, k)


def supported(machine=None):
    return (machine or os.uname().machine) in _NUMBERS


def program(machine=None):
    """The filter as bytes (struct sock_filter[]), for `bwrap --seccomp`;
    None on a machine whose syscall numbers are not known here"""
    machine = machine or os.uname().machine
    if machine not in _NUMBERS:
        return None
    nr = _NUMBERS[machine]
    eperm, enosys = _ERRNO | errno.EPERM, _ERRNO | errno.ENOSYS
    code = [_op(_LD_W_ABS, _ARCH_OFFSET),
            _op(_JEQ, _ARCH[machine], jt=1),    # another ABI: kill
            _op(_RET, _KILL_PROCESS),
            _op(_LD_W_ABS, _NR)]
    if machine == "x86_64":
        code += [_op(_JGE, X32_BIT, jf=1), _op(_RET, _KILL_PROCESS)]
    for name in REFUSED:
        code += [_op(_JEQ, nr[name], jf=1), _op(_RET, eperm)]
    code += [_op(_JEQ, nr["clone3"], jf=1), _op(_RET, enosys)]
    # clone with a namespace flag: EPERM; any other clone (fork, threads): allow
    code += [_op(_JEQ, nr["clone"], jf=3), _op(_LD_W_ABS, _ARG0),
             _op(_JSET, CLONE_NAMESPACES, jf=1), _op(_RET, eperm)]
    code += [_op(_RET, _ALLOW)]
    return b"".join(code)


def pipe_with_program(machine=None):
    """A read fd holding the program, for bwrap to read (the caller passes
    it with pass_fds and closes it after the start); None where unsupported"""
    data = program(machine)
    if data is None:
        return None
    r, w = os.pipe()
    try:
        os.write(w, data)   # a few hundred bytes: far below a pipe's buffer
    finally:
        os.close(w)
    return r
