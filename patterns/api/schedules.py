"""The schedules API: /api/v1/patterns/schedules/ and /api/v1/patterns/schedules/{id}/.

A schedule runs a pattern with a fixed input every N minutes or on a crontab (UTC), as the
user it belongs to (``run_as``: the caller; staff may name anyone). Reads go through
patterns.schedules (another user's schedule answers 404), writes through patterns.services.
"""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from nexus_site.api.parsers import parsed
from nexus_site.exceptions import AuthorizationError, NotFoundError, ValidationError
from patterns import schedules, selectors, services
from patterns.api.serializers import KEY_MAX_LENGTH, JSONObjectField, StrictInputSerializer
from patterns.api.views import E400, E401, E403, E404, E422, PATTERN_TAGS
from patterns.models import ExecutionStatus, Pattern, PatternSchedule

# A year: longer intervals are crontab expressions.
MAX_EVERY_MINUTES = 525_600
CRONTAB_MAX_LENGTH = 200

# --- serializers ---------------------------------------------------------------------------


class PatternScheduleInputSerializer(StrictInputSerializer):
    pattern = serializers.CharField(
        max_length=KEY_MAX_LENGTH, help_text=_("The key of a pattern the caller may run.")
    )
    input = JSONObjectField(
        required=False, default=dict, help_text=_("Checked against the pattern's input schema.")
    )
    every_minutes = serializers.IntegerField(
        min_value=1,
        max_value=MAX_EVERY_MINUTES,
        required=False,
        allow_null=True,
        help_text=_("Run every N minutes. Give this or crontab, not both."),
    )
    crontab = serializers.CharField(
        max_length=CRONTAB_MAX_LENGTH,
        required=False,
        allow_blank=True,
        help_text=_('Five fields in UTC: minute hour day month weekday, e.g. "0 7 * * 1-5".'),
    )
    enabled = serializers.BooleanField(
        required=False, help_text=_("False pauses the schedule; it is kept with its timing.")
    )
    run_as = serializers.UUIDField(
        required=False,
        help_text=_("The user the runs execute as: the caller; only staff may name another."),
    )


class PatternScheduleRunOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=ExecutionStatus.choices)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class PatternScheduleOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="schedule.pk")
    pattern = serializers.CharField(source="schedule.pattern.key")
    pattern_name = serializers.CharField(
        source="schedule.pattern.name", help_text=_("In the request's language.")
    )
    input = serializers.JSONField(source="schedule.input")
    every_minutes = serializers.IntegerField(
        source="timing.every_minutes", allow_null=True, help_text=_("Null for a crontab.")
    )
    crontab = serializers.CharField(
        source="timing.crontab", help_text=_("Five fields in UTC; empty for an interval.")
    )
    enabled = serializers.BooleanField(help_text=_("False while the schedule is paused."))
    run_as = serializers.UUIDField(source="schedule.run_as_id")
    next_run_at = serializers.DateTimeField(
        allow_null=True, help_text=_("When it runs next; null while paused.")
    )
    last_run_at = serializers.DateTimeField(
        allow_null=True, help_text=_("When it last started a run; null if it never did.")
    )
    recent_runs = PatternScheduleRunOutputSerializer(
        many=True, help_text=_("The newest runs it started, newest first.")
    )
    created_at = serializers.DateTimeField(source="schedule.created_at")


# --- loading -------------------------------------------------------------------------------


def schedule_or_404(user, schedule_id) -> PatternSchedule:
    schedule = schedules.schedule_visible(user, schedule_id)
    if schedule is None:
        raise NotFoundError()
    return schedule


def pattern_to_schedule(user, key: str) -> Pattern:
    """Return the pattern ``key`` if ``user`` may run it; else 422, the same for any key."""
    pattern = selectors.pattern_visible(user, key)
    if pattern is None:
        raise ValidationError(details={"pattern": [_("No pattern you may run has this key.")]})
    return pattern


def run_as_of(user, run_as_id):
    """Return the user the runs execute as: the caller, or whom staff name (403 for others)."""
    if run_as_id is None or run_as_id == user.pk:
        return user
    if not selectors.sees_all(user):
        raise AuthorizationError(_("You may schedule only your patterns, run as yourself."))
    run_as = get_user_model().objects.filter(pk=run_as_id, is_active=True).first()
    if run_as is None:
        raise ValidationError(details={"run_as": [_("No active user has this id.")]})
    return run_as


def shown(user, schedule: PatternSchedule) -> dict:
    schedule = schedule_or_404(user, schedule.pk)
    return PatternScheduleOutputSerializer(schedules.shown_schedules(user, [schedule])[0]).data


