"""A one-line progress display for long runs (a line per step when not a tty)"""
import sys
import time


class Progress:
    def __init__(self, total, label, out=None, quiet=False):
        self.total, self.label, self.done = total, label, 0
        self.out = out or sys.stderr
        self.quiet = quiet
        self.tty = hasattr(self.out, "isatty") and self.out.isatty()
        self.start = time.monotonic()
        if not quiet and total:
            self._show("starting")

    def step(self, note=""):
        self.done += 1
        if not self.quiet:
            self._show(note)

    def _show(self, note):
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        bar = "#" * filled + "." * (width - filled)
        elapsed = time.monotonic() - self.start
        rate = f"{elapsed / self.done:.1f} s each" if self.done else ""
        line = f"{self.label} [{bar}] {self.done}/{self.total} {rate} {note}".rstrip()
        if self.tty:
            self.out.write("\r\033[K" + line)
        else:
            self.out.write(line + "\n")
        self.out.flush()

    def close(self):
        if not self.quiet and self.tty and self.total:
            self.out.write("\n")
            self.out.flush()
