"""Demo chat for the demo users: a public channel and a private room with a few messages (one
edited, one deleted, one reply) and a direct conversation. A room that already exists (by name
and creator, or the pair for the direct one) is left as it is, so seeding again changes nothing."""

from django.core.management.base import OutputWrapper
from django.db import transaction

from accounts.models import User
from workspace.chat import services
from workspace.chat.models import Room

MANAGER = "manager@nexus.local"
USER = "user@nexus.local"


@transaction.atomic
def seed(stdout: OutputWrapper) -> None:
    """Create the demo rooms that do not exist yet."""
    users = {user.email: user for user in User.objects.filter(email__endswith="@nexus.local")}
    manager, member = users.get(MANAGER), users.get(USER)
    if manager is None or member is None:
        stdout.write("Chat: demo users missing, nothing created.")
        return
    created = 0
    if not Room.objects.filter(name="general", created_by=manager).exists():
        general = services.room_create(
            actor=manager, kind="channel", name="general", topic="Everything Nexus"
        )
        welcome = services.message_post(actor=manager, room=general, body="Welcome to Nexus!")
        services.message_post(
            actor=member, room=general, body="Glad to be here.", reply_to=welcome.pk
        )
        created += 1
    if not Room.objects.filter(name="launch-team", created_by=manager).exists():
        team = services.room_create(
            actor=manager, kind="private", name="launch-team", members=[member]
        )
        plan = services.message_post(actor=manager, room=team, body="Launch on the 1st")
        services.message_edit(actor=manager, message=plan, body="Launch on 1 March")
        oops = services.message_post(actor=member, room=team, body="(wrong room, sorry)")
        services.message_delete(actor=member, message=oops)
        services.message_post(actor=member, room=team, body=f"@{MANAGER} budget is approved")
        created += 1
    direct, opened = services.direct_open(actor=manager, other=member)
    if opened:
        services.message_post(actor=manager, room=direct, body="Do you have a minute?")
        created += 1
    stdout.write(f"Chat: {created} rooms created.")
