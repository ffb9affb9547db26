"""A memory and process cap on the whole sandbox, where the machine lets us
make a cgroup (v2, or v1's memory and pids controllers)"""
import os
import random
import time
from pathlib import Path

from grader.sandbox.stale import sweep_stale


class Cgroup:
    """A memory and process cap on the whole sandbox, where the machine lets
    us make one (cgroup v2, or v1's memory and pids controllers); a no-op
    elsewhere (`active` is False), leaving the per-process rlimits"""

    def __init__(self, memory_mb, processes):
        self.paths = []
        name = f"grader-sandbox-{os.getpid()}-{random.randrange(1 << 30):x}"
        if os.geteuid() != 0 or not memory_mb:
            return
        try:
            self._v2(name, memory_mb, processes) or self._v1(name, memory_mb, processes)
        except OSError:
            self.close()
            self.paths = []

    @property
    def active(self):
        return bool(self.paths)

    def _own(self, controller):
        """Our own cgroup's directory under a v1 controller"""
        try:
            with open("/proc/self/cgroup") as f:
                for line in f:
                    _, names, path = line.rstrip("\n").split(":", 2)
                    if controller in names.split(","):
                        return Path("/sys/fs/cgroup") / controller / path.lstrip("/")
        except OSError:
            pass
        return None

    def _v2(self, name, memory_mb, processes):
        root = Path("/sys/fs/cgroup")
        if not (root / "cgroup.controllers").exists():
            return False
        controllers = (root / "cgroup.controllers").read_text().split()
        if "memory" not in controllers:
            return False
        with open("/proc/self/cgroup") as f:
            own = next((ln.split("::", 1)[1].strip() for ln in f if ln.startswith("0::")), "/")
        parent = root / own.lstrip("/")
        sweep_stale(parent, "grader-sandbox-", os.rmdir)
        path = parent / name
        path.mkdir()
        self.paths.append(path)
        (path / "memory.max").write_text(str(memory_mb << 20))
        try:
            (path / "memory.swap.max").write_text("0")
            (path / "pids.max").write_text(str(processes))
        except OSError:
            pass
        return True

    def _v1(self, name, memory_mb, processes):
        memory = self._own("memory")
        if memory is None or not (memory / "memory.limit_in_bytes").exists():
            return False
        sweep_stale(memory, "grader-sandbox-", os.rmdir)
        path = memory / name
        path.mkdir()
        self.paths.append(path)
        (path / "memory.limit_in_bytes").write_text(str(memory_mb << 20))
        pids = self._own("pids")
        if pids is not None and pids.is_dir():
            try:
                sweep_stale(pids, "grader-sandbox-", os.rmdir)
                path = pids / name
                path.mkdir()
                self.paths.append(path)
                (path / "pids.max").write_text(str(processes))
            except OSError:
                pass
        return True

    def wrap(self, cmd):
        """cmd, entering the cgroup before it starts (no window for escape)"""
        if not self.paths:
            return cmd
        procs = " ".join(f"'{p / 'cgroup.procs'}'" for p in self.paths)
        return ["/bin/sh", "-c", f'for f in {procs}; do echo $$ > "$f" || exit 97; done; '
                                 f'exec "$@"', "sh", *cmd]

    def close(self):
        for path in reversed(self.paths):
            for _ in range(50):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # processes still leaving
                    time.sleep(0.02)
