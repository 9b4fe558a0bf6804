"""How the engine commits: one transaction per step (with its record and its events), and
optionally without waiting for the disk (``PATTERNS_SYNCHRONOUS_COMMIT``)."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from django.conf import settings
from django.db import connection, transaction


def synchronous_commit() -> bool:
    """False: the engine's commits do not wait for the disk (PostgreSQL only, opt-in)."""
    return bool(getattr(settings, "PATTERNS_SYNCHRONOUS_COMMIT", True))


@contextlib.contextmanager
def engine_transaction() -> Iterator[None]:
    """One transaction of the engine: a step with its record and events, a lease, a finish.

    With ``PATTERNS_SYNCHRONOUS_COMMIT`` off, PostgreSQL acknowledges its commit before the
    WAL reaches the disk. Each transaction stays all or nothing; a database crash can lose
    the last fraction of a second of them, and the run then resumes before the lost step.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if (
            outermost
            and not _relaxed_session.get()
            and connection.vendor == "postgresql"
            and not synchronous_commit()
        ):
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


_relaxed_session: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "patterns_relaxed_session", default=False
)


@contextlib.contextmanager
def relaxed_commits() -> Iterator[None]:
    """For one run, turn off waiting for the disk once per session instead of per transaction.

    Only with ``PATTERNS_SYNCHRONOUS_COMMIT`` off, on PostgreSQL, outside any transaction;
    the setting is reset afterwards so the connection goes back to the pool as it came.
    """
    if (
        synchronous_commit()
        or connection.vendor != "postgresql"
        or connection.in_atomic_block
        or _relaxed_session.get()
    ):
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    token = _relaxed_session.set(True)
    try:
        yield
    finally:
        _relaxed_session.reset(token)
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")
