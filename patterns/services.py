"""Every write on patterns: define, publish versions, start, cancel and dry-run executions.

Each function is one transaction, takes keyword arguments and raises only BaseAppException
subclasses. Executions are enqueued after commit.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from modeltranslation.utils import auto_populate
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from nexus_site.definitions.enums import Role
from nexus_site.exceptions import (
    AuthorizationError,
    BaseAppException,
    BusinessRuleError,
    ConflictError,
    ValidationError,
)
from patterns import steps
from patterns.crontab import due_at_or_before
from patterns.dispatch import enqueue_execution
from patterns.engine.definition import PatternDefinition, checksum
from patterns.engine.validation import Problem, validate_definition
from patterns.executor import execution_run_inline
from patterns.input_schema import (
    NO_RETRIEVAL,
    endless_reference_loop,
    input_problems,
)
from patterns.models import (
    Execution,
    ExecutionStatus,
    Pattern,
    PatternKind,
    PatternSchedule,
    PatternVersion,
)
from patterns.runs import new_execution, version_to_run
from patterns.store import store_put

PATTERN_FIELDS = frozenset({"name", "description", "is_active", "input_schema"})
logger = logging.getLogger(__name__)
REFERENCE_KEYWORDS = ("$ref", "$dynamicRef")
# Keywords whose values are data, not subschemas: a "$ref" key in there is no reference.
DATA_KEYWORDS = frozenset({"const", "enum", "default", "examples"})


# --- definitions --------------------------------------------------------------------------


def latest_steps_of(key: str) -> list[Any] | None:
    """Return the steps of a pattern's current version (None when there is no such pattern)."""
    version = (
        PatternVersion.objects.filter(pattern__key=key)
        .order_by("-number")
        .values_list("definition", flat=True)
        .first()
    )
    if version is None:
        return None
    return list(version.get("steps") or [])


def definition_problems(definition: Any, *, pattern_key: str | None = None) -> list[Problem]:
    """Return every problem of ``definition`` against the registered step types."""
    return validate_definition(
        definition,
        parameter_schemas=steps.parameter_schemas(),
        steps_of=latest_steps_of,
        pattern_key=pattern_key,
    )


def ensure_valid_definition(definition: Any, *, pattern_key: str | None = None) -> dict[str, Any]:
    """Return the definition with every default spelled out, or raise 422 listing problems."""
    problems = definition_problems(definition, pattern_key=pattern_key)
    if problems:
        raise ValidationError(
            ngettext(
                "The definition has %(count)s problem.",
                "The definition has %(count)s problems.",
                len(problems),
            )
            % {"count": len(problems)},
            details={"problems": [problem.as_dict() for problem in problems]},
        )
    return PatternDefinition.from_dict(definition).to_dict()


def ensure_valid_input_schema(schema: Any) -> dict[str, Any]:
    """Return ``schema`` when it is a JSON Schema object, else raise 422."""
    if not isinstance(schema, dict):
        raise ValidationError(details={"input_schema": [_("The input schema must be an object.")]})
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise ValidationError(
            details={
                "input_schema": [_("Not a valid JSON Schema: %(error)s") % {"error": exc.message}]
            }
        ) from exc
    unresolved = unresolvable_references(schema)
    if unresolved:
        raise ValidationError(
            details={
                "input_schema": [
                    _("A reference must point inside the schema: %(reference)s")
                    % {"reference": reference}
                    for reference in unresolved
                ]
            }
        )
    loop = endless_reference_loop(schema)
    if loop is not None:
        message = _(
            "The schema at %(location)s refers back to itself without descending into the "
            "input, so no input could ever be checked against it."
        )
        raise ValidationError(details={"input_schema": [message % {"location": loop}]})
    return schema


def schema_references(schema: dict[str, Any]) -> list[str]:
    """Return the values of every $ref and $dynamicRef in ``schema``, in no special order."""
    found, stack = [], [schema]
    while stack:
        current = stack.pop()
        if isinstance(current, list):
            stack.extend(current)
            continue
        if not isinstance(current, dict):
            continue
        for key, value in current.items():
            if key in REFERENCE_KEYWORDS and isinstance(value, str):
                found.append(value)
            elif key not in DATA_KEYWORDS:
                stack.append(value)
    return found


def unresolvable_references(schema: dict[str, Any]) -> list[str]:
    """Return the references of ``schema`` that do not resolve inside it, without fetching."""
    resource = DRAFT202012.create_resource(schema)
    base = resource.id() or ""
    resolver = NO_RETRIEVAL.with_resource(base, resource).resolver(base_uri=base)
    unresolved = []
    for reference in schema_references(schema):
        try:
            resolver.lookup(reference)
        except Unresolvable:
            unresolved.append(reference)
    return sorted(set(unresolved))


