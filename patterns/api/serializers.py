"""Input and output serializers of the patterns API.

Input serializers only parse shapes and refuse fields they do not know; the services decide
the rules (definition problems, input against the pattern's schema, who may change what).
"""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from nexus_site.api import fields
from patterns.engine.definition import ON_ERROR_CHOICES
from patterns.models import Execution, ExecutionStatus, Pattern, PatternKind, StepStatus
from patterns.selectors import MAX_VERSION_NUMBER

# Deeper JSON would exhaust the stack of the recursive code it reaches (validation, rendering).
MAX_JSON_DEPTH = 32
MAX_IDEMPOTENCY_KEY_LENGTH = Execution._meta.get_field("idempotency_key").max_length
KEY_MAX_LENGTH = Pattern._meta.get_field("key").max_length
NAME_MAX_LENGTH = Pattern._meta.get_field("name").max_length


# Refuses fields it does not know: a typo must not pass silently. (A comment, not a
# docstring, which the OpenAPI schema would show on every input body.)
class StrictInputSerializer(serializers.Serializer):
    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            raise serializers.ValidationError(
                {"non_field_errors": [_("The body must be a JSON object.")]}
            )
        errors = {str(name): [_("Unknown field.")] for name in set(data) - set(self.fields)}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({**errors, **exc.detail}) from exc
        if errors:
            raise serializers.ValidationError(errors)
        return value


class JSONDataField(fields.JSONDataField):
    """Any JSON value jsonb can store, nested at most MAX_JSON_DEPTH deep (validation and
    rendering of definitions recurse)."""

    max_depth = MAX_JSON_DEPTH


class JSONObjectField(fields.JSONObjectField):
    """A JSON object, as ``JSONDataField``."""

    max_depth = MAX_JSON_DEPTH


@extend_schema_field(OpenApiTypes.OBJECT)
class DefinitionField(JSONDataField):
    """A definition; anything that is not one is reported as a problem by the services."""


def definition_field(**kwargs) -> DefinitionField:
    return DefinitionField(
        help_text=_(
            'The definition: {"steps": [{"id", "type", "parameters", "depends_on", "retry", '
            '"timeout_seconds", "compensation", "on_error", "action"}]}. Every problem is '
            "reported at once."
        ),
        **kwargs,
    )


def version_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_VERSION_NUMBER, **kwargs)


# --- patterns ------------------------------------------------------------------------------


class PatternUpdateInputSerializer(StrictInputSerializer):
    name = serializers.CharField(
        max_length=NAME_MAX_LENGTH, help_text=_("In the request's language.")
    )
    description = serializers.CharField(
        allow_blank=True, required=False, help_text=_("In the request's language.")
    )
    is_active = serializers.BooleanField(required=False)
    input_schema = JSONObjectField(
        required=False, help_text=_("A JSON Schema (draft 2020-12) that run inputs must match.")
    )


class PatternCreateInputSerializer(PatternUpdateInputSerializer):
    key = serializers.CharField(
        max_length=KEY_MAX_LENGTH,
        help_text=_("1 to 64 lower-case letters, digits, hyphens and underscores; never changes."),
    )
    kind = serializers.ChoiceField(
        choices=PatternKind.choices,
        default=PatternKind.USER.value,
        help_text=_("Only staff create system and composite patterns."),
    )
    definition = definition_field()


class PatternOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField(help_text=_("In the request's language."))
    description = serializers.CharField(help_text=_("In the request's language."))
    kind = serializers.ChoiceField(choices=PatternKind.choices)
    is_active = serializers.BooleanField()
    current_version = serializers.IntegerField()
    input_schema = serializers.JSONField()
    owner = serializers.UUIDField(
        source="owner_id", allow_null=True, help_text=_("Null for system and composite patterns.")
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


# --- versions and definitions --------------------------------------------------------------


class DefinitionInputSerializer(StrictInputSerializer):
    definition = definition_field()


class RetryOutputSerializer(serializers.Serializer):
    max_attempts = serializers.IntegerField()
    backoff = serializers.JSONField(
        help_text=_("A list of delays in seconds, or an object with base and factor.")
    )
    retryable_errors = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        help_text=_("Null: every error may be retried."),
    )


class StepDefinitionOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.CharField()
    action = serializers.CharField(help_text=_("What the step does, in words."))
    parameters = serializers.JSONField()
    depends_on = serializers.ListField(child=serializers.CharField())
    retry = RetryOutputSerializer()
    timeout_seconds = serializers.IntegerField()
    compensation = serializers.BooleanField()
    on_error = serializers.ChoiceField(choices=ON_ERROR_CHOICES)


class DefinitionOutputSerializer(serializers.Serializer):
    steps = StepDefinitionOutputSerializer(many=True)


class PatternVersionOutputSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    checksum = serializers.CharField(help_text=_("SHA-256 of the definition's canonical JSON."))
    author = serializers.UUIDField(source="author_id", allow_null=True)
    created_at = serializers.DateTimeField()


class PatternVersionDetailOutputSerializer(PatternVersionOutputSerializer):
    pattern = serializers.CharField(source="pattern.key")
    definition = DefinitionOutputSerializer()


class ProblemSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    path = serializers.CharField(help_text=_("Where in the definition, e.g. steps/0/depends_on."))


class ValidationOutputSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    problems = ProblemSerializer(many=True)


# --- runs ----------------------------------------------------------------------------------


class ExecuteInputSerializer(StrictInputSerializer):
    input = JSONObjectField(
        required=False, default=dict, help_text=_("Checked against the pattern's input schema.")
    )
    version = version_field(
        required=False, help_text=_("Run this version; omitted: the current one.")
    )
    idempotency_key = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_IDEMPOTENCY_KEY_LENGTH,
        help_text=_(
            "Repeating a key returns the execution it started (also read from the "
            "Idempotency-Key header)."
        ),
    )


class ExecuteOutputSerializer(serializers.Serializer):
    execution = serializers.UUIDField(source="pk")
    status = serializers.ChoiceField(choices=ExecutionStatus.choices)
    pattern = serializers.CharField(source="pattern.key")
    version = serializers.IntegerField(source="version.number")
    created = serializers.SerializerMethodField(
        help_text=_("False when an idempotency key returned an earlier execution.")
    )

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_created(self, execution) -> bool:
        return bool(self.context["created"])


class DryRunInputSerializer(StrictInputSerializer):
    input = JSONObjectField(required=False, default=dict)
    version = version_field(required=False)


class DryRunStepSerializer(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.CharField()
    status = serializers.ChoiceField(choices=StepStatus.choices)
    attempts = serializers.IntegerField()
    parameters = serializers.JSONField(allow_null=True)
    output = serializers.JSONField(allow_null=True)
    error = serializers.JSONField(allow_null=True)


class DryRunOutputSerializer(serializers.Serializer):
    pattern = serializers.CharField()
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ExecutionStatus.choices)
    error = serializers.JSONField(allow_null=True)
    steps = DryRunStepSerializer(many=True)


class StatsQuerySerializer(serializers.Serializer):
    version = version_field(required=False, help_text=_("Only the runs of this version."))


class StatsSummarySerializer(serializers.Serializer):
    runs = serializers.IntegerField(help_text=_("Finished runs."))
    succeeded = serializers.IntegerField()
    success_rate = serializers.FloatField(allow_null=True, help_text=_("0-1; null without runs."))
    p50_ms = serializers.FloatField(allow_null=True)
    p95_ms = serializers.FloatField(allow_null=True)
    mean_ms = serializers.FloatField(allow_null=True)


class VersionStatsSerializer(StatsSummarySerializer):
    version = serializers.IntegerField()


class PatternStatsOutputSerializer(StatsSummarySerializer):
    pattern = serializers.CharField()
    running = serializers.IntegerField(help_text=_("Runs pending or running now."))
    failures_by_step = serializers.DictField(
        child=serializers.IntegerField(), help_text=_("Step id -> failed step runs, most first.")
    )
    versions = VersionStatsSerializer(many=True, help_text=_("Newest version first."))


# --- executions ----------------------------------------------------------------------------


class ExecutionOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    pattern = serializers.CharField(source="pattern.key")
    version = serializers.IntegerField(source="version.number")
    status = serializers.ChoiceField(choices=ExecutionStatus.choices)
    input = serializers.JSONField()
    error = serializers.JSONField(allow_null=True)
    started_by = serializers.UUIDField(source="started_by_id", allow_null=True)
    cancel_requested = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    duration_ms = serializers.SerializerMethodField()

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_duration_ms(self, execution) -> float | None:
        seconds = execution.duration_seconds
        return None if seconds is None else round(seconds * 1000, 3)


class StepRunOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="step_id")
    type = serializers.CharField()
    status = serializers.ChoiceField(choices=StepStatus.choices)
    attempts = serializers.IntegerField()
    parameters = serializers.JSONField(
        allow_null=True, help_text=_("As last run, references filled in.")
    )
    output = serializers.JSONField(allow_null=True)
    error = serializers.JSONField(allow_null=True)
    failures = serializers.JSONField(help_text=_("Every failed attempt, oldest first."))
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    duration_ms = serializers.SerializerMethodField()
    compensated_at = serializers.DateTimeField(allow_null=True)
    compensation_error = serializers.JSONField(allow_null=True)
    child_executions = serializers.SerializerMethodField(
        help_text=_("The executions a composite step started.")
    )

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_duration_ms(self, run) -> float | None:
        duration = run.duration_ms
        return None if duration is None else round(duration, 3)

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_child_executions(self, run) -> list[str]:
        # Reads the prefetched children: no query per step.
        return [str(child.pk) for child in run.child_executions.all()]


class ExecutionDetailOutputSerializer(ExecutionOutputSerializer):
    parent_execution = serializers.UUIDField(
        source="parent_step.execution_id",
        allow_null=True,
        default=None,
        help_text=_("The execution whose composite step started this one."),
    )
    steps = StepRunOutputSerializer(many=True)


# --- step types ----------------------------------------------------------------------------


class StepTypeOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    parameters_schema = serializers.JSONField(
        source="schema", help_text=_("JSON Schema of the step's parameters.")
    )
    has_undo = serializers.SerializerMethodField(
        help_text=_("Whether compensation can undo what the step did.")
    )
    changes_data = serializers.BooleanField()

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_has_undo(self, step_type) -> bool:
        return step_type.undo is not None
