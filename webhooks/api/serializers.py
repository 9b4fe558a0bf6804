"""Input and output serializers of the webhooks API. Inputs parse shapes; services decide."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from webhooks.models import DeliveryStatus
from webhooks.wording import disabled_text

EVENT_TYPES_HELP = _("Event types to receive, e.g. task_created, document_updated.")
SCOPE_HELP = _(
    "A graph node (app_label.model:uuid) you may see: only events about it, or with "
    "with_descendants about it and everything under it. Empty: every event you may see."
)


class SubscriptionCreateInputSerializer(serializers.Serializer):
    url = serializers.CharField(
        max_length=2000, help_text=_("http or https; private addresses are refused.")
    )
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=64), max_length=100, help_text=EVENT_TYPES_HELP
    )
    scope = serializers.CharField(
        max_length=200, required=False, allow_blank=True, allow_null=True, help_text=SCOPE_HELP
    )
    with_descendants = serializers.BooleanField(required=False, default=True)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)


class SubscriptionUpdateInputSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=2000, required=False)
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=64), max_length=100, required=False
    )
    scope = serializers.CharField(
        max_length=200, required=False, allow_blank=True, allow_null=True, help_text=SCOPE_HELP
    )
    with_descendants = serializers.BooleanField(required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_active = serializers.BooleanField(
        required=False, help_text=_("true turns a disabled webhook on again.")
    )


class SubscriptionOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField()
    description = serializers.CharField()
    event_types = serializers.ListField(child=serializers.CharField())
    scope = serializers.CharField(allow_blank=True)
    with_descendants = serializers.BooleanField()
    is_active = serializers.BooleanField()
    consecutive_failures = serializers.IntegerField()
    disabled_at = serializers.DateTimeField(allow_null=True)
    disabled_reason = serializers.CharField(
        allow_blank=True, help_text=_("failed_deliveries when disabled automatically.")
    )
    disabled_text = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_disabled_text(self, subscription) -> str:
        return disabled_text(subscription)


class SubscriptionCreatedOutputSerializer(SubscriptionOutputSerializer):
    secret = serializers.CharField(
        help_text=_("Signs every delivery; shown this once. Keep it at the receiver.")
    )


class DeliveryOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    event_id = serializers.IntegerField(allow_null=True)
    event_type = serializers.CharField()
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    attempts = serializers.IntegerField()
    response_status = serializers.IntegerField(allow_null=True)
    response_time_ms = serializers.IntegerField(allow_null=True)
    error = serializers.CharField(allow_blank=True)
    next_attempt_at = serializers.DateTimeField(allow_null=True, source="next_attempt_shown")
    redelivery_of = serializers.UUIDField(source="redelivery_of_id", allow_null=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class DeliveryDetailOutputSerializer(DeliveryOutputSerializer):
    payload = serializers.JSONField()
    response_body = serializers.CharField(
        allow_blank=True, help_text=_("The start of the receiver's last answer.")
    )


class IncomingCreateInputSerializer(serializers.Serializer):
    pattern = serializers.CharField(max_length=64, help_text=_("The key of a pattern you may run."))
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    signed = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("Also require X-Nexus-Signature made with a signing secret (shown once)."),
    )


class IncomingOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    pattern = serializers.CharField(source="pattern.key")
    token_prefix = serializers.CharField(help_text=_("The token's start, to tell URLs apart."))
    requires_signature = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


class IncomingCreatedOutputSerializer(IncomingOutputSerializer):
    url = serializers.CharField(help_text=_("POST JSON here; shown this once."))
    signing_secret = serializers.CharField(
        allow_blank=True, help_text=_("Shown this once; empty unless signed.")
    )


class IncomingCallOutputSerializer(serializers.Serializer):
    execution = serializers.UUIDField()
    status = serializers.CharField()
    created = serializers.BooleanField(
        help_text=_("false: the Idempotency-Key named a run started before.")
    )
