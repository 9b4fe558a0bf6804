"""The trigger pages: my triggers, a new one (which then fires), its page with the runs it
started, editing, turning it on and off, deleting, and nobody else's trigger on any page."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.tests.factories import UserFactory
from nexus_site.definitions.enums import EventType, Role
from nexus_site.events.models import Event
from patterns.models import PatternTrigger, TriggerFiring, TriggerOutcome
from patterns.services import execution_start
from patterns.tests.factories import make_pattern
from patterns.triggers import firing
from patterns.triggers.services import trigger_create
from projects import services as projects
from relations.nodes import node_of

pytestmark = pytest.mark.django_db

NOTE_STEPS = [
    {
        "id": "note",
        "type": "event.publish",
        "parameters": {"type": "noted", "payload": {"title": "{{ input.title }}"}},
    }
]


@pytest.fixture(autouse=True)
def _keep_the_test_language():
    """A page request activates the visitor's language in this thread: put it back after."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def fresh_type_cache():
    firing.forget_active_types()
    yield
    firing.forget_active_types()


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def pattern(user):
    return make_pattern(
        user,
        key="note-task",
        name="Note a task",
        steps=NOTE_STEPS,
        input_schema={"type": "object", "properties": {"title": {"type": "string"}}},
    )


@pytest.fixture
def project(user):
    return projects.project_create(actor=user, name="Apollo")


def make_trigger(owner, pattern, project=None, **values) -> PatternTrigger:
    return trigger_create(
        actor=owner,
        pattern=pattern,
        name=values.pop("name", "On new tasks"),
        event_type=values.pop("event_type", EventType.TASK_CREATED),
        scope_node=str(node_of(project)) if project else "",
        input_map=values.pop("input_map", {"title": "{{ event.payload.title }}"}),
        **values,
    )


def form_data(pattern, project=None, **changes) -> dict:
    data = {
        "name": "On new tasks",
        "pattern": pattern.key,
        "version": "",
        "event_type": "task_created",
        "scope_project": str(node_of(project)) if project else "",
        "scope_other": "",
        "with_descendants": "on",
        "filter": "",
        "input_map": '{"title": "{{ event.payload.title }}"}',
        "rate_per_minute": "",
        "is_active": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def page_urls(trigger) -> list[str]:
    return [
        reverse("patterns:trigger", args=[trigger.pk]),
        reverse("patterns:trigger-edit", args=[trigger.pk]),
        reverse("patterns:trigger-delete", args=[trigger.pk]),
    ]


# --- creating, and the run it starts ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_trigger_made_on_the_page_fires_and_its_run_is_listed_on_its_page(
    signed_in, user, pattern, project
):
    response = signed_in.post(reverse("patterns:trigger-create"), form_data(pattern, project))

    trigger = PatternTrigger.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("patterns:trigger", args=[trigger.pk])
    assert trigger.owner == user
    assert trigger.scope_node == str(node_of(project))
    assert trigger.with_descendants is True
    assert trigger.filter == []
    assert trigger.version is None

    projects.task_create(actor=user, project=project, title="Write the brief")

    fired = TriggerFiring.objects.get(trigger=trigger)
    assert fired.outcome == TriggerOutcome.STARTED
    assert fired.execution.input == {"title": "Write the brief"}
    html = signed_in.get(reverse("patterns:trigger", args=[trigger.pk])).content.decode()
    assert f'id="firing-{fired.pk}"' in html
    assert reverse("patterns:execution", args=[fired.execution_id]) in html
    assert "Run started" in html
    assert f"#{fired.event_id}" in html
    assert '<code dir="ltr">task_created</code>' in html
    listed = signed_in.get(reverse("patterns:triggers")).content.decode()
    assert f'id="trigger-{trigger.pk}"' in listed
    assert '<dd class="trigger-recent">1</dd>' in listed


