"""A small progress line for long-running graph commands (written to stderr)."""

import sys
import time


class Progress:
    """Print ``label: done/total (rate/s)`` at most a few times a second, then a final line."""

    def __init__(self, label: str, total: int | None = None, stream=None, every: float = 0.5):
        self.label, self.total, self.stream, self.every = label, total, stream or sys.stderr, every
        self.done = 0
        self.started = self.last = time.monotonic()

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self.stream.write(f"\r{self.line(now)}")
            self.stream.flush()

    def finish(self) -> None:
        self.stream.write(f"\r{self.line(time.monotonic())}\n")
        self.stream.flush()

    def line(self, now: float) -> str:
        rate = self.done / max(now - self.started, 1e-9)
        of_total = f"/{self.total}" if self.total is not None else ""
        return f"{self.label}: {self.done}{of_total} ({rate:,.0f}/s)"
