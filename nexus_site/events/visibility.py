"""The hook through which the relations app tells the events module who may see a graph node.

The core never imports an app: the relations app registers its bulk check at start with
``set_node_visibility``. Until one is registered, node-audience events are for staff only.
"""

from collections.abc import Callable, Collection, Iterable
from typing import Any

# (user, node strings) -> the subset of those node strings the user may see.
NodeVisibilityCheck = Callable[[Any, frozenset[str]], Collection[str]]

# Configuration set once per process at start (AppConfig.ready), never shared state.
_node_visibility: dict[str, NodeVisibilityCheck | None] = {"check": None}


def set_node_visibility(check: NodeVisibilityCheck | None) -> NodeVisibilityCheck | None:
    """Register the bulk "may see node" test (None removes it); return the previous one."""
    previous = _node_visibility["check"]
    _node_visibility["check"] = check
    return previous


def node_visibility_registered() -> bool:
    """Return whether a "may see node" test is registered."""
    return _node_visibility["check"] is not None


def visible_nodes(user: Any, nodes: Iterable[str]) -> set[str]:
    """Return the nodes among ``nodes`` that ``user`` may see."""
    candidates = frozenset(node for node in nodes if node)
    if not candidates or not getattr(user, "is_authenticated", False):
        return set()
    if getattr(user, "is_staff", False):
        return set(candidates)
    check = _node_visibility["check"]
    if check is None:
        return set()
    return set(check(user, candidates)) & candidates
