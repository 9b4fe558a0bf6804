"""The chat panel of the dashboard: the rooms with messages the user has not read."""

from nexus_site.dashboard import Panel, register_panel
from workspace.chat.selectors import rooms_with_unread

ROOMS_SHOWN = 5


def unread_rooms(user) -> dict | None:
    rooms = list(rooms_with_unread(user).filter(unread__gt=0).order_by("-unread")[:ROOMS_SHOWN])
    return {"rooms": rooms} if rooms else None


def register() -> None:
    register_panel(Panel("chat", "workspace/dashboard/chat.html", unread_rooms, order=20))
