"""The patterns API: patterns, versions, validation, runs, dry runs, statistics, executions.

Each view parses its input with an input serializer, loads the pattern or execution through
patterns.selectors (404 for what the caller may not see), calls one service (403 for what the
caller may see but not change) and re-reads through the selector to render.
"""

from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.filters import OrderingFilter
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from nexus_site.api.parsers import parsed
from nexus_site.api.schema import error_response_schema
from nexus_site.exceptions import NotFoundError, ValidationError
from patterns import selectors, services, steps
from patterns.api import serializers as s
from patterns.api.filters import ExecutionFilter, PatternFilter
from patterns.models import Execution, Pattern

E400 = error_response_schema(_("Malformed JSON, or a business rule refused the request."))
E401 = error_response_schema(_("Not signed in."))
E403 = error_response_schema(_("Visible, but the caller may not change or run it."))
E404 = error_response_schema(_("No such object, or not visible to the caller."))
E409 = error_response_schema(_("Conflicts with the current state."))
E422 = error_response_schema(
    _("Invalid data; field messages in details (definition problems in details.problems).")
)
READ_ERRORS = {401: E401, 404: E404}
WRITE_ERRORS = {400: E400, 401: E401, 403: E403, 404: E404, 422: E422}
PATTERN_TAGS = ["patterns"]
EXECUTION_TAGS = ["executions"]
IDEMPOTENCY_HEADER = "Idempotency-Key"


def pattern_or_404(user, key: str) -> Pattern:
    pattern = selectors.pattern_visible(user, key)
    if pattern is None:
        raise NotFoundError()
    return pattern


def execution_or_404(user, execution_id) -> Execution:
    execution = selectors.execution_visible(user, execution_id)
    if execution is None:
        raise NotFoundError()
    return execution


def idempotency_key_of(request, data: dict) -> str:
    """Return the key from the body or the Idempotency-Key header; two different keys are a 422."""
    in_body = data.get("idempotency_key", "")
    in_header = request.headers.get(IDEMPOTENCY_HEADER, "")
    if in_body and in_header and in_body != in_header:
        raise ValidationError(
            details={
                "idempotency_key": [
                    str(_("The body and the Idempotency-Key header name different keys."))
                ]
            }
        )
    return in_body or in_header


# --- patterns ------------------------------------------------------------------------------


class PatternListView(GenericAPIView):
    queryset = Pattern.objects.none()  # for the schema; requests use the selector
    serializer_class = s.PatternOutputSerializer
    filterset_class = PatternFilter
    search_fields = ["key", "name", "description"]
    ordering_fields = ["key", "name", "kind", "is_active", "current_version", "created_at"]

    @extend_schema(
        operation_id="patterns_list",
        tags=PATTERN_TAGS,
        summary=_("The patterns the caller may see and run"),
        description=_(
            "System and composite patterns, and the caller's own user patterns (staff see "
            "every pattern). Names and descriptions come in the request's language."
        ),
        responses={200: s.PatternOutputSerializer(many=True), 401: E401, 422: E422},
    )
    def get(self, request):
        patterns = self.filter_queryset(selectors.patterns_visible_to(request.user))
        page = self.paginate_queryset(patterns)
        return self.get_paginated_response(s.PatternOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="patterns_create",
        tags=PATTERN_TAGS,
        summary=_("Create a pattern with its first version"),
        description=_(
            "A user pattern belongs to the caller; only staff create system and composite "
            "ones (403). An invalid definition answers 422 listing every problem in "
            "details.problems; a key already taken answers 409."
        ),
        request=s.PatternCreateInputSerializer,
        responses={
            201: s.PatternOutputSerializer,
            400: E400,
            401: E401,
            403: E403,
            409: E409,
            422: E422,
        },
    )
    def post(self, request):
        data = parsed(s.PatternCreateInputSerializer, request)
        pattern = services.pattern_create(actor=request.user, **data)
        pattern = pattern_or_404(request.user, pattern.key)
        return Response(s.PatternOutputSerializer(pattern).data, status=201)


