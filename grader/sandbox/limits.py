"""What a submission may use, and how to change it

Defaults suit the course's exercises (small tensors, loop-based answers).
Change them with `grader autograde --memory-mb N --call-seconds S
--cell-seconds S --notebook-seconds S`, or any field with
`autograde(..., limits={...})`. Every limit is enforced by the sandbox's
watchdog or the kernel, never by code that runs beside the student's
(grader/SECURITY.md has the table).
"""
from dataclasses import asdict, dataclass


@dataclass
class Limits:
    memory_mb: int = 3072          # address space per process (RLIMIT_AS)
    sandbox_memory_mb: int = 6144  # memory of the whole sandbox (cgroup, where available)
    cpu_seconds: int = 60          # CPU time per process (RLIMIT_CPU)
    cell_seconds: float = 10.0     # wall time for one notebook cell
    call_seconds: float = 5.0     # wall time for one call of a function
    function_seconds: float = 30.0  # wall time for all calls of one function
    notebook_seconds: float = 180.0  # wall time for the whole submission
    processes: int = 64            # processes and threads of student code (RLIMIT_NPROC)
    file_mb: int = 64              # largest file it may write (RLIMIT_FSIZE)
    scratch_mb: int = 256          # its writable scratch space and /tmp (tmpfs, each)
    result_mb: int = 64            # data it may send back, per submission
    restarts: int = 8              # cells skipped after a hang or crash
    cleanup_seconds: float = 30.0  # removing what a student left; past it, a fresh sandbox

    def for_harness(self, memory=True):
        return {"memory_bytes": self.memory_mb << 20 if memory else None,
                "cpu_seconds": self.cpu_seconds, "cell_seconds": self.cell_seconds,
                "call_seconds": self.call_seconds,
                "function_seconds": self.function_seconds,
                "notebook_seconds": self.notebook_seconds,
                "processes": self.processes, "file_bytes": self.file_mb << 20,
                "result_bytes": self.result_mb << 20, "restarts": self.restarts,
                "cleanup_seconds": self.cleanup_seconds, "open_files": 256}

    def as_dict(self):
        return asdict(self)
