"""How each kind of object takes part in the search: registered by kind, not imported.

An app (or ``search.registrations`` for the apps that exist today) registers a ``Kind``: its
model, how one object reads as text (``extract``), which objects a user may see (``visible``,
a queryset: the rule itself, applied as a SQL subquery on SQLite), the ids of the nodes through
which they may see it (``gates``: the same rule stored with the entry, which PostgreSQL matches
with one indexed array overlap) and the paths from the model to its project.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import Model, QuerySet

from relations.access import gate_ids


@dataclass(frozen=True)
class Text:
    """What the index keeps of one object."""

    title: str
    body: str
    language: str | None  # a Language code; the configuration follows from it
    path: str  # the page that shows the object


@dataclass(frozen=True)
class Kind:
    name: str
    model: type[Model]
    # None: the object is not searchable now (in the trash, deleted) and leaves the index.
    extract: Callable[[Any], Text | None]
    visible: Callable[[Any], QuerySet]
    # Lookups from the model to its project (any one matching); none: outside projects.
    project_paths: tuple[str, ...] = ()
    related: tuple[str, ...] = ()  # select_related for extract, used by the rebuild
    prefetched: tuple[str, ...] = ()  # prefetch_related for extract and gates, the same
    label: Any = ""  # the facet's name in the pages (a lazy translation)
    # Entries titled after another object (a comment after its task), and seen through it:
    # (that model, the lookup from this kind's model to it, that object's title attribute).
    # search.index.dependents_follow rewrites their titles and gates when that object changes.
    titled_after: tuple[tuple[type[Model], str, str], ...] = ()
    # The ids of the nodes through which ``visible`` lets a user see the object: a user may see
    # it exactly when one of them is a container they reach or their own id. The default is the
    # object's own relations rule (relations.access.gate_ids). An entry stores them; whatever
    # changes them must write the entry again (entries titled after an object take its gates).
    gates: Callable[[Any], Iterable[UUID]] = gate_ids
    # Gated by people only (mail: its holders), whom administrators do not see past either.
    personal: bool = False


_kinds: dict[str, Kind] = {}
_by_model: dict[type[Model], Kind] = {}


def register(kind: Kind) -> None:
    """Let objects of ``kind.model`` be searched as ``kind.name``."""
    _kinds[kind.name] = kind
    _by_model[kind.model] = kind


def kinds() -> dict[str, Kind]:
    """Return the registered kinds by name, in registration order."""
    return dict(_kinds)


def kind_of(obj: Model) -> Kind | None:
    """Return the kind ``obj`` is searched as, or None when its model takes no part."""
    return _by_model.get(type(obj)._meta.concrete_model)