def test_the_new_page_offers_my_patterns_projects_and_the_event_types(signed_in, pattern, project):
    someone = UserFactory()
    make_pattern(someone, key="not-mine")
    projects.project_create(actor=someone, name="Hidden Gemini")

    html = signed_in.get(reverse("patterns:trigger-create")).content.decode()

    assert 'value="note-task"' in html
    assert "not-mine" not in html
    assert "Apollo" in html
    assert "Hidden Gemini" not in html
    assert '<option value="task_created">' in html
    assert 'list="trigger-event-types"' in html
    assert "{{ event.payload.… }}" in html


def test_invalid_input_is_shown_beside_its_fields_and_kept(signed_in, pattern):
    typed_filter = '[{"path": "payload.status", "between": [1, 2]}]'

    response = signed_in.post(
        reverse("patterns:trigger-create"),
        form_data(
            pattern,
            event_type="Not A Type",
            filter=typed_filter,
            input_map='{"title": "{{ input.title }}"}',
        ),
    )

    assert response.status_code == 422
    form = response.context["form"]
    assert set(form.errors) == {"event_type", "filter", "input_map"}
    assert "needs exactly one of equals or in" in " ".join(form.errors["filter"])
    html = response.content.decode()
    assert "Not A Type" in html
    assert "[{&quot;path&quot;: &quot;payload.status&quot;, &quot;between&quot;: [1, 2]}]" in html
    assert 'class="field field--filter field--invalid"' in html
    assert not PatternTrigger.objects.exists()


def test_json_that_does_not_parse_is_refused_on_its_field(signed_in, pattern):
    response = signed_in.post(
        reverse("patterns:trigger-create"), form_data(pattern, filter="[{path: ")
    )

    assert response.status_code == 422
    assert "filter" in response.context["form"].errors
    assert "[{path: " in response.content.decode()
    assert not PatternTrigger.objects.exists()


def test_a_scope_i_cannot_see_is_refused_beside_the_scope(signed_in, pattern):
    hidden = projects.project_create(actor=UserFactory(), name="Hidden")

    response = signed_in.post(
        reverse("patterns:trigger-create"),
        form_data(pattern, scope_other=str(node_of(hidden))),
    )

    assert response.status_code == 422
    assert response.context["form"].errors["scope_other"] == ["There is no such object."]
    assert "Hidden" not in response.content.decode()
    assert not PatternTrigger.objects.exists()


def test_a_project_i_cannot_see_is_not_a_choice(signed_in, pattern):
    hidden = projects.project_create(actor=UserFactory(), name="Hidden")

    response = signed_in.post(
        reverse("patterns:trigger-create"),
        form_data(pattern, scope_project=str(node_of(hidden))),
    )

    assert response.status_code == 422
    assert "scope_project" in response.context["form"].errors
    assert not PatternTrigger.objects.exists()


def test_another_persons_pattern_is_not_a_choice(signed_in):
    theirs = make_pattern(UserFactory(), key="theirs")

    response = signed_in.post(reverse("patterns:trigger-create"), form_data(theirs))

    assert response.status_code == 422
    assert "pattern" in response.context["form"].errors
    assert not PatternTrigger.objects.exists()


def test_a_version_the_pattern_lacks_is_refused(signed_in, pattern):
    response = signed_in.post(reverse("patterns:trigger-create"), form_data(pattern, version="7"))

    assert response.status_code == 422
    assert "version" in response.context["form"].errors


def test_a_guest_is_refused_and_nothing_is_saved(client, pattern):
    guest = UserFactory(role=Role.GUEST)
    client.force_login(guest)

    response = client.post(reverse("patterns:trigger-create"), form_data(pattern))

    assert response.status_code in {403, 422}
    assert not PatternTrigger.objects.exists()


# --- the list -----------------------------------------------------------------------------


