"""A one-line progress display for long runs (a line per step when not a tty)

    autograde pooling [######..................] 6/24 1.8/s ETA 10s ada 52/58
"""
import sys
import time


class Progress:
    def __init__(self, total, label, out=None, quiet=False):
        self.total, self.label, self.done = total, label, 0
        self.out = out or sys.stderr
        self.quiet = quiet
        self.tty = hasattr(self.out, "isatty") and self.out.isatty()
        self.start = time.monotonic()
        self.first = None          # when the first step came (start-up before it)
        self.last_shown = 0.0
        if not quiet and total:
            self._show("starting")

    def note(self, text):
        """Say what is happening before the first step (e.g. workers starting)"""
        if not self.quiet and self.total:
            self._show(text)

    def step(self, note=""):
        self.done += 1
        now = time.monotonic()
        if self.first is None:
            self.first = now
        if self.quiet:
            return
        # on a terminal, at most 10 redraws a second; in a log, every step
        if self.tty and self.done < self.total and now - self.last_shown < 0.1:
            return
        self._show(note)

    def rate(self):
        """Steps per second since the first one (start-up excluded)"""
        if self.first is None or self.done < 2:
            return None
        elapsed = time.monotonic() - self.first
        return (self.done - 1) / elapsed if elapsed > 0 else None

    def _show(self, note):
        self.last_shown = time.monotonic()
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        bar = "#" * filled + "." * (width - filled)
        rate = self.rate()
        speed = ""
        if rate:
            left = (self.total - self.done) / rate
            speed = f"{rate:.2f}/s ETA {_duration(left)}" if self.done < self.total else \
                f"{rate:.2f}/s in {_duration(time.monotonic() - self.start)}"
        line = f"{self.label} [{bar}] {self.done}/{self.total} {speed} {note}"
        line = " ".join(line.split())
        if self.tty:
            self.out.write("\r\033[K" + line)
        else:
            self.out.write(line + "\n")
        self.out.flush()

    def close(self):
        if not self.quiet and self.tty and self.total:
            self.out.write("\n")
            self.out.flush()


def _duration(seconds):
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
