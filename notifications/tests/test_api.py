"""The notifications API: my own notifications only, newest first by cursor, read marks."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import bearer_client
from nexus_site.events.models import Event
from notifications.models import Notification
from notifications.services import READ_EVENT
from notifications.tests.factories import notification_for

pytestmark = pytest.mark.django_db

LIST = "/api/v1/notifications/"
COUNT = "/api/v1/notifications/unread-count/"
READ_ALL = "/api/v1/notifications/read-all/"


def read_url(notification) -> str:
    return f"/api/v1/notifications/{notification.pk}/read/"


def test_the_list_is_mine_newest_first_with_kind_object_actor_and_times(
    auth_client, user, other_user
):
    older = notification_for(user, minutes_ago=5, actor=other_user)
    newer = notification_for(user, minutes_ago=1, title="Budget")
    notification_for(other_user)
    response = auth_client.get(LIST)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [row["id"] for row in results] == [str(newer.pk), str(older.pk)]
    first, second = results
    assert first["kind"] == "mention"
    assert first["object"]["title"] == "Budget"
    assert first["object"]["type"] == "projects.task"
    assert first["read_at"] is None
    assert second["actor"] == {"id": str(other_user.pk), "name": other_user.full_name}
    assert other_user.full_name in second["text"]


def test_the_list_pages_by_cursor_without_repeating(auth_client, user):
    made = [notification_for(user, minutes_ago=minutes) for minutes in range(5)]
    first = auth_client.get(LIST, {"limit": 2}).json()
    second = auth_client.get(first["next"]).json()
    third = auth_client.get(second["next"]).json()
    seen = [row["id"] for page in (first, second, third) for row in page["results"]]
    assert seen == [str(notification.pk) for notification in made]
    assert third["next"] is None


def test_unread_true_lists_only_the_unread(auth_client, user):
    unread = notification_for(user)
    notification_for(user, read=True)
    results = auth_client.get(LIST, {"unread": "true"}).json()["results"]
    assert [row["id"] for row in results] == [str(unread.pk)]


def test_a_bad_unread_value_is_a_400_in_the_envelope(auth_client):
    response = auth_client.get(LIST, {"unread": "maybe"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_a_made_up_cursor_is_a_400_in_the_envelope(auth_client):
    response = auth_client.get(LIST, {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
    assert "cursor" in response.json()["error"]["details"]


def test_the_list_runs_the_same_queries_for_one_or_many(auth_client, user, other_user):
    notification_for(user, actor=other_user)
    with CaptureQueriesContext(connection) as one:
        auth_client.get(LIST)
    for _ in range(10):
        notification_for(user, actor=other_user)
    with CaptureQueriesContext(connection) as many:
        auth_client.get(LIST)
    assert len(many) == len(one)


def test_the_unread_count_counts_only_my_unread(auth_client, user, other_user):
    notification_for(user)
    notification_for(user)
    notification_for(user, read=True)
    notification_for(other_user)
    assert auth_client.get(COUNT).json() == {"unread": 2}


def test_marking_one_read_sets_read_at_and_tells_my_pages(auth_client, user):
    notification = notification_for(user)
    response = auth_client.post(read_url(notification))
    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    notification.refresh_from_db()
    assert notification.read_at is not None
    told = Event.objects.get(type=READ_EVENT)
    assert told.audience_users == [str(user.pk)]


def test_marking_a_read_one_again_keeps_its_first_time(auth_client, user):
    notification = notification_for(user, read=True)
    first = notification.read_at
    auth_client.post(read_url(notification))
    notification.refresh_from_db()
    assert notification.read_at == first


def test_another_users_notification_is_404_and_stays_unread(user, other_user):
    theirs = notification_for(other_user)
    response = bearer_client(user).post(read_url(theirs))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_all_read_marks_only_mine(auth_client, user, other_user):
    notification_for(user)
    notification_for(user)
    theirs = notification_for(other_user)
    assert auth_client.post(READ_ALL).json() == {"marked": 2}
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_signed_out_callers_get_401(api_client):
    assert api_client.get(LIST).status_code == 401
    assert api_client.get(COUNT).status_code == 401
    assert api_client.post(READ_ALL).status_code == 401
