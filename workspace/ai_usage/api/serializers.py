"""Input and output serializers of the AI usage API.

Input serializers check shapes (choices, token counts not negative, a cost with at most 8
decimal places); the services decide the rules (project editable, time not in the future).
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from workspace.ai_usage.models import (
    COST_DIGITS,
    COST_PLACES,
    AIModule,
    CostSource,
    InteractionStatus,
)
from workspace.ai_usage.pricing import MAX_COST
from workspace.ai_usage.stats import GROUPS

MAX_TOKENS = 2**62


@extend_schema_field(
    {"type": "string", "enum": InteractionStatus.values}, component_name="AIInteractionStatusEnum"
)
class InteractionStatusField(serializers.ChoiceField):
    """The status choice, named in the schema on its own: projects already own "status" enums."""

    def __init__(self, **kwargs):
        super().__init__(choices=InteractionStatus.choices, **kwargs)


def tokens_field(help_text) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=0, max_value=MAX_TOKENS, required=False, default=0, help_text=help_text
    )


class UsageSerializer(serializers.Serializer):
    input = tokens_field(_("Prompt tokens."))
    output = tokens_field(_("Completion tokens."))
    cached = tokens_field(_("Prompt tokens served from the provider's cache."))


class InteractionInputSerializer(serializers.Serializer):
    module = serializers.ChoiceField(choices=AIModule.choices)
    project = serializers.UUIDField(
        required=False, allow_null=True, help_text=_("A project the caller may edit.")
    )
    model = serializers.CharField(max_length=100)
    prompt = serializers.CharField(required=False, allow_blank=True, default="")
    response = serializers.CharField(required=False, allow_blank=True, default="")
    usage = UsageSerializer()
    latency_ms = serializers.IntegerField(min_value=0, max_value=2**31 - 1, default=0)
    status = InteractionStatusField(default=InteractionStatus.SUCCESS)
    error = serializers.CharField(required=False, allow_blank=True, default="")
    cost = serializers.DecimalField(
        max_digits=COST_DIGITS,
        decimal_places=COST_PLACES,
        min_value=0,
        max_value=MAX_COST,
        required=False,
        allow_null=True,
        help_text=_("Kept as given when present; computed from the price table otherwise."),
    )
    occurred_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text=_("When the call happened (default now); a past time backfills."),
    )


class TokenUsageOutputSerializer(serializers.Serializer):
    input = serializers.IntegerField(source="input_tokens")
    output = serializers.IntegerField(source="output_tokens")
    cached = serializers.IntegerField(source="cached_tokens")


class InteractionOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    user = serializers.UUIDField(source="user_id")
    user_email = serializers.EmailField(source="user.email")
    module = serializers.ChoiceField(choices=AIModule.choices)
    project = serializers.UUIDField(source="project_id", allow_null=True)
    project_name = serializers.CharField(source="project.name", allow_null=True, default=None)
    model = serializers.CharField()
    prompt = serializers.CharField()
    response = serializers.CharField()
    usage = TokenUsageOutputSerializer(source="*")
    latency_ms = serializers.IntegerField()
    status = InteractionStatusField()
    error = serializers.CharField()
    cost = serializers.DecimalField(max_digits=COST_DIGITS, decimal_places=COST_PLACES)
    cost_source = serializers.ChoiceField(choices=CostSource.choices)
    occurred_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()


class StatsQuerySerializer(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=GROUPS)
    # "from" and "to" are read by selectors.time_range (reserved words as field names).


class TokensOutputSerializer(serializers.Serializer):
    input = serializers.IntegerField()
    output = serializers.IntegerField()
    cached = serializers.IntegerField()


class StatsRowSerializer(serializers.Serializer):
    key = serializers.CharField(
        allow_null=True,
        help_text=_("The model, module, user id, project id or UTC day (YYYY-MM-DD)."),
    )
    label = serializers.CharField(help_text=_("The user's email or the project's name."))
    count = serializers.IntegerField()
    tokens = TokensOutputSerializer()
    # A sum of costs: as many whole digits as it takes, not the column's.
    cost = serializers.DecimalField(max_digits=None, decimal_places=COST_PLACES)
    p50_latency_ms = serializers.FloatField(allow_null=True)
    p95_latency_ms = serializers.FloatField(allow_null=True)
    error_rate = serializers.FloatField(help_text=_("Share of calls that failed, 0 to 1."))


class StatsOutputSerializer(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=GROUPS)
    groups = StatsRowSerializer(many=True)
    totals = StatsRowSerializer()


# "from" and "to" are Python keywords: declared after the class.
StatsOutputSerializer._declared_fields["from"] = serializers.DateTimeField(
    allow_null=True, help_text=_("The range's start (inclusive).")
)
StatsOutputSerializer._declared_fields["to"] = serializers.DateTimeField(
    allow_null=True, help_text=_("The range's end (exclusive).")
)


class BudgetOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="budget.id")
    user = serializers.UUIDField(source="budget.user_id", allow_null=True)
    project = serializers.UUIDField(source="budget.project_id", allow_null=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, source="budget.amount")
    currency = serializers.CharField(source="budget.currency")
    month = serializers.DateField()
    spent = serializers.DecimalField(max_digits=None, decimal_places=COST_PLACES)
    exceeded = serializers.BooleanField()