def ensure_can_change(actor, pattern: Pattern) -> None:
    """Staff change every pattern; a user changes the user patterns they own."""
    if actor.is_staff or getattr(actor, "role", None) == Role.ADMIN:
        return
    if pattern.kind == PatternKind.USER and pattern.owner_id == actor.pk:
        return
    raise AuthorizationError(_("Only staff and the owner may change this pattern."))


def ensure_can_run(actor) -> None:
    if getattr(actor, "role", None) == Role.GUEST:
        raise AuthorizationError(_("Guests may not run patterns."))


def write_version(*, pattern: Pattern, definition: dict[str, Any], author) -> PatternVersion:
    """Store ``definition`` (already validated) as the pattern's next version."""
    digest = checksum(definition)
    number = pattern.current_version + 1
    version = PatternVersion.objects.create(
        pattern=pattern, number=number, definition=definition, checksum=digest, author=author
    )
    pattern.current_version = number
    pattern.save(update_fields=["current_version", "updated_at"])
    transaction.on_commit(lambda: store_put(pattern.key, number, digest, definition))
    return version


def clean_pattern(pattern: Pattern) -> None:
    try:
        pattern.full_clean(exclude=["owner"], validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        raise ValidationError(details=exc.message_dict) from exc


@transaction.atomic
def pattern_create(
    *,
    actor,
    key: str,
    name: str,
    definition: Any,
    description: str = "",
    kind: str = PatternKind.USER,
    input_schema: Any = None,
    is_active: bool = True,
) -> Pattern:
    """Create a pattern with its first version; only staff create system or composite ones."""
    if kind not in PatternKind.values:
        raise ValidationError(details={"kind": [_("Unknown kind.")]})
    staff = actor is None or actor.is_staff or getattr(actor, "role", None) == Role.ADMIN
    if kind != PatternKind.USER and not staff:
        raise AuthorizationError(_("Only staff may create system and composite patterns."))
    if actor is not None:
        ensure_can_run(actor)  # guests only look: no patterns of their own either
    # Written in the caller's language, and in the default language that other languages
    # fall back to (a pattern created in German still has a name in English).
    with auto_populate("default"):
        pattern = Pattern(
            key=key,
            name=name,
            description=description,
            kind=kind,
            owner=actor if kind == PatternKind.USER else None,
            is_active=is_active,
            input_schema=ensure_valid_input_schema({} if input_schema is None else input_schema),
        )
    clean_pattern(pattern)
    if Pattern.objects.filter(key=key).exists():
        raise ConflictError(_("A pattern with this key already exists."))
    cleaned = ensure_valid_definition(definition, pattern_key=key)
    try:
        with transaction.atomic():
            pattern.save(force_insert=True)
    except IntegrityError as exc:
        raise ConflictError(_("A pattern with this key already exists.")) from exc
    write_version(pattern=pattern, definition=cleaned, author=actor)
    return pattern


@transaction.atomic
def pattern_update(*, actor, pattern: Pattern, **fields: Any) -> Pattern:
    """Change a pattern's name, description, active flag or input schema."""
    ensure_can_change(actor, pattern)
    unknown = set(fields) - PATTERN_FIELDS
    if unknown:
        raise ValidationError(
            details={name: [_("This field cannot be changed.")] for name in unknown}
        )
    if "input_schema" in fields:
        fields["input_schema"] = ensure_valid_input_schema(fields["input_schema"])
    for name, value in fields.items():
        setattr(pattern, name, value)
    clean_pattern(pattern)
    pattern.save()
    return pattern


@transaction.atomic
def pattern_version_publish(*, actor, pattern: Pattern, definition: Any) -> PatternVersion:
    """Publish a new version; the same definition as the current one publishes nothing.

    Executions already started keep running their own version.
    """
    if actor is not None:
        ensure_can_change(actor, pattern)
    cleaned = ensure_valid_definition(definition, pattern_key=pattern.key)
    locked = Pattern.objects.select_for_update().get(pk=pattern.pk)
    current = locked.versions.filter(number=locked.current_version).first()
    if current is not None and current.checksum == checksum(cleaned):
        return current
    version = write_version(pattern=locked, definition=cleaned, author=actor)
    pattern.current_version = locked.current_version
    return version


@transaction.atomic
def pattern_delete(*, actor, pattern: Pattern) -> None:
    """Delete a user pattern with its versions and executions; system patterns stay."""
    ensure_can_change(actor, pattern)
    if pattern.kind != PatternKind.USER:
        raise BusinessRuleError(_("System and composite patterns are deactivated, not deleted."))
    if pattern.executions.filter(
        status__in=[ExecutionStatus.PENDING, ExecutionStatus.RUNNING]
    ).exists():
        raise ConflictError(_("The pattern has executions still running."))
    pattern.delete()


# --- executions ---------------------------------------------------------------------------


def execution_start(
    *,
    actor,
    pattern: Pattern,
    input: Any,
    version: int | None = None,
    idempotency_key: str = "",
) -> tuple[Execution, bool]:
    """Start a run after commit; the same idempotency key returns the same execution.

    Returns ``(execution, created)``.
    """
    ensure_can_run(actor)
    idempotency_key = (idempotency_key or "").strip()
    if len(idempotency_key) > 200:
        raise ValidationError(details={"idempotency_key": [_("At most 200 characters.")]})
    if idempotency_key:
        existing = Execution.objects.filter(
            pattern=pattern, started_by=actor, idempotency_key=idempotency_key
        ).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            execution = new_execution(
                pattern=pattern,
                version=version_to_run(pattern, version),
                input=input,
                actor=actor,
                idempotency_key=idempotency_key,
            )
            transaction.on_commit(lambda: enqueue_execution(execution.pk))
    except IntegrityError:
        # The same key raced in from another request: answer with the execution it made.
        existing = Execution.objects.filter(
            pattern=pattern, started_by=actor, idempotency_key=idempotency_key
        ).first()
        if existing is None:
            raise
        return existing, False
    return execution, True


@transaction.atomic
def execution_cancel(*, actor, execution: Execution) -> Execution:
    """Stop scheduling steps and undo the finished ones; a finished run cannot be cancelled."""
    execution = Execution.objects.select_for_update().get(pk=execution.pk)
    if execution.is_finished:
        raise ConflictError(
            _("The execution has already finished."), details={"status": execution.status}
        )
    if execution.parent_step_id is not None:
        raise BusinessRuleError(_("Cancel the execution that called this one."))
    if not execution.cancel_requested:
        execution.cancel_requested = True
        execution.save(update_fields=["cancel_requested"])
    if not execution.lease_owner:
        # Nobody is driving the run (pending, or waiting for a later step): wake it to stop.
        transaction.on_commit(lambda: enqueue_execution(execution.pk))
    return execution


def pattern_dry_run(
    *, actor, pattern: Pattern, input: Any, version: int | None = None
) -> dict[str, Any]:
    """Run the pattern in a transaction that is rolled back; return what each step did.

    Nothing is kept: no row, no event, no task enqueued after commit.
    """
    ensure_can_run(actor)
    with transaction.atomic():
        execution = new_execution(
            pattern=pattern, version=version_to_run(pattern, version), input=input, actor=actor
        )
        execution = execution_run_inline(execution, dry_run=True)
        report = {
            "pattern": pattern.key,
            "version": execution.version.number,
            "status": execution.status,
            "error": execution.error,
            "steps": [
                {
                    "id": run.step_id,
                    "type": run.type,
                    "status": run.status,
                    "attempts": run.attempts,
                    "parameters": run.parameters,
                    "output": run.output,
                    "error": run.error,
                }
                for run in execution.steps.order_by("position")
            ],
        }
        transaction.set_rollback(True)
    return report


# --- schedules ----------------------------------------------------------------------------

SCHEDULE_TASK = "patterns.tasks.run_scheduled_pattern"
# The idempotency keys of the runs a schedule starts: "schedule:<id>:<tick>".
SCHEDULE_RUN_PREFIX = "schedule:"
CRONTAB_FIELDS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")


def crontab_parts(expression: str) -> dict[str, str]:
    """Return the five fields of a crontab expression ("m h dom mon dow"), or raise 422."""
    from celery.schedules import crontab as celery_crontab

    parts = expression.split()
    if len(parts) != len(CRONTAB_FIELDS):
        raise ValidationError(
            details={"crontab": [_("Write five fields: minute hour day month weekday.")]}
        )
    fields = dict(zip(CRONTAB_FIELDS, parts, strict=True))
    try:
        celery_crontab(**fields)
    except (ValueError, TypeError) as exc:
        raise ValidationError(
            details={"crontab": [_("Not a valid crontab expression: %(error)s") % {"error": exc}]}
        ) from exc
    return fields


def ensure_can_schedule(actor, pattern: Pattern, run_as) -> None:
    """Staff schedule any pattern as anyone; others schedule what they may see, as themselves."""
    ensure_can_run(run_as)
    if actor is None or actor.is_staff or getattr(actor, "role", None) == Role.ADMIN:
        return
    if run_as.pk != actor.pk or (pattern.owner_id is not None and pattern.owner_id != actor.pk):
        raise AuthorizationError(_("You may schedule only your patterns, run as yourself."))


@transaction.atomic
def pattern_schedule_save(
    *,
    actor,
    pattern: Pattern,
    input: Any,
    run_as,
    every_minutes: int | None = None,
    crontab: str = "",
    schedule=None,
    enabled: bool | None = None,
):
    """Create or change a schedule and its django-celery-beat periodic task.

    Exactly one of ``every_minutes`` (an interval) and ``crontab`` (five fields) is given.
    ``enabled`` None keeps a schedule paused or running as it was (a new one runs).
    """
    import json

    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    from patterns.models import PatternSchedule

    ensure_can_schedule(actor, pattern, run_as)
    crontab = (crontab or "").strip()
    if (every_minutes is None) == (not crontab):
        raise ValidationError(
            _("Give either an interval in minutes or a crontab expression."),
            details={
                "schedule": [_("Give either an interval in minutes or a crontab expression.")]
            },
        )
    if every_minutes is not None and every_minutes < 1:
        raise ValidationError(details={"every_minutes": [_("At least one minute.")]})
    problems = input_problems(pattern, input)
    if problems:
        raise ValidationError(
            _("The input does not match the pattern's input schema."),
            details={"input": problems},
        )
    if schedule is None:
        schedule = PatternSchedule(pattern=pattern, input=input, run_as=run_as)
        schedule.save(force_insert=True)
    else:
        schedule = PatternSchedule.objects.select_for_update().get(pk=schedule.pk)
        schedule.pattern, schedule.input, schedule.run_as = pattern, input, run_as
        schedule.save(update_fields=["pattern", "input", "run_as"])
    interval = cron = None
    if every_minutes is not None:
        interval, _created = IntervalSchedule.objects.get_or_create(
            every=every_minutes, period=IntervalSchedule.MINUTES
        )
    else:
        cron, _created = CrontabSchedule.objects.get_or_create(
            **crontab_parts(crontab), timezone="UTC"
        )
    task = schedule.periodic_task or PeriodicTask(name=f"pattern-schedule:{schedule.pk}")
    task.task = SCHEDULE_TASK
    task.kwargs = json.dumps({"schedule_id": str(schedule.pk)})
    task.interval, task.crontab = interval, cron
    if enabled is not None or task.pk is None:
        task.enabled = True if enabled is None else enabled
    task.description = f"{pattern.key} as {run_as}"
    task.save()
    if schedule.periodic_task_id != task.pk:
        schedule.periodic_task = task
        schedule.save(update_fields=["periodic_task"])
    return schedule


@transaction.atomic
def pattern_schedule_pause(*, actor, schedule, enabled: bool):
    """Pause (``enabled`` false) or resume a schedule, keeping it and its timing."""
    ensure_can_schedule(actor, schedule.pattern, schedule.run_as)
    schedule = (
        PatternSchedule.objects.select_for_update(of=("self",))
        .select_related("pattern", "run_as", "periodic_task")
        .get(pk=schedule.pk)
    )
    task = schedule.periodic_task
    if task is None:
        message = _("This schedule has no timing; edit it to give one.")
        raise ValidationError(message, details={"schedule": [message]})
    if task.enabled != enabled:
        task.enabled = enabled
        task.save()
    return schedule


def schedule_run_key(schedule_id, tick: str) -> str:
    """Return the idempotency key of the run a schedule starts for one tick."""
    return f"{SCHEDULE_RUN_PREFIX}{schedule_id}:{tick}"[:200]


def pattern_schedule_run(
    *, schedule_id, message_id: str, now: datetime | None = None
) -> Execution | None:
    """Start a schedule's pattern with its input as its user, once per tick.

    A crontab schedule's tick is its due minute at or before ``now``: every message for that
    minute (a redelivery after a worker died, a second beat) returns the run the first one
    started. An interval schedule's tick is the beat message (``message_id``). Nothing starts,
    and None is returned, when the schedule is gone or paused, its pattern or user inactive,
    or the user may no longer run it with this input.
    """
    schedule = (
        PatternSchedule.objects.select_related("pattern", "run_as", "periodic_task__crontab")
        .filter(pk=schedule_id)
        .first()
    )
    if schedule is None or not schedule.pattern.is_active or not schedule.run_as.is_active:
        return None
    task = schedule.periodic_task
    if task is not None and not task.enabled:
        return None  # sent before the pause
    tick = message_id
    if task is not None and task.crontab is not None:
        moment = (now or timezone.now()).astimezone(task.crontab.timezone)
        due = due_at_or_before(task.crontab.schedule, moment)
        if due is not None:
            tick = due.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
    try:
        execution, _created = execution_start(
            actor=schedule.run_as,
            pattern=schedule.pattern,
            input=schedule.input,
            idempotency_key=schedule_run_key(schedule.pk, tick),
        )
    except BaseAppException as exc:
        logger.warning("schedule %s did not start: %s", schedule.pk, exc.message)
        return None
    return execution


@transaction.atomic
def pattern_schedule_delete(*, actor, schedule) -> None:
    """Delete a schedule and its periodic task, so beat stops starting it."""
    ensure_can_schedule(actor, schedule.pattern, schedule.run_as)
    task = schedule.periodic_task
    schedule.delete()
    if task is not None:
        task.delete()
