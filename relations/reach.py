"""Each user's reach kept between requests, until the graph changes.

A user's reach (``relations.access.reachable_containers``: what they hold a live grant on and
every container below it) costs two statements and about 2 ms of Python for a member of 100
projects, and every request that filters by access needs it: a search as you type spent a
quarter of its time on it. So each process keeps it per user, stamped with the *access
version*: one number in the shared cache (Redis) that every write able to change a reach raises
once it commits (a relationship saved or deleted, or a container below another saved or
deleted: ``relations.apps``). A process reads that number once per reach (a Redis GET) and
computes the reach again when it moved.

An entry also ends at the first expiry among the user's grants, and after
``settings.REACH_CACHE_SECONDS`` whatever happens: the bound on a write no signal sees (a
queryset ``update()``, SQL by hand).

Never inside a transaction: its reads may see its own writes, which a rollback undoes without a
signal, and the writes it made must be seen by its next reads. Off where the cache is not shared
between processes (``REACH_CACHE_SECONDS`` 0, the embedded default), and whenever the cache
does not answer.
"""

import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache as cache_per_process
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

VERSION_KEY = "relations:access-version"
MAX_USERS = 10_000  # entries per process; past it the cache starts again empty
Reach = frozenset
# user id -> (access version, valid until, reach)
_entries: dict[Any, tuple[int, datetime, Reach]] = {}


def lifetime() -> int:
    return int(getattr(settings, "REACH_CACHE_SECONDS", 0))


def current_version() -> int | None:
    """Return the access version, starting it at a random number when the cache has none
    (never one an old entry holds); None when the cache does not answer."""
    try:
        version = cache.get(VERSION_KEY)
        if version is None:
            cache.add(VERSION_KEY, secrets.randbelow(2**62), timeout=None)
            version = cache.get(VERSION_KEY)
    except Exception:  # the cache is an optimisation: without it, compute every time
        logger.warning("the access version could not be read; reach not cached", exc_info=True)
        return None
    return version


def cached_reach(user_id, compute: Callable[[], tuple[Reach, datetime | None]]) -> Reach:
    """Return ``user_id``'s reach from this process's entry while the access version holds,
    else ``compute()`` it: (reach, first expiry of a grant or None) and keep it."""
    if lifetime() <= 0 or connection.in_atomic_block:
        return compute()[0]
    version = current_version()
    if version is None:
        return compute()[0]
    now = timezone.now()
    entry = _entries.get(user_id)
    if entry is not None and entry[0] == version and now < entry[1]:
        return entry[2]
    # The version is read before the graph: a change committed in between is read now and
    # kept under the old number, which that change's raise then retires.
    reach, first_expiry = compute()
    until = now + timedelta(seconds=lifetime())
    if first_expiry is not None:
        until = min(until, first_expiry)
    if len(_entries) >= MAX_USERS:
        _entries.clear()
    _entries[user_id] = (version, until, reach)
    return reach


@cache_per_process
def reach_senders() -> frozenset[type]:
    """The models whose writes can change a reach: relationships, and containers that sit
    below another container by a foreign key."""
    from relations.hierarchy import container_children
    from relations.models import Relationship
    from relations.registry import registry

    children = {child for pairs in container_children().values() for child, _name in pairs}
    return frozenset({Relationship, *(registry.participants[label] for label in children)})


def reach_written(sender, **_signal) -> None:
    """post_save and post_delete of any model: ``access_changed`` for those of
    ``reach_senders``."""
    if sender in reach_senders():
        access_changed()


def access_changed() -> None:
    """A write that may change someone's reach: forget this process's entries now, and raise
    the access version for every process once the write commits."""
    _entries.clear()
    transaction.on_commit(raise_version)


def raise_version() -> None:
    _entries.clear()
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet (or evicted): a new random start retires every entry
        cache.add(VERSION_KEY, secrets.randbelow(2**62), timeout=None)
    except Exception:
        logger.exception("the access version could not be raised")


def forget() -> None:
    """Drop this process's entries (tests)."""
    _entries.clear()
