"""The hook through which an app hears of committed events of some types (notifications).

The core never imports an app: an app registers a callback at start with
``set_committed_listener``; ``publish_many`` schedules it after the publishing transaction
commits, with the ids of that publish's events of the listener's types. A callback should only
enqueue work (a Celery task); its failure is logged and never undoes the committed write.
"""

from collections.abc import Callable, Collection
from typing import Any

from django.db import transaction

CommittedListener = Callable[[list[int]], None]
# (unsaved or saved event) -> whether the listener wants it; a cheap test on its payload.
EventFilter = Callable[[Any], bool]

# Configuration set once per process at start (AppConfig.ready), never shared state.
_listeners: dict[str, tuple[frozenset[str] | None, EventFilter | None, CommittedListener]] = {}


def set_committed_listener(
    name: str,
    types: Collection[str] | None,
    callback: CommittedListener | None,
    *,
    wants: EventFilter | None = None,
) -> None:
    """Register ``callback`` under ``name`` for committed events of ``types`` (None: of any
    type) that ``wants`` accepts (all of them without it); None as callback removes it."""
    if callback is None:
        _listeners.pop(name, None)
    else:
        _listeners[name] = (None if types is None else frozenset(types), wants, callback)


def call_after_commit(events, *, using: str) -> None:
    """Schedule each listener for the events it wants among ``events`` (saved)."""
    for types, wants, callback in _listeners.values():
        event_ids = [
            event.id
            for event in events
            if (types is None or event.type in types) and (wants is None or wants(event))
        ]
        if event_ids:
            transaction.on_commit(committed(callback, event_ids), using=using, robust=True)


def committed(callback: CommittedListener, event_ids: list[int]) -> Callable[[], None]:
    """Return ``callback`` bound to ``event_ids`` as a function (robust on_commit logs a
    failure by the callable's ``__qualname__``, which a functools.partial lacks)."""

    def call() -> None:
        callback(event_ids)

    call.__qualname__ = f"{getattr(callback, '__qualname__', 'listener')}[events]"
    return call