def test_the_list_shows_only_my_triggers_with_scope_by_name_and_why_one_is_off(
    signed_in, user, pattern, project
):
    mine = make_trigger(user, pattern, project)
    off = make_trigger(user, pattern, name="Stopped")
    PatternTrigger.objects.filter(pk=off.pk).update(
        is_active=False, disabled_reason="Its owner can no longer see the scope."
    )
    someone = UserFactory()
    theirs = make_trigger(someone, make_pattern(someone), name="Somebody else's trigger")

    html = signed_in.get(reverse("patterns:triggers")).content.decode()

    assert f'id="trigger-{mine.pk}"' in html
    assert f'id="trigger-{off.pk}"' in html
    assert f'id="trigger-{theirs.pk}"' not in html
    assert "Somebody else" not in html
    assert ">Apollo</a>" in html  # the scope by its name, linked to its page
    assert "Everything I may see" in html
    assert "Its owner can no longer see the scope." in html


def test_runs_in_the_last_day_count_only_started_runs_of_the_last_24_hours(
    signed_in, user, pattern
):
    trigger = make_trigger(user, pattern)
    fire_by_hand(trigger, pattern, user, 3)  # two started, one refused
    old = TriggerFiring.objects.filter(outcome=TriggerOutcome.STARTED).first()
    TriggerFiring.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=25)
    )

    response = signed_in.get(reverse("patterns:triggers"))

    (shown,) = response.context["triggers"]
    assert shown.recent_runs == 1


def test_a_scope_the_owner_no_longer_sees_is_not_named(signed_in, user, pattern):
    someone = UserFactory()
    theirs = projects.project_create(actor=someone, name="Secret Apollo")
    projects.project_member_add(actor=someone, project=theirs, user=user)
    trigger = make_trigger(user, pattern, theirs)
    projects.project_member_remove(actor=someone, project=theirs, user=user)

    listed = signed_in.get(reverse("patterns:triggers")).content.decode()
    page = signed_in.get(reverse("patterns:trigger", args=[trigger.pk])).content.decode()

    for html in (listed, page):
        assert "Secret Apollo" not in html
        assert f'<code dir="ltr">{trigger.scope_node}</code>' in html


def test_the_list_runs_a_constant_number_of_queries(
    signed_in, user, pattern, project, django_assert_num_queries
):
    make_trigger(user, pattern, project)
    signed_in.get(reverse("patterns:triggers"))  # warm the session and content types
    with CaptureQueriesContext(connection) as one:
        signed_in.get(reverse("patterns:triggers"))
    for index in range(4):
        other = projects.project_create(actor=user, name=f"Project {index}")
        make_trigger(user, pattern, other)

    with django_assert_num_queries(len(one)):
        response = signed_in.get(reverse("patterns:triggers"))

    assert len(response.context["triggers"]) == 5


def test_the_patterns_list_links_to_the_triggers(signed_in):
    html = signed_in.get(reverse("patterns:list")).content.decode()

    assert f'href="{reverse("patterns:triggers")}"' in html


# --- one trigger --------------------------------------------------------------------------


def fire_by_hand(trigger, pattern, user, count: int) -> None:
    """Record ``count`` firings (half started runs, half refused) as the engine would."""
    for index in range(count):
        event = Event.objects.create(type="task_created", payload={"n": index})
        if index % 2:
            TriggerFiring.objects.create(
                trigger=trigger,
                event_id=event.id,
                outcome=TriggerOutcome.REFUSED,
                detail={
                    "error": {
                        "code": "validation_error",
                        "message": "The data is invalid.",
                        "details": {"input": ["title is too long"]},
                    }
                },
            )
        else:
            execution, _created = execution_start(actor=user, pattern=pattern, input={})
            TriggerFiring.objects.create(
                trigger=trigger,
                event_id=event.id,
                outcome=TriggerOutcome.STARTED,
                execution=execution,
            )


