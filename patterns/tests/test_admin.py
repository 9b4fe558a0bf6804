"""The staff screens for patterns at /admin/: editor, translations, run, dry run, statistics,
executions with their timeline and cancel action, schedules in django-celery-beat."""

import json
import re

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from accounts.tests.factories import UserFactory
from nexus_site.definitions.enums import Role
from nexus_site.events.models import Event
from patterns.models import (
    Execution,
    ExecutionStatus,
    Pattern,
    PatternKind,
    PatternSchedule,
    PatternVersion,
    StepStatus,
)
from patterns.services import execution_start, pattern_schedule_save
from patterns.tasks import run_scheduled_pattern
from patterns.tests.factories import make_pattern

pytestmark = pytest.mark.django_db

STEPS = [
    {"id": "first", "type": "condition", "parameters": {"value": True}},
    {"id": "second", "type": "condition", "parameters": {"value": True}, "depends_on": ["first"]},
]
SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string", "default": "Ada"}},
    "required": ["name"],
}


@pytest.fixture
def admin_client(staff_user) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def pattern(staff_user):
    return make_pattern(staff_user, key="greet", steps=STEPS, input_schema=SCHEMA)


def change_url(pattern) -> str:
    return reverse("admin:patterns_pattern_change", args=[pattern.pk])


def translations(name: str = "", description: str = "", **per_language) -> dict:
    data = {}
    for code, _label in settings.LANGUAGES:
        data[f"name_{code}"] = per_language.get(f"name_{code}", name if code == "en" else "")
        data[f"description_{code}"] = per_language.get(
            f"description_{code}", description if code == "en" else ""
        )
    return data


def version_inline(pattern) -> dict:
    """Return what the browser posts for the read-only version inline."""
    versions = list(pattern.versions.order_by("-number"))
    data = {
        "versions-TOTAL_FORMS": str(len(versions)),
        "versions-INITIAL_FORMS": str(len(versions)),
        "versions-MIN_NUM_FORMS": "0",
        "versions-MAX_NUM_FORMS": "1000",
    }
    for index, version in enumerate(versions):
        data[f"versions-{index}-id"] = str(version.pk)
        data[f"versions-{index}-pattern"] = str(pattern.pk)
    return data


def change_form(pattern, definition=None, **changes) -> dict:
    version = pattern.versions.get(number=pattern.current_version)
    data = {
        **translations(pattern.name_en, pattern.description_en or ""),
        "is_active": "on" if pattern.is_active else "",
        "input_schema": json.dumps(pattern.input_schema),
        "new_definition": json.dumps(version.definition if definition is None else definition),
        **version_inline(pattern),
        "_save": "Save",
        **changes,
    }
    return {key: value for key, value in data.items() if value != "" or key != "is_active"}


# --- the list and the change page ---------------------------------------------------------


def test_the_list_shows_runs_and_success_rate_in_constant_queries(
    admin_client, staff_user, pattern
):
    def list_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(reverse("admin:patterns_pattern_changelist"))
        assert response.status_code == 200
        return len(queries)

    Execution.objects.bulk_create(
        Execution(
            pattern=pattern,
            version=pattern.versions.get(),
            status=status,
            started_by=staff_user,
        )
        for status in (ExecutionStatus.SUCCEEDED, ExecutionStatus.SUCCEEDED, ExecutionStatus.FAILED)
    )
    list_queries()
    few = list_queries()
    for _ in range(5):
        make_pattern(staff_user)

    assert list_queries() == few
    html = admin_client.get(reverse("admin:patterns_pattern_changelist")).content.decode()
    assert "67%" in html
    assert '<td class="field-runs">3</td>' in html


def test_the_change_page_has_a_field_per_language_the_versions_and_statistics(
    admin_client, pattern
):
    response = admin_client.get(change_url(pattern))

    html = response.content.decode()
    assert response.status_code == 200
    for code in ("en", "ar", "de", "es", "fr", "it", "ru"):
        assert f'name="name_{code}"' in html
        assert f'name="description_{code}"' in html
    assert '<textarea name="new_definition"' in html
    assert "&quot;second&quot;" in html  # prefilled with the current definition
    assert response.context["stats"]["runs"] == 0
    assert 'id="pattern-statistics"' in html
    assert reverse("admin:patterns_pattern_run", args=[pattern.pk]) in html
    assert reverse("admin:patterns_pattern_dry_run", args=[pattern.pk]) in html
    assert pattern.versions.get().checksum in html


