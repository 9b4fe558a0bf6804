"""The staff screens for triggers: the list, a trigger saved through the services (an invalid
filter is refused beside its field), its firings read-only, and the on / off actions."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory
from nexus_site.definitions.enums import EventType
from nexus_site.events.models import Event
from patterns.models import PatternTrigger, TriggerFiring, TriggerOutcome
from patterns.tests.factories import make_pattern
from patterns.triggers.services import trigger_create
from projects import services as projects
from relations.nodes import node_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(staff_user) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def owner():
    return UserFactory()


@pytest.fixture
def trigger(owner):
    pattern = make_pattern(owner, key="owners-pattern")
    project = projects.project_create(actor=owner, name="Apollo")
    return trigger_create(
        actor=owner,
        pattern=pattern,
        name="On new tasks",
        event_type=EventType.TASK_CREATED,
        scope_node=str(node_of(project)),
        input_map={"title": "{{ event.payload.title }}"},
    )


def change_url(trigger) -> str:
    return reverse("admin:patterns_patterntrigger_change", args=[trigger.pk])


def posted(trigger, **changes) -> dict:
    data = {
        "pattern": str(trigger.pattern_id),
        "name": trigger.name,
        "version": "",
        "event_type": trigger.event_type,
        "scope_node": trigger.scope_node,
        "with_descendants": "on",
        "filter": "[]",
        "input_map": '{"title": "{{ event.payload.title }}"}',
        "rate_per_minute": "",
        "is_active": "on",
        "firings-TOTAL_FORMS": "0",
        "firings-INITIAL_FORMS": "0",
        "firings-MIN_NUM_FORMS": "0",
        "firings-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def record_firing(trigger, outcome=TriggerOutcome.REFUSED) -> TriggerFiring:
    event = Event.objects.create(type="task_created")
    return TriggerFiring.objects.create(
        trigger=trigger, event_id=event.id, outcome=outcome, detail={"error": {"message": "no"}}
    )


def test_the_list_shows_owner_pattern_type_and_why_it_is_off(admin_client, trigger, owner):
    PatternTrigger.objects.filter(pk=trigger.pk).update(
        is_active=False, disabled_reason="Its owner can no longer see the scope."
    )

    response = admin_client.get(reverse("admin:patterns_patterntrigger_changelist"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "On new tasks" in html
    assert owner.email in html
    assert "task_created" in html
    assert "Its owner can no longer see the scope." in html


def test_the_list_searches_and_filters(admin_client, trigger):
    url = reverse("admin:patterns_patterntrigger_changelist")

    found = admin_client.get(url, {"q": "owners-pattern"})
    missed = admin_client.get(url, {"q": "nothing-like-it"})
    off = admin_client.get(url, {"is_active__exact": "0"})

    assert list(found.context["cl"].result_list) == [trigger]
    assert list(missed.context["cl"].result_list) == []
    assert list(off.context["cl"].result_list) == []


def test_the_change_page_shows_its_latest_firings_read_only(admin_client, trigger):
    firing = record_firing(trigger)

    response = admin_client.get(change_url(trigger))

    html = response.content.decode()
    assert response.status_code == 200
    assert f"#{firing.event_id}" in html or str(firing.event_id) in html
    assert "Refused" in html
    assert f"trigger__id__exact={trigger.pk}" in html


def test_a_valid_change_is_saved_through_the_services(admin_client, trigger, owner):
    response = admin_client.post(
        change_url(trigger),
        posted(
            trigger,
            name="Blocked tasks",
            filter='[{"path": "payload.status", "equals": "blocked"}]',
            rate_per_minute="5",
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    trigger.refresh_from_db()
    assert trigger.name == "Blocked tasks"
    assert trigger.filter == [{"path": "payload.status", "equals": "blocked"}]
    assert trigger.rate_per_minute == 5
    assert trigger.owner == owner  # staff changing it does not take it over


def test_an_invalid_filter_is_refused_beside_its_field_and_nothing_is_saved(admin_client, trigger):
    response = admin_client.post(
        change_url(trigger),
        posted(trigger, name="Renamed", filter='[{"path": "payload.status"}]'),
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "filter" in errors
    assert "needs exactly one of equals or in" in " ".join(errors["filter"])
    trigger.refresh_from_db()
    assert trigger.name == "On new tasks"
    assert trigger.filter == []


def test_a_scope_the_owner_cannot_see_is_refused(admin_client, trigger):
    hidden = projects.project_create(actor=UserFactory(), name="Hidden")

    response = admin_client.post(
        change_url(trigger), posted(trigger, scope_node=str(node_of(hidden)))
    )

    assert response.status_code == 200
    assert "scope_node" in response.context["adminform"].form.errors
    trigger.refresh_from_db()
    assert trigger.scope_node != str(node_of(hidden))


def test_the_pattern_is_one_the_owner_may_run(admin_client, trigger):
    elsewhere = make_pattern(UserFactory(), key="not-the-owners")

    response = admin_client.post(change_url(trigger), posted(trigger, pattern=str(elsewhere.pk)))

    assert response.status_code == 200
    assert "pattern" in response.context["adminform"].form.errors
    trigger.refresh_from_db()
    assert trigger.pattern.key == "owners-pattern"


def test_adding_a_trigger_makes_staff_its_owner_and_validates(admin_client, staff_user):
    pattern = make_pattern(staff_user, key="staff-pattern")
    url = reverse("admin:patterns_patterntrigger_add")
    data = {
        "pattern": str(pattern.pk),
        "name": "Errors",
        "version": "",
        "event_type": "error",
        "scope_node": "",
        "filter": "",
        "input_map": '{"what": "{{ wrong.root }}"}',
        "rate_per_minute": "",
        "is_active": "on",
    }

    refused = admin_client.post(url, data)
    assert refused.status_code == 200
    assert "input_map" in refused.context["adminform"].form.errors
    assert not PatternTrigger.objects.exists()

    response = admin_client.post(url, {**data, "input_map": '{"what": "{{ event.type }}"}'})

    assert response.status_code == 302
    (trigger,) = PatternTrigger.objects.all()
    assert trigger.owner == staff_user
    assert trigger.input_map == {"what": "{{ event.type }}"}


def test_the_actions_turn_triggers_off_and_on(admin_client, trigger):
    url = reverse("admin:patterns_patterntrigger_changelist")
    PatternTrigger.objects.filter(pk=trigger.pk).update(disabled_reason="")

    off = admin_client.post(
        url, {"action": "disable_triggers", "_selected_action": [str(trigger.pk)]}
    )
    trigger.refresh_from_db()
    assert trigger.is_active is False
    assert "1 trigger is off." in [str(m) for m in get_messages(off.wsgi_request)]

    PatternTrigger.objects.filter(pk=trigger.pk).update(disabled_reason="Lost the scope.")
    admin_client.post(url, {"action": "enable_triggers", "_selected_action": [str(trigger.pk)]})

    trigger.refresh_from_db()
    assert trigger.is_active is True
    assert trigger.disabled_reason == ""


def test_deleting_a_trigger_deletes_its_firings(admin_client, trigger):
    record_firing(trigger)

    response = admin_client.post(
        reverse("admin:patterns_patterntrigger_delete", args=[trigger.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not PatternTrigger.objects.exists()
    assert not TriggerFiring.objects.exists()


def test_firings_are_a_read_only_record(admin_client, trigger):
    firing = record_firing(trigger)
    changelist = reverse("admin:patterns_triggerfiring_changelist")

    listed = admin_client.get(changelist, {"trigger__id__exact": str(trigger.pk)})
    searched = admin_client.get(changelist, {"q": "not a number"})
    shown = admin_client.get(reverse("admin:patterns_triggerfiring_change", args=[firing.pk]))
    added = admin_client.get(reverse("admin:patterns_triggerfiring_add"))
    changed = admin_client.post(
        reverse("admin:patterns_triggerfiring_change", args=[firing.pk]),
        {"outcome": TriggerOutcome.STARTED},
    )

    assert list(listed.context["cl"].result_list) == [firing]
    assert searched.status_code == 200
    assert shown.status_code == 200
    assert added.status_code == 403
    assert changed.status_code == 403
    firing.refresh_from_db()
    assert firing.outcome == TriggerOutcome.REFUSED


def test_people_who_are_not_staff_are_sent_to_log_in(client, user, trigger):
    client.force_login(user)

    response = client.get(reverse("admin:patterns_patterntrigger_changelist"))

    assert response.status_code == 302
    assert "/login/" in response.url