def test_the_page_shows_settings_and_refusals_with_their_reason(signed_in, user, pattern, project):
    trigger = make_trigger(
        user, pattern, project, filter=[{"path": "payload.status", "in": ["blocked"]}]
    )
    fire_by_hand(trigger, pattern, user, 2)
    TriggerFiring.objects.create(
        trigger=trigger,
        event_id=Event.objects.create(type="task_created").id,
        outcome=TriggerOutcome.RATE_LIMITED,
        detail={"per_minute": 5},
    )

    html = signed_in.get(reverse("patterns:trigger", args=[trigger.pk])).content.decode()

    assert "Refused" in html
    assert "The data is invalid. input: title is too long" in html
    assert "Stopped by the rate limit" in html
    assert "At most 5 runs a minute." in html
    assert "Note a task" in html
    assert "&quot;blocked&quot;" in html  # the filter, as JSON
    assert ">Apollo</a>" in html


def test_the_page_lists_newest_first_a_page_at_a_time(signed_in, user, pattern, settings):
    trigger = make_trigger(user, pattern)
    fire_by_hand(trigger, pattern, user, 32)
    newest = TriggerFiring.objects.order_by("-id").first()
    oldest = TriggerFiring.objects.order_by("id").first()
    url = reverse("patterns:trigger", args=[trigger.pk])

    first = signed_in.get(url)
    second = signed_in.get(url, {"page": 2})

    rows = first.context["rows"]
    assert len(rows) == 30
    assert rows[0]["firing"] == newest
    assert [row["firing"] for row in second.context["rows"]][-1] == oldest
    assert "Page 1 of 2" in first.content.decode()


def test_the_page_runs_a_constant_number_of_queries(
    signed_in, user, pattern, django_assert_num_queries
):
    trigger = make_trigger(user, pattern)
    fire_by_hand(trigger, pattern, user, 2)
    url = reverse("patterns:trigger", args=[trigger.pk])
    signed_in.get(url)
    with CaptureQueriesContext(connection) as few:
        signed_in.get(url)
    fire_by_hand(trigger, pattern, user, 12)

    with django_assert_num_queries(len(few)):
        response = signed_in.get(url)

    assert len(response.context["rows"]) == 14


# --- editing, on and off, deleting --------------------------------------------------------


def test_the_edit_form_shows_the_trigger_and_saves_changes(signed_in, user, pattern, project):
    trigger = make_trigger(user, pattern, project)
    url = reverse("patterns:trigger-edit", args=[trigger.pk])

    shown = signed_in.get(url)
    assert shown.context["form"].initial["scope_project"] == str(node_of(project))
    response = signed_in.post(
        url,
        form_data(
            pattern,
            name="Blocked tasks",
            scope_project="",
            with_descendants=None,
            filter='[{"path": "payload.status", "equals": "blocked"}]',
            rate_per_minute="5",
        ),
    )

    assert response.status_code == 302
    trigger.refresh_from_db()
    assert trigger.name == "Blocked tasks"
    assert trigger.scope_node == ""
    assert trigger.with_descendants is False
    assert trigger.filter == [{"path": "payload.status", "equals": "blocked"}]
    assert trigger.rate_per_minute == 5


def test_a_scope_other_than_a_project_is_kept_in_the_other_box(signed_in, user, pattern, project):
    task = projects.task_create(actor=user, project=project, title="Launch checklist")
    trigger = trigger_create(
        actor=user,
        pattern=pattern,
        name="Comments on it",
        event_type="comment_created",
        scope_node=str(node_of(task)),
    )

    shown = signed_in.get(reverse("patterns:trigger-edit", args=[trigger.pk]))
    detail = signed_in.get(reverse("patterns:trigger", args=[trigger.pk])).content.decode()

    assert shown.context["form"].initial["scope_other"] == str(node_of(task))
    assert "Launch checklist" in detail


def test_a_refused_edit_changes_nothing_and_keeps_what_was_typed(signed_in, user, pattern):
    trigger = make_trigger(user, pattern)

    response = signed_in.post(
        reverse("patterns:trigger-edit", args=[trigger.pk]),
        form_data(pattern, name="Renamed", input_map='{"x": "{{ nowhere.y }}"}'),
    )

    assert response.status_code == 422
    assert "input_map" in response.context["form"].errors
    assert "nowhere.y" in response.content.decode()
    trigger.refresh_from_db()
    assert trigger.name == "On new tasks"


