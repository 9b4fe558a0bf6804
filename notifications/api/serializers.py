"""Input and output serializers of the notifications API."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.notification_kinds import NotificationKind
from notifications import wording


class NotificationListQuerySerializer(serializers.Serializer):
    unread = serializers.BooleanField(
        required=False, default=False, help_text=_("Only the unread ones.")
    )


class NotificationObjectSerializer(serializers.Serializer):
    node = serializers.CharField(help_text=_("The object as a graph node: app_label.model:uuid."))
    type = serializers.CharField(source="node_label")
    id = serializers.UUIDField(source="node_id", allow_null=True)
    title = serializers.CharField(help_text=_("The object's title when it happened."))
    url = serializers.CharField(help_text=_("Its page; empty when there is none to open."))


class NotificationActorSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(source="full_name")


class NotificationOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=NotificationKind.choices)
    action = serializers.CharField(help_text=_("What happened: assigned, mentioned, shared, ..."))
    text = serializers.SerializerMethodField(
        help_text=_("What happened, in the caller's language.")
    )
    object = NotificationObjectSerializer(source="*")
    actor = NotificationActorSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)

    def get_text(self, notification) -> str:
        return wording.sentence(notification)


class UnreadCountOutputSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


class ReadAllOutputSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text=_("How many were unread."))
