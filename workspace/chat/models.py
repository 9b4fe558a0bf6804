"""Chat: rooms (public channels, private rooms, direct conversations), messages with threads,
attachments, mentions and an edit history, and each member's last-read pointer.

Membership is not stored here: it lives in the relations graph (owner/member edges from users
to the room, with metadata {"role": "admin"|"member"}). A public channel is readable by every
signed-in user; the selectors add that rule to the graph's.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nexus_site.ids import uuid7

__all__ = ["ChatMessage", "MessageAttachment", "MessageEdit", "ReadPointer", "Room", "RoomKind"]


class RoomKind(models.TextChoices):
    CHANNEL = "channel", _("Public channel")
    PRIVATE = "private", _("Private room")
    DIRECT = "direct", _("Direct conversation")


class Room(models.Model):
    """A place to talk. A direct room has exactly two members and a unique ``pair_key``."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=RoomKind.choices)
    name = models.CharField(_("name"), max_length=120, blank=True)
    topic = models.CharField(_("topic"), max_length=300, blank=True)
    # For direct rooms: the two user ids sorted and joined, so each pair has one conversation.
    pair_key = models.CharField(_("pair key"), max_length=80, blank=True, editable=False)
    # The structural parent: the project's members see its rooms. A room outlives its project.
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat_rooms",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    last_message_at = models.DateTimeField(_("last message at"), null=True, blank=True)

    class Meta:
        verbose_name = _("chat room")
        verbose_name_plural = _("chat rooms")
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=RoomKind.values), name="workspace_room_kind_valid"
            ),
            models.UniqueConstraint(
                fields=["pair_key"],
                condition=Q(kind=RoomKind.DIRECT),
                name="workspace_room_pair_unique",
            ),
            models.CheckConstraint(
                condition=(Q(kind=RoomKind.DIRECT) & ~Q(pair_key=""))
                | (~Q(kind=RoomKind.DIRECT) & Q(pair_key="")),
                name="workspace_room_pair_key_iff_direct",
            ),
            models.CheckConstraint(
                condition=~Q(kind=RoomKind.DIRECT) | Q(project__isnull=True),
                name="workspace_room_direct_no_project",
            ),
        ]
        indexes = [models.Index(fields=["kind"], name="workspace_room_kind_idx")]

    def __str__(self) -> str:
        return self.name or str(self.pk)


class ChatMessage(models.Model):
    """One message; a deleted one keeps its row with ``deleted_at`` set and the body blanked."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    room = models.ForeignKey(
        Room, verbose_name=_("room"), on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = models.TextField(_("body"), blank=True)
    reply_to = models.ForeignKey(
        "self",
        verbose_name=_("reply to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replies",
    )
    mentions = models.JSONField(_("mentioned user ids"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True, editable=False)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["room", "-created_at", "-id"], name="workspace_msg_room_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.room_id}: {self.body[:40]}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class MessageEdit(models.Model):
    """The body a message had before one edit: who changed it and when."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    message = models.ForeignKey(
        ChatMessage, verbose_name=_("message"), on_delete=models.CASCADE, related_name="edits"
    )
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("editor"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    old_body = models.TextField(_("old body"), blank=True)
    edited_at = models.DateTimeField(_("edited at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("message edit")
        verbose_name_plural = _("message edits")
        ordering = ["message", "edited_at"]

    def __str__(self) -> str:
        return f"{self.message_id} @ {self.edited_at:%Y-%m-%d %H:%M}"


class MessageAttachment(models.Model):
    """A file attached to a message."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    message = models.ForeignKey(
        ChatMessage, verbose_name=_("message"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.ForeignKey(
        "workspace.File",
        verbose_name=_("file"),
        on_delete=models.CASCADE,
        related_name="chat_attachments",
    )

    class Meta:
        verbose_name = _("message attachment")
        verbose_name_plural = _("message attachments")
        constraints = [
            models.UniqueConstraint(
                fields=["message", "file"], name="workspace_msgattachment_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} + {self.file_id}"


class ReadPointer(models.Model):
    """The time up to which a user has read a room; messages after it are unread."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    room = models.ForeignKey(
        Room, verbose_name=_("room"), on_delete=models.CASCADE, related_name="read_pointers"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    last_read_at = models.DateTimeField(_("last read at"), default=timezone.now)

    class Meta:
        verbose_name = _("read pointer")
        verbose_name_plural = _("read pointers")
        constraints = [
            models.UniqueConstraint(fields=["room", "user"], name="workspace_readpointer_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.room_id}"
