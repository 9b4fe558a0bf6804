"""The pattern pages: list, a pattern with its generated run form, an execution's timeline."""

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts.tests.factories import UserFactory
from nexus_site.definitions.enums import Role
from nexus_site.events.services import publish
from patterns.models import Execution, ExecutionStatus, Pattern, PatternKind, StepStatus
from patterns.services import execution_start, pattern_update
from patterns.tests.factories import make_pattern

pytestmark = pytest.mark.django_db

SCHEMA = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "title": "Title", "maxLength": 20},
        "count": {"type": "integer", "minimum": 1, "default": 3},
        "ratio": {"type": "number"},
        "urgent": {"type": "boolean", "default": True},
        "colour": {"enum": ["red", "green"], "default": "green"},
        "extra": {"type": "object"},
    },
    "required": ["title", "count"],
    "additionalProperties": False,
}
STEPS = [
    {
        "id": "check",
        "type": "condition",
        "action": "Check the input",
        "parameters": {"value": True},
    },
    {
        "id": "announce",
        "type": "event.publish",
        "depends_on": ["check"],
        "parameters": {"type": "demo.announced"},
    },
]


@pytest.fixture(autouse=True)
def _keep_the_test_language():
    """A page request activates the visitor's language in this thread: put it back after."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def pattern(user):
    return make_pattern(user, key="report", steps=STEPS, input_schema=SCHEMA)


def run_form(**changes) -> dict:
    return {
        "title": "Weekly",
        "count": "2",
        "ratio": "",
        "urgent": "on",
        "colour": '"red"',
        "extra": "",
        **changes,
    }


def test_pages_need_login(client, pattern, user):
    execution, _created = execution_start(
        actor=user, pattern=pattern, input={"title": "a", "count": 1}
    )

    for url in [
        reverse("patterns:list"),
        reverse("patterns:pattern", args=[pattern.key]),
        reverse("patterns:execution", args=[execution.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))


def test_main_nav_links_to_patterns(signed_in):
    html = signed_in.get(reverse("dashboard")).content.decode()

    assert f'href="{reverse("patterns:list")}"' in html


def test_list_shows_visible_patterns_with_kind_and_last_run_status(signed_in, user, pattern):
    make_pattern(UserFactory(), key="someone-elses")
    make_pattern(None, key="shared", kind=PatternKind.SYSTEM)
    _execution, _created = execution_start(
        actor=user, pattern=pattern, input={"title": "a", "count": 1}
    )

    response = signed_in.get(reverse("patterns:list"))

    html = response.content.decode()
    keys = [item.key for item in response.context["patterns"]]
    assert "report" in keys
    assert "shared" in keys
    assert "someone-elses" not in keys
    assert "someone-elses" not in html
    assert 'status-badge--pending" data-status="pending"' in html
    assert "never run" in html
    assert "System" in html


def test_list_runs_a_constant_number_of_queries(signed_in, user):
    def list_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert signed_in.get(reverse("patterns:list")).status_code == 200
        return len(queries)

    make_pattern(user)
    list_queries()
    few = list_queries()
    for _ in range(5):
        make_pattern(user)

    assert list_queries() == few


def test_list_shows_the_description_in_the_users_language(client, user, pattern):
    pattern_update(actor=user, pattern=pattern, description="Weekly report")
    with translation.override("de"):
        pattern_update(actor=user, pattern=pattern, description="Wochenbericht")
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"

    html = client.get(reverse("patterns:list")).content.decode()

    assert "Wochenbericht" in html
    assert "Weekly report" not in html


def test_pattern_page_shows_steps_statistics_and_a_form_from_the_schema(signed_in, pattern):
    response = signed_in.get(reverse("patterns:pattern", args=[pattern.key]))

    assert response.status_code == 200
    html = response.content.decode()
    assert [step["id"] for step in response.context["steps"]] == ["check", "announce"]
    assert "Check the input" in html
    assert '<tr data-step="announce">' in html
    assert "<code>check</code>" in html
    assert response.context["stats"]["runs"] == 0
    form = response.context["form"]
    assert set(form.fields) == {"title", "count", "ratio", "urgent", "colour", "extra"}
    assert 'type="number" name="count" value="3"' in html
    assert 'name="urgent"' in html
    assert "checked" in html
    assert '<option value="&quot;green&quot;" selected>green</option>' in html
    assert '<textarea name="extra"' in html  # objects fall back to JSON
    assert "null</textarea>" not in html  # an empty JSON field starts empty
    assert html.count('class="required-mark"') == 2


def test_a_pattern_without_properties_gets_one_json_input(signed_in, user):
    make_pattern(user, key="free")

    response = signed_in.get(reverse("patterns:pattern", args=["free"]))

    assert list(response.context["form"].fields) == ["input"]
    assert '<textarea name="input"' in response.content.decode()


def test_submitting_the_form_starts_a_run_and_shows_it(
    signed_in, user, pattern, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(
            reverse("patterns:pattern", args=[pattern.key]),
            run_form(extra='{"note": "x"}', ratio="0.5"),
        )

    execution = Execution.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("patterns:execution", args=[execution.pk])
    assert execution.started_by == user
    assert execution.input == {
        "title": "Weekly",
        "count": 2,
        "ratio": 0.5,
        "urgent": True,
        "colour": "red",
        "extra": {"note": "x"},
    }
    assert execution.status == ExecutionStatus.SUCCEEDED


def test_an_unticked_box_sends_false_and_blank_optional_fields_are_left_out(signed_in, pattern):
    data = run_form()
    del data["urgent"]
    data["colour"] = ""

    signed_in.post(reverse("patterns:pattern", args=[pattern.key]), data)

    assert Execution.objects.get().input == {"title": "Weekly", "count": 2, "urgent": False}


def test_input_the_schema_refuses_is_shown_on_the_form_and_nothing_starts(signed_in, pattern):
    response = signed_in.post(
        reverse("patterns:pattern", args=[pattern.key]),
        run_form(title="x" * 10, extra="[1, 2]"),
    )

    assert response.status_code == 422
    assert response.context["form"].errors["extra"]
    assert "is not of type" in response.content.decode()
    assert not Execution.objects.exists()


def test_a_missing_required_field_is_shown_on_the_form(signed_in, pattern):
    response = signed_in.post(reverse("patterns:pattern", args=[pattern.key]), run_form(title=""))

    assert response.status_code == 422
    assert "title" in response.context["form"].errors
    assert not Execution.objects.exists()


def test_a_guest_sees_why_they_cannot_run(client, pattern):
    guest = UserFactory(role=Role.GUEST)
    system = make_pattern(None, key="open", kind=PatternKind.SYSTEM)
    client.force_login(guest)

    response = client.post(reverse("patterns:pattern", args=[system.key]), {"input": "{}"})

    assert response.status_code == 403
    assert "Guests may not run patterns." in response.content.decode()
    assert not Execution.objects.exists()


def test_execution_page_shows_status_timeline_and_stream_cursor(signed_in, user, pattern):
    execution, _created = execution_start(
        actor=user, pattern=pattern, input={"title": "a", "count": 1}
    )
    last = publish("demo.seen", {"pattern": pattern.key}, user_ids=[user.pk])
    publish("demo.other", {"pattern": "elsewhere"}, user_ids=[user.pk])

    response = signed_in.get(reverse("patterns:execution", args=[execution.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-after="{last.id}"' in html
    assert f'data-pattern="{pattern.key}"' in html
    assert 'id="step-check"' in html
    assert 'id="step-announce"' in html
    assert html.count('status-badge--pending" data-status="pending"') == 3  # run + 2 steps
    assert "patterns/execution.js" in html
    assert 'id="cancel-form"' in html


def test_execution_page_of_a_finished_run_shows_each_step(
    signed_in, user, pattern, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        execution, _created = execution_start(
            actor=user, pattern=pattern, input={"title": "a", "count": 1}
        )

    response = signed_in.get(reverse("patterns:execution", args=[execution.pk]))

    html = response.content.decode()
    assert [step.status for step in response.context["steps"]] == [StepStatus.SUCCEEDED] * 2
    assert html.count('status-badge--succeeded" data-status="succeeded"') == 3
    assert 'id="cancel-form"' not in html


def test_cancel_asks_a_running_execution_to_stop(signed_in, user, pattern):
    execution, _created = execution_start(
        actor=user, pattern=pattern, input={"title": "a", "count": 1}
    )

    response = signed_in.post(reverse("patterns:execution-cancel", args=[execution.pk]))

    assert response.status_code == 302
    execution.refresh_from_db()
    assert execution.cancel_requested


def test_cancel_of_a_finished_run_is_refused_with_a_message(
    signed_in, user, pattern, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        execution, _created = execution_start(
            actor=user, pattern=pattern, input={"title": "a", "count": 1}
        )

    response = signed_in.post(
        reverse("patterns:execution-cancel", args=[execution.pk]), follow=True
    )

    assert "The execution has already finished." in response.content.decode()
    execution.refresh_from_db()
    assert not execution.cancel_requested


def test_another_users_pattern_and_execution_answer_404_on_every_page(client, pattern, user):
    execution, _created = execution_start(
        actor=user, pattern=pattern, input={"title": "a", "count": 1}
    )
    client.force_login(UserFactory())

    assert client.get(reverse("patterns:pattern", args=[pattern.key])).status_code == 404
    assert (
        client.post(reverse("patterns:pattern", args=[pattern.key]), run_form()).status_code == 404
    )
    assert client.get(reverse("patterns:execution", args=[execution.pk])).status_code == 404
    cancel = client.post(reverse("patterns:execution-cancel", args=[execution.pk]))
    assert cancel.status_code == 404
    assert Execution.objects.count() == 1
    execution.refresh_from_db()
    assert not execution.cancel_requested


def test_submitting_the_same_form_twice_starts_one_run(signed_in, pattern):
    html = signed_in.get(reverse("patterns:pattern", args=[pattern.key])).content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', html).group(1)
    url = reverse("patterns:pattern", args=[pattern.key])

    first = signed_in.post(url, run_form(idempotency_key=key))
    again = signed_in.post(url, run_form(idempotency_key=key))

    assert first.url == again.url
    assert Execution.objects.count() == 1


def test_pages_are_right_to_left_in_arabic(client, user, pattern):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"

    html = client.get(reverse("patterns:pattern", args=[pattern.key])).content.decode()

    assert '<html lang="ar" dir="rtl">' in html


def test_every_installed_system_pattern_has_a_page_with_a_run_form(signed_in):
    system = list(Pattern.objects.filter(kind=PatternKind.SYSTEM).order_by("key"))
    assert system  # installed by the data migration

    for pattern in system:
        response = signed_in.get(reverse("patterns:pattern", args=[pattern.key]))
        assert response.status_code == 200, pattern.key
        assert 'id="run-form"' in response.content.decode() or not pattern.is_active