# --- views ---------------------------------------------------------------------------------


class ScheduleListView(GenericAPIView):
    queryset = PatternSchedule.objects.none()  # for the schema; requests use the selector
    serializer_class = PatternScheduleOutputSerializer
    filter_backends: list = []

    @extend_schema(
        operation_id="patterns_schedules_list",
        tags=PATTERN_TAGS,
        summary=_("The caller's schedules, newest first (staff: every schedule)"),
        description=_(
            "Each with its timing, whether it is paused, its next and last run, and the "
            "newest runs it started."
        ),
        responses={200: PatternScheduleOutputSerializer(many=True), 401: E401},
    )
    def get(self, request):
        page = self.paginate_queryset(schedules.schedules_visible_to(request.user))
        rows = schedules.shown_schedules(request.user, page)
        return self.get_paginated_response(PatternScheduleOutputSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="patterns_schedules_create",
        tags=PATTERN_TAGS,
        summary=_("Schedule a pattern"),
        description=_(
            "Runs the pattern with the input every_minutes minutes or on the crontab (UTC), "
            "as the caller (staff may give run_as). Both or neither of every_minutes and "
            "crontab, a bad crontab, input that does not match the pattern's input schema, "
            "or a pattern the caller may not run answer 422; guests may not schedule (403)."
        ),
        request=PatternScheduleInputSerializer,
        responses={
            201: PatternScheduleOutputSerializer,
            400: E400,
            401: E401,
            403: E403,
            422: E422,
        },
    )
    def post(self, request):
        data = parsed(PatternScheduleInputSerializer, request)
        schedule = services.pattern_schedule_save(
            actor=request.user,
            pattern=pattern_to_schedule(request.user, data["pattern"]),
            input=data["input"],
            run_as=run_as_of(request.user, data.get("run_as")),
            every_minutes=data.get("every_minutes"),
            crontab=data.get("crontab", ""),
            enabled=data.get("enabled"),
        )
        return Response(shown(request.user, schedule), status=201)


class ScheduleDetailView(APIView):
    @extend_schema(
        operation_id="patterns_schedules_retrieve",
        tags=PATTERN_TAGS,
        summary=_("One schedule with its next and last run and recent runs"),
        responses={200: PatternScheduleOutputSerializer, 401: E401, 404: E404},
    )
    def get(self, request, schedule_id):
        return Response(shown(request.user, schedule_or_404(request.user, schedule_id)))

    @extend_schema(
        operation_id="patterns_schedules_partial_update",
        tags=PATTERN_TAGS,
        summary=_("Change, pause or resume a schedule"),
        description=_(
            "Fields left out keep their value. every_minutes or crontab replaces the timing "
            "(give one of them). A body with only enabled pauses or resumes the schedule "
            "without checking the rest again."
        ),
        request=PatternScheduleInputSerializer(partial=True),
        responses={
            200: PatternScheduleOutputSerializer,
            400: E400,
            401: E401,
            403: E403,
            404: E404,
            422: E422,
        },
    )
    def patch(self, request, schedule_id):
        user = request.user
        schedule = schedule_or_404(user, schedule_id)
        data = parsed(PatternScheduleInputSerializer, request, partial=True)
        if set(data) == {"enabled"}:
            services.pattern_schedule_pause(actor=user, schedule=schedule, enabled=data["enabled"])
        elif data:
            timing = schedules.timing_of(schedule)
            every_minutes, crontab = timing.every_minutes, timing.crontab
            if "every_minutes" in data or "crontab" in data:
                every_minutes, crontab = data.get("every_minutes"), data.get("crontab", "")
            services.pattern_schedule_save(
                actor=user,
                pattern=(
                    pattern_to_schedule(user, data["pattern"])
                    if "pattern" in data
                    else schedule.pattern
                ),
                input=data.get("input", schedule.input),
                run_as=run_as_of(user, data["run_as"]) if "run_as" in data else schedule.run_as,
                every_minutes=every_minutes,
                crontab=crontab,
                schedule=schedule,
                enabled=data.get("enabled"),
            )
        return Response(shown(user, schedule))

    @extend_schema(
        operation_id="patterns_schedules_destroy",
        tags=PATTERN_TAGS,
        summary=_("Delete a schedule; beat stops starting it"),
        description=_("The runs it started stay."),
        responses={204: None, 401: E401, 403: E403, 404: E404},
    )
    def delete(self, request, schedule_id):
        schedule = schedule_or_404(request.user, schedule_id)
        services.pattern_schedule_delete(actor=request.user, schedule=schedule)
        return Response(status=204)
