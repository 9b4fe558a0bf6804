"""The chat panel of the dashboard: the rooms with messages the user has not read."""

from nexus_site.dashboard import Panel, register_panel
from workspace.chat.selectors import name_direct_rooms, rooms_unread

ROOMS_SHOWN = 5


def unread_rooms(user) -> dict | None:
    rooms = rooms_unread(user, limit=ROOMS_SHOWN)
    name_direct_rooms(user, rooms)
    return {"rooms": rooms} if rooms else None


def register() -> None:
    register_panel(Panel("chat", "workspace/dashboard/chat.html", unread_rooms, order=20))