def test_turning_it_off_and_on_again_clears_why_the_engine_stopped_it(signed_in, user, pattern):
    trigger = make_trigger(user, pattern)
    url = reverse("patterns:trigger-active", args=[trigger.pk])

    signed_in.post(url, {"active": "0"})
    trigger.refresh_from_db()
    assert trigger.is_active is False

    PatternTrigger.objects.filter(pk=trigger.pk).update(disabled_reason="Lost the scope.")
    page = signed_in.get(reverse("patterns:trigger", args=[trigger.pk])).content.decode()
    assert "Turned off automatically: Lost the scope." in page
    response = signed_in.post(url, {"active": "1"})

    assert response.status_code == 302
    trigger.refresh_from_db()
    assert trigger.is_active is True
    assert trigger.disabled_reason == ""


def test_deleting_asks_first_then_deletes(signed_in, user, pattern):
    trigger = make_trigger(user, pattern)
    url = reverse("patterns:trigger-delete", args=[trigger.pk])

    asked = signed_in.get(url)
    assert asked.status_code == 200
    assert PatternTrigger.objects.filter(pk=trigger.pk).exists()

    response = signed_in.post(url)

    assert response.status_code == 302
    assert response.url == reverse("patterns:triggers")
    assert not PatternTrigger.objects.filter(pk=trigger.pk).exists()


# --- nobody else's ------------------------------------------------------------------------


def test_another_persons_trigger_is_404_on_every_page_and_untouched(signed_in, pattern):
    someone = UserFactory()
    theirs = make_trigger(someone, make_pattern(someone), name="Theirs")

    for url in page_urls(theirs):
        assert signed_in.get(url).status_code == 404, url
    for url in page_urls(theirs)[1:]:  # the edit and delete forms
        assert signed_in.post(url, form_data(pattern, name="Mine now")).status_code == 404, url
    active = reverse("patterns:trigger-active", args=[theirs.pk])
    assert signed_in.post(active, {"active": "0"}).status_code == 404

    theirs.refresh_from_db()
    assert theirs.name == "Theirs"
    assert theirs.is_active is True


def test_an_unknown_trigger_is_404(signed_in):
    assert signed_in.get(reverse("patterns:trigger", args=[uuid.uuid4()])).status_code == 404


def test_staff_reach_anyones_trigger_and_edit_it_with_the_owners_choices(client, staff_user):
    owner = UserFactory()
    pattern = make_pattern(owner, key="owners-pattern")
    project = projects.project_create(actor=owner, name="Owner's project")
    trigger = make_trigger(owner, pattern, project)
    client.force_login(staff_user)

    for url in page_urls(trigger):
        assert client.get(url).status_code == 200, url
    form = client.get(reverse("patterns:trigger-edit", args=[trigger.pk])).context["form"]
    assert "owners-pattern" in dict(form.fields["pattern"].choices)
    response = client.post(reverse("patterns:trigger-active", args=[trigger.pk]), {"active": "0"})

    assert response.status_code == 302
    trigger.refresh_from_db()
    assert trigger.is_active is False
    assert trigger.owner == owner


def test_the_pages_need_a_login(client, user, pattern):
    trigger = make_trigger(user, pattern)

    for url in [
        reverse("patterns:triggers"),
        reverse("patterns:trigger-create"),
        *page_urls(trigger),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))


def test_the_pages_read_in_arabic(client, user, pattern):
    trigger = make_trigger(user, pattern)
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"

    html = client.get(reverse("patterns:trigger", args=[trigger.pk])).content.decode()

    assert 'dir="rtl"' in html
    assert '<pre class="trigger-json" dir="ltr">' in html
