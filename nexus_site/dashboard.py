"""Panels that apps add to the signed-in home page, without the core importing any app.

An app registers a panel when it starts (``register_panel``); the dashboard asks each panel for
its context and shows the ones that have something to say. The panels only read, so they run in
one shared scope an app may register (``set_panels_scope``): the relations app registers one
in which the user's grants and reach are read once for all panels.
"""

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

PanelsScope = Callable[[], AbstractContextManager]


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    context: Callable[[Any], dict | None]  # None: nothing to show this user now
    order: int = 100


_panels: dict[str, Panel] = {}
# Configuration set once per process at start (AppConfig.ready), never shared state.
_scope: dict[str, PanelsScope | None] = {"factory": None}


def register_panel(panel: Panel) -> None:
    """Add ``panel`` to the dashboard (registering a key again replaces it)."""
    _panels[panel.key] = panel


def set_panels_scope(factory: PanelsScope | None) -> PanelsScope | None:
    """Register the scope the panels run in together (None removes it); return the previous."""
    previous = _scope["factory"]
    _scope["factory"] = factory
    return previous


def panels_for(user) -> list[tuple[str, dict]]:
    """Return ``(template, context)`` of every panel with something to show ``user``."""
    factory = _scope["factory"]
    shown = []
    with factory() if factory is not None else nullcontext():
        for panel in sorted(_panels.values(), key=lambda panel: (panel.order, panel.key)):
            context = panel.context(user)
            if context is not None:
                shown.append((panel.template, context))
    return shown
