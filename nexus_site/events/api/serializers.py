"""Input and output of the event log endpoint; the WebSocket sends the same event shape."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from nexus_site.definitions import constants
from nexus_site.events.models import Event

EVENT_LIST_DEFAULT_LIMIT = 100


def split_types(value: str) -> list[str]:
    """Return the event types named in a comma-separated list, without blanks or repeats."""
    return list(dict.fromkeys(item.strip() for item in value.split(",") if item.strip()))


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.UUIDField(
        source="actor_id",
        allow_null=True,
        read_only=True,
        help_text=_("The user whose action published the event; null for the system's own."),
    )

    class Meta:
        model = Event
        fields = ["id", "type", "payload", "actor", "created_at"]
        read_only_fields = fields


EVENT_COLUMNS = ("id", "type", "payload", "actor_id", "created_at")
_datetime = serializers.DateTimeField()


def event_body(row: dict) -> dict:
    """Return one event read as values of ``EVENT_COLUMNS`` in EventSerializer's shape.

    EventSerializer stays the documented shape (OpenAPI, sockets); building model instances and
    running DRF's fields for every event of a page cost more than reading them (a test holds
    the two equal).
    """
    return {
        "id": row["id"],
        "type": row["type"],
        "payload": row["payload"],
        "actor": None if row["actor_id"] is None else str(row["actor_id"]),
        "created_at": _datetime.to_representation(row["created_at"]),
    }


class EventListQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text=_("The id of the last event the client has seen; only later events come."),
    )
    type = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("Comma-separated event types to keep."),
    )
    pattern = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text=_("Keep only events of this pattern key."),
    )
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        default=EVENT_LIST_DEFAULT_LIMIT,
        help_text=format_lazy(_("Events per page, at most {max}."), max=constants.MAX_PAGE_SIZE),
    )

    def validate_type(self, value: str) -> list[str]:
        return split_types(value)

    def validate_limit(self, value: int) -> int:
        return min(value, constants.MAX_PAGE_SIZE)


class EventPageSerializer(serializers.Serializer):
    results = EventSerializer(many=True)
    next = serializers.URLField(
        allow_null=True, help_text=_("The next page, or null when there is none yet.")
    )
    cursor = serializers.IntegerField(
        allow_null=True, help_text=_("The id to resume from: pass it as after next time.")
    )
