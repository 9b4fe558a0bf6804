"""The hook through which an app hears of committed events of some types (notifications).

The core never imports an app: an app registers a callback at start with
``set_committed_listener``; ``publish_many`` schedules it after the publishing transaction
commits, with the ids of that publish's events of the listener's types. A callback should only
enqueue work (a Celery task); its failure is logged and never undoes the committed write.
"""

import functools
from collections.abc import Callable, Collection

from django.db import transaction

CommittedListener = Callable[[list[int]], None]

# Configuration set once per process at start (AppConfig.ready), never shared state.
_listeners: dict[str, tuple[frozenset[str], CommittedListener]] = {}


def set_committed_listener(
    name: str, types: Collection[str], callback: CommittedListener | None
) -> None:
    """Register ``callback`` under ``name`` for committed events of ``types`` (None removes)."""
    if callback is None:
        _listeners.pop(name, None)
    else:
        _listeners[name] = (frozenset(types), callback)


def call_after_commit(events, *, using: str) -> None:
    """Schedule each listener for the events of its types among ``events`` (saved)."""
    for types, callback in _listeners.values():
        event_ids = [event.id for event in events if event.type in types]
        if event_ids:
            transaction.on_commit(functools.partial(callback, event_ids), using=using, robust=True)
