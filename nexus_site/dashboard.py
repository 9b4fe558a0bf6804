"""Panels that apps add to the signed-in home page, without the core importing any app.

An app registers a panel when it starts (``register_panel``); the dashboard asks each panel for
its context and shows the ones that have something to say.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    context: Callable[[Any], dict | None]  # None: nothing to show this user now
    order: int = 100


_panels: dict[str, Panel] = {}


def register_panel(panel: Panel) -> None:
    """Add ``panel`` to the dashboard (registering a key again replaces it)."""
    _panels[panel.key] = panel


def panels_for(user) -> list[tuple[str, dict]]:
    """Return ``(template, context)`` of every panel with something to show ``user``."""
    shown = []
    for panel in sorted(_panels.values(), key=lambda panel: (panel.order, panel.key)):
        context = panel.context(user)
        if context is not None:
            shown.append((panel.template, context))
    return shown