class PatternDetailView(APIView):
    @extend_schema(
        operation_id="patterns_retrieve",
        tags=PATTERN_TAGS,
        responses={200: s.PatternOutputSerializer, **READ_ERRORS},
    )
    def get(self, request, key):
        return Response(s.PatternOutputSerializer(pattern_or_404(request.user, key)).data)

    @extend_schema(
        operation_id="patterns_partial_update",
        tags=PATTERN_TAGS,
        summary=_("Change name, description (in the request's language), active flag or schema"),
        description=_("Staff change every pattern; others only the user patterns they own."),
        request=s.PatternUpdateInputSerializer(partial=True),
        responses={200: s.PatternOutputSerializer, **WRITE_ERRORS},
    )
    def patch(self, request, key):
        pattern = pattern_or_404(request.user, key)
        data = parsed(s.PatternUpdateInputSerializer, request, partial=True)
        services.pattern_update(actor=request.user, pattern=pattern, **data)
        pattern = pattern_or_404(request.user, key)
        return Response(s.PatternOutputSerializer(pattern).data)

    @extend_schema(
        operation_id="patterns_destroy",
        tags=PATTERN_TAGS,
        summary=_("Delete a user pattern with its versions and runs"),
        description=_(
            "System and composite patterns are deactivated instead (400); a pattern with runs "
            "still going answers 409."
        ),
        responses={204: None, 400: E400, 401: E401, 403: E403, 404: E404, 409: E409},
    )
    def delete(self, request, key):
        pattern = pattern_or_404(request.user, key)
        services.pattern_delete(actor=request.user, pattern=pattern)
        return Response(status=204)


# --- versions ------------------------------------------------------------------------------


class VersionListView(GenericAPIView):
    filter_backends: list = []

    @extend_schema(
        operation_id="patterns_versions_list",
        tags=PATTERN_TAGS,
        summary=_("The pattern's versions, newest first"),
        responses={200: s.PatternVersionOutputSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request, key):
        pattern = pattern_or_404(request.user, key)
        page = self.paginate_queryset(selectors.versions_of(pattern))
        return self.get_paginated_response(s.PatternVersionOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="patterns_versions_create",
        tags=PATTERN_TAGS,
        summary=_("Publish a new version"),
        description=_(
            "201 with the new version. The same definition as the current version publishes "
            "nothing and answers 200 with the current version. Runs already started keep "
            "their own version. An invalid definition answers 422 listing every problem in "
            "details.problems."
        ),
        request=s.DefinitionInputSerializer,
        responses={
            200: s.PatternVersionDetailOutputSerializer,
            201: s.PatternVersionDetailOutputSerializer,
            **WRITE_ERRORS,
        },
    )
    def post(self, request, key):
        pattern = pattern_or_404(request.user, key)
        data = parsed(s.DefinitionInputSerializer, request)
        published_before = pattern.current_version
        version = services.pattern_version_publish(
            actor=request.user, pattern=pattern, definition=data["definition"]
        )
        version = selectors.version_of(pattern, version.number)
        status = 201 if version.number > published_before else 200
        return Response(s.PatternVersionDetailOutputSerializer(version).data, status=status)


class VersionDetailView(APIView):
    @extend_schema(
        operation_id="patterns_versions_retrieve",
        tags=PATTERN_TAGS,
        summary=_("One immutable version with its definition"),
        responses={200: s.PatternVersionDetailOutputSerializer, **READ_ERRORS},
    )
    def get(self, request, key, number):
        pattern = pattern_or_404(request.user, key)
        version = selectors.version_of(pattern, number)
        if version is None:
            raise NotFoundError(_("This pattern has no version %(number)s.") % {"number": number})
        return Response(s.PatternVersionDetailOutputSerializer(version).data)


# --- validation, runs, dry runs, statistics ------------------------------------------------


class ValidateView(APIView):
    @extend_schema(
        operation_id="patterns_validate",
        tags=PATTERN_TAGS,
        summary=_("Check a definition without publishing it"),
        description=_(
            "200 with valid true when the definition could be published as the next version "
            "of this pattern; else 422 listing every problem in details.problems."
        ),
        request=s.DefinitionInputSerializer,
        responses={200: s.ValidationOutputSerializer, **READ_ERRORS, 400: E400, 422: E422},
    )
    def post(self, request, key):
        pattern = pattern_or_404(request.user, key)
        data = parsed(s.DefinitionInputSerializer, request)
        services.ensure_valid_definition(data["definition"], pattern_key=pattern.key)
        return Response({"valid": True, "problems": []})


class ExecuteView(APIView):
    @extend_schema(
        operation_id="patterns_execute",
        tags=PATTERN_TAGS,
        summary=_("Run the pattern"),
        description=_(
            "202 with the new execution, which runs in the background. Repeating an "
            "idempotency key (in the body or the Idempotency-Key header) answers 200 with "
            "the execution that key started. Input that does not match the input schema "
            "answers 422 with the problems in details.input; an inactive pattern 400; a "
            "version the pattern does not have 404; guests may not run patterns (403)."
        ),
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description=_("The same as idempotency_key in the body."),
            )
        ],
        request=s.ExecuteInputSerializer,
        responses={
            200: s.ExecuteOutputSerializer,
            202: s.ExecuteOutputSerializer,
            **WRITE_ERRORS,
        },
    )
    def post(self, request, key):
        pattern = pattern_or_404(request.user, key)
        data = parsed(s.ExecuteInputSerializer, request)
        execution, created = services.execution_start(
            actor=request.user,
            pattern=pattern,
            input=data["input"],
            version=data.get("version"),
            idempotency_key=idempotency_key_of(request, data),
        )
        execution = execution_or_404(request.user, execution.pk)
        body = s.ExecuteOutputSerializer(execution, context={"created": created}).data
        return Response(body, status=202 if created else 200)