def test_saving_translations_keeps_each_language(admin_client, pattern):
    data = change_form(
        pattern,
        **translations("Greet", "Say hello", name_de="Grüßen", description_ar="قل مرحبا"),
    )

    response = admin_client.post(change_url(pattern), data)

    assert response.status_code == 302
    pattern.refresh_from_db()
    assert pattern.name_en == "Greet"
    assert pattern.name_de == "Grüßen"
    assert pattern.description_ar == "قل مرحبا"
    assert pattern.current_version == 1  # the definition did not change


# --- the definition editor ----------------------------------------------------------------


def test_an_invalid_definition_shows_every_problem_and_saves_nothing(admin_client, pattern):
    broken = {
        "steps": [
            {"id": "a", "type": "no.such.type"},
            {"id": "a", "type": "condition", "parameters": {"value": True}},
            {"id": "b", "type": "wait", "parameters": {}, "depends_on": ["ghost"]},
        ]
    }
    data = change_form(pattern, broken, **translations("Renamed"))

    response = admin_client.post(change_url(pattern), data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["new_definition"]
    codes = {error.split("]")[0].strip("[") for error in errors}
    assert {"unknown_step_type", "duplicate_step_id", "unknown_dependency"} <= codes
    assert len(errors) >= 4  # the wait step's missing "seconds" too
    html = response.content.decode()
    assert "[unknown_dependency] " in html
    assert "ghost" in html
    pattern.refresh_from_db()
    assert pattern.current_version == 1
    assert pattern.name_en != "Renamed"
    assert PatternVersion.objects.filter(pattern=pattern).count() == 1


def test_a_changed_valid_definition_publishes_the_next_version(admin_client, staff_user, pattern):
    steps = [*STEPS, {"id": "third", "type": "wait", "parameters": {"seconds": 0}}]

    response = admin_client.post(change_url(pattern), change_form(pattern, {"steps": steps}))

    assert response.status_code == 302
    pattern.refresh_from_db()
    assert pattern.current_version == 2
    newest = pattern.versions.get(number=2)
    assert [step["id"] for step in newest.definition["steps"]] == ["first", "second", "third"]
    assert newest.author == staff_user


def test_saving_an_unchanged_definition_publishes_nothing(admin_client, pattern):
    admin_client.post(change_url(pattern), change_form(pattern))

    pattern.refresh_from_db()
    assert pattern.current_version == 1


def test_an_invalid_input_schema_is_a_form_error_and_nothing_changes(admin_client, pattern):
    steps = [*STEPS, {"id": "third", "type": "wait", "parameters": {"seconds": 0}}]
    data = change_form(pattern, {"steps": steps}, input_schema='{"type": 5}')

    response = admin_client.post(change_url(pattern), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["input_schema"]
    pattern.refresh_from_db()
    assert pattern.current_version == 1
    assert pattern.input_schema == SCHEMA


def test_creating_a_pattern_goes_through_the_service_with_its_first_version(
    admin_client, staff_user
):
    data = {
        "key": "fresh",
        **translations("Fresh", name_fr="Frais"),
        "kind": PatternKind.SYSTEM,
        "owner": "",
        "is_active": "on",
        "input_schema": "{}",
        "new_definition": json.dumps({"steps": STEPS}),
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
        "versions-MIN_NUM_FORMS": "0",
        "versions-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }

    response = admin_client.post(reverse("admin:patterns_pattern_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    pattern = Pattern.objects.get(key="fresh")
    assert pattern.kind == PatternKind.SYSTEM
    assert pattern.owner is None
    assert pattern.name_fr == "Frais"
    assert pattern.current_version == 1
    assert pattern.versions.get().author == staff_user


def test_creating_a_pattern_with_an_invalid_definition_creates_nothing(admin_client):
    data = {
        "key": "fresh",
        **translations("Fresh"),
        "kind": PatternKind.USER,
        "owner": "",
        "is_active": "on",
        "input_schema": "{}",
        "new_definition": json.dumps({"steps": [{"id": "x", "type": "nope"}]}),
        "_save": "Save",
    }

    response = admin_client.post(reverse("admin:patterns_pattern_add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["new_definition"]
    assert not Pattern.objects.filter(key="fresh").exists()


def test_creating_a_pattern_with_a_taken_key_shows_the_conflict(admin_client, pattern):
    before = Pattern.objects.count()
    data = {
        "key": pattern.key,
        **translations("Again"),
        "kind": PatternKind.SYSTEM,
        "is_active": "on",
        "input_schema": "{}",
        "new_definition": json.dumps({"steps": STEPS}),
        "_save": "Save",
    }

    response = admin_client.post(reverse("admin:patterns_pattern_add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert Pattern.objects.count() == before


def test_non_staff_cannot_open_the_pattern_admin(client, pattern):
    client.force_login(UserFactory(role=Role.USER))

    response = client.get(change_url(pattern))

    assert response.status_code == 302
    assert "/admin/login/" in response.url


# --- run and dry run ----------------------------------------------------------------------


def test_the_run_form_is_prefilled_with_the_schema_defaults(admin_client, pattern):
    response = admin_client.get(reverse("admin:patterns_pattern_run", args=[pattern.pk]))

    assert response.status_code == 200
    assert "&quot;Ada&quot;" in response.content.decode()


def test_run_starts_an_execution_as_the_staff_user_and_shows_it(
    admin_client, staff_user, pattern, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:patterns_pattern_run", args=[pattern.pk]),
            {"input": '{"name": "Grace"}', "version": ""},
        )

    execution = Execution.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:patterns_execution_change", args=[execution.pk])
    assert execution.started_by == staff_user
    assert execution.input == {"name": "Grace"}
    assert execution.status == ExecutionStatus.SUCCEEDED


def test_run_with_input_the_schema_refuses_lists_the_problems(admin_client, pattern):
    response = admin_client.post(
        reverse("admin:patterns_pattern_run", args=[pattern.pk]),
        {"input": '{"name": 5}', "version": ""},
    )

    assert response.status_code == 200
    assert "is not of type" in response.content.decode()
    assert not Execution.objects.exists()


def test_dry_run_shows_the_report_and_keeps_nothing(admin_client, pattern):
    events_before = Event.objects.count()

    response = admin_client.post(
        reverse("admin:patterns_pattern_dry_run", args=[pattern.pk]),
        {"input": '{"name": "Grace"}', "version": ""},
    )

    assert response.status_code == 200
    report = response.context["report"]
    assert report["status"] == ExecutionStatus.SUCCEEDED
    assert [step["id"] for step in report["steps"]] == ["first", "second"]
    html = response.content.decode()
    assert html.count('class="dry-run-step"') == 2
    assert 'data-status="succeeded">Succeeded</td>' in html
    assert not Execution.objects.exists()
    assert Event.objects.count() == events_before


# --- executions ---------------------------------------------------------------------------


def test_the_execution_page_shows_the_step_timeline_and_the_error(
    admin_client, staff_user, django_capture_on_commit_callbacks
):
    failing = make_pattern(
        staff_user,
        key="fails",
        steps=[
            {"id": "ok", "type": "condition", "parameters": {"value": True}},
            {
                "id": "bad",
                "type": "condition",
                "parameters": {"left": 1, "operator": "lt", "right": "x"},
                "depends_on": ["ok"],
            },
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        execution, _created = execution_start(actor=staff_user, pattern=failing, input={})
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.FAILED

    response = admin_client.get(reverse("admin:patterns_execution_change", args=[execution.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "invalid_comparison" in html
    assert re.search(r'field-step_id">\s*<p>bad</p>', html)
    steps = response.context["inline_admin_formsets"][0].formset.queryset
    assert [(step.step_id, step.status) for step in steps] == [
        ("ok", StepStatus.SUCCEEDED),
        ("bad", StepStatus.FAILED),
    ]
    assert "field-duration" in html
    assert "field-failures" in html


def test_the_execution_list_filters_by_status_and_pattern(admin_client, staff_user, pattern):
    execution_start(actor=staff_user, pattern=pattern, input={"name": "a"})
    other = make_pattern(staff_user, key="other")
    execution_start(actor=staff_user, pattern=other, input={})

    response = admin_client.get(
        reverse("admin:patterns_execution_changelist"),
        {"status__exact": "pending", "pattern__id__exact": str(pattern.pk)},
    )

    assert response.status_code == 200
    assert [row.pattern.key for row in response.context["cl"].result_list] == ["greet"]


def test_the_cancel_action_asks_running_executions_to_stop(
    admin_client, staff_user, pattern, django_capture_on_commit_callbacks
):
    running, _created = execution_start(actor=staff_user, pattern=pattern, input={"name": "a"})
    with django_capture_on_commit_callbacks(execute=True):
        done, _created = execution_start(actor=staff_user, pattern=pattern, input={"name": "b"})

    response = admin_client.post(
        reverse("admin:patterns_execution_changelist"),
        {"action": "cancel_executions", "_selected_action": [str(running.pk), str(done.pk)]},
    )

    assert response.status_code == 302
    running.refresh_from_db()
    done.refresh_from_db()
    assert running.cancel_requested
    assert not done.cancel_requested
    texts = [str(message) for message in get_messages(response.wsgi_request)]
    assert texts == ["1 execution is being cancelled."]


# --- schedules ----------------------------------------------------------------------------


def schedule_form(pattern, user, **changes) -> dict:
    return {
        "pattern": str(pattern.pk),
        "input": '{"name": "Beat"}',
        "run_as": str(user.pk),
        "every_minutes": "",
        "crontab": "",
        "_save": "Save",
        **changes,
    }


def test_adding_a_schedule_creates_its_periodic_task(admin_client, staff_user, pattern):
    response = admin_client.post(
        reverse("admin:patterns_patternschedule_add"),
        schedule_form(pattern, staff_user, every_minutes="15"),
    )

    assert response.status_code == 302
    schedule = PatternSchedule.objects.get()
    task = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    assert task.task == "patterns.tasks.run_scheduled_pattern"
    assert json.loads(task.kwargs) == {"schedule_id": str(schedule.pk)}
    assert task.interval.every == 15
    assert task.interval.period == "minutes"
    assert task.crontab is None
    assert task.enabled


def test_changing_a_schedule_to_a_crontab_updates_the_same_task(admin_client, staff_user, pattern):
    schedule = pattern_schedule_save(
        actor=staff_user, pattern=pattern, input={"name": "x"}, run_as=staff_user, every_minutes=5
    )
    url = reverse("admin:patterns_patternschedule_change", args=[schedule.pk])
    assert 'value="5"' in admin_client.get(url).content.decode()

    response = admin_client.post(url, schedule_form(pattern, staff_user, crontab="30 7 * * 1-5"))

    assert response.status_code == 302
    task = PeriodicTask.objects.get()
    assert task.pk == schedule.periodic_task_id
    assert task.interval is None
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == (
        "30",
        "7",
        "1-5",
    )


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({}, "Give either an interval in minutes or a crontab expression."),
        ({"every_minutes": "5", "crontab": "* * * * *"}, "Give either an interval"),
        ({"crontab": "61 * * * *"}, "Not a valid crontab expression"),
        ({"crontab": "* *"}, "Write five fields"),
        ({"every_minutes": "5", "input": '{"name": 3}'}, "is not of type"),
    ],
)
def test_a_bad_schedule_is_a_form_error_and_nothing_is_saved(
    admin_client, staff_user, pattern, changes, error
):
    response = admin_client.post(
        reverse("admin:patterns_patternschedule_add"),
        schedule_form(pattern, staff_user, **changes),
    )

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not PatternSchedule.objects.exists()
    assert not PeriodicTask.objects.filter(task="patterns.tasks.run_scheduled_pattern").exists()


def test_deleting_a_schedule_deletes_its_periodic_task(admin_client, staff_user, pattern):
    schedule = pattern_schedule_save(
        actor=staff_user, pattern=pattern, input={"name": "x"}, run_as=staff_user, every_minutes=5
    )

    response = admin_client.post(
        reverse("admin:patterns_patternschedule_delete", args=[schedule.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not PatternSchedule.objects.exists()
    assert not PeriodicTask.objects.filter(task="patterns.tasks.run_scheduled_pattern").exists()


def test_the_scheduled_task_starts_an_execution_as_the_schedules_user(
    staff_user, pattern, django_capture_on_commit_callbacks
):
    someone = UserFactory()
    schedule = pattern_schedule_save(
        actor=staff_user, pattern=pattern, input={"name": "Cron"}, run_as=someone, every_minutes=1
    )
    task = PeriodicTask.objects.get(pk=schedule.periodic_task_id)

    with django_capture_on_commit_callbacks(execute=True):
        execution_id = run_scheduled_pattern(**json.loads(task.kwargs))

    execution = Execution.objects.get(pk=execution_id)
    assert execution.started_by == someone
    assert execution.input == {"name": "Cron"}
    assert execution.status == ExecutionStatus.SUCCEEDED


def test_a_user_may_schedule_only_as_themselves(pattern, user, other_user):
    from nexus_site.exceptions import AuthorizationError

    own = make_pattern(user, key="mine")

    with pytest.raises(AuthorizationError):
        pattern_schedule_save(actor=user, pattern=own, input={}, run_as=other_user, every_minutes=5)
    with pytest.raises(AuthorizationError):
        pattern_schedule_save(
            actor=user, pattern=pattern, input={"name": "x"}, run_as=user, every_minutes=5
        )
    assert pattern_schedule_save(
        actor=user, pattern=own, input={}, run_as=user, every_minutes=5
    ).periodic_task.enabled


def test_a_user_pattern_created_without_an_owner_belongs_to_the_staff_user(
    admin_client, staff_user
):
    data = {
        "key": "mine",
        **translations("Mine"),
        "kind": PatternKind.USER,
        "owner": "",
        "is_active": "on",
        "input_schema": "{}",
        "new_definition": json.dumps({"steps": STEPS}),
        "_save": "Save",
    }

    response = admin_client.post(reverse("admin:patterns_pattern_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Pattern.objects.get(key="mine").owner == staff_user
