"""A step's time limit: SIGALRM where signals work (a worker's main thread)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

from patterns.steps import StepTimeoutError


class _Alarm(BaseException):
    """Raised by SIGALRM inside a step; a BaseException so no step swallows it."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` where signals allow it (the main thread).

    Elsewhere the caller measures the elapsed time afterwards; the step's transaction is
    rolled back either way, so a timed-out step leaves nothing behind.
    """
    usable = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    if not usable or seconds <= 0:
        yield
        return

    def interrupt(signum, frame):
        raise _Alarm()

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Alarm:
        raise StepTimeoutError() from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