class DryRunView(APIView):
    @extend_schema(
        operation_id="patterns_dry_run",
        tags=PATTERN_TAGS,
        summary=_("Show what each step would do; nothing is kept"),
        description=_(
            "Runs the steps in a transaction that is rolled back: no execution, event or "
            "other row remains. Errors as for execute."
        ),
        request=s.DryRunInputSerializer,
        responses={200: s.DryRunOutputSerializer, **WRITE_ERRORS},
    )
    def post(self, request, key):
        pattern = pattern_or_404(request.user, key)
        data = parsed(s.DryRunInputSerializer, request)
        report = services.pattern_dry_run(
            actor=request.user, pattern=pattern, input=data["input"], version=data.get("version")
        )
        return Response(s.DryRunOutputSerializer(report).data)


class StatsView(APIView):
    @extend_schema(
        operation_id="patterns_stats",
        tags=PATTERN_TAGS,
        summary=_("Runs, success rate, p50/p95 duration and failures by step"),
        description=_("Over the finished top-level runs; by version too, newest first."),
        parameters=[s.StatsQuerySerializer],
        responses={200: s.PatternStatsOutputSerializer, **READ_ERRORS, 422: E422},
    )
    def get(self, request, key):
        pattern = pattern_or_404(request.user, key)
        query = s.StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        number = query.validated_data.get("version")
        if number is not None and selectors.version_of(pattern, number) is None:
            raise NotFoundError(_("This pattern has no version %(number)s.") % {"number": number})
        stats = selectors.pattern_stats(pattern, user=request.user, version=number)
        return Response(s.PatternStatsOutputSerializer(stats).data)


# --- executions ----------------------------------------------------------------------------


class ExecutionListView(GenericAPIView):
    queryset = Execution.objects.none()
    serializer_class = s.ExecutionOutputSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = ExecutionFilter
    ordering_fields = ["created_at", "started_at", "finished_at", "status"]

    @extend_schema(
        operation_id="executions_list",
        tags=EXECUTION_TAGS,
        summary=_("The runs the caller started, newest first (staff: every run)"),
        responses={200: s.ExecutionOutputSerializer(many=True), 401: E401, 422: E422},
    )
    def get(self, request):
        executions = self.filter_queryset(selectors.executions_visible_to(request.user))
        page = self.paginate_queryset(executions)
        return self.get_paginated_response(s.ExecutionOutputSerializer(page, many=True).data)


class ExecutionDetailView(APIView):
    @extend_schema(
        operation_id="executions_retrieve",
        tags=EXECUTION_TAGS,
        summary=_("One run with its steps: attempts, output, errors, timings, compensation"),
        responses={200: s.ExecutionDetailOutputSerializer, **READ_ERRORS},
    )
    def get(self, request, execution_id):
        execution = execution_or_404(request.user, execution_id)
        return Response(s.ExecutionDetailOutputSerializer(execution).data)


class ExecutionCancelView(APIView):
    @extend_schema(
        operation_id="executions_cancel",
        tags=EXECUTION_TAGS,
        summary=_("Stop the run and undo its finished steps"),
        description=_(
            "202: the run stops before its next step and undoes the finished steps that "
            "have compensation on. A finished run answers 409; a run started by a composite "
            "step 400 (cancel its caller)."
        ),
        request=None,
        responses={202: s.ExecutionDetailOutputSerializer, **READ_ERRORS, 400: E400, 409: E409},
    )
    def post(self, request, execution_id):
        execution = execution_or_404(request.user, execution_id)
        services.execution_cancel(actor=request.user, execution=execution)
        execution = execution_or_404(request.user, execution_id)
        return Response(s.ExecutionDetailOutputSerializer(execution).data, status=202)


# --- step types ----------------------------------------------------------------------------


class StepTypeListView(GenericAPIView):
    filter_backends: list = []

    @extend_schema(
        operation_id="step_types_list",
        tags=PATTERN_TAGS,
        summary=_("Every step type a definition may use, by name"),
        responses={200: s.StepTypeOutputSerializer(many=True), 401: E401},
    )
    def get(self, request):
        page = self.paginate_queryset(steps.all_types())
        return self.get_paginated_response(s.StepTypeOutputSerializer(page, many=True).data)
