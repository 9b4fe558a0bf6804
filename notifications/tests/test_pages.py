"""The notifications page and the header's bell."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification
from notifications.tests.factories import notification_for

pytestmark = pytest.mark.django_db

PAGE = "/notifications/"


@pytest.fixture
def browser(client, user):
    client.force_login(user)
    return client


def notification_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if "notifications_notification" in q["sql"]]


def test_the_page_lists_mine_in_words_with_unread_marked(browser, user, other_user):
    notification_for(user, actor=other_user, title="Quarterly plan")
    notification_for(other_user, title="Secret")
    response = browser.get(PAGE)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Quarterly plan" in body
    assert f"{other_user.full_name} mentioned you" in body
    assert "notification--unread" in body
    assert "Secret" not in body


def test_unread_shows_only_the_unread(browser, user):
    notification_for(user, title="Fresh")
    notification_for(user, title="Seen", read=True)
    body = browser.get(PAGE, {"show": "unread"}).content.decode()
    assert "Fresh" in body
    assert "Seen" not in body


def test_the_page_runs_the_same_queries_for_one_or_many(browser, user, other_user):
    notification_for(user, actor=other_user)
    with CaptureQueriesContext(connection) as one:
        browser.get(PAGE)
    for _ in range(10):
        notification_for(user, actor=other_user)
    with CaptureQueriesContext(connection) as many:
        browser.get(PAGE)
    assert len(many) == len(one)


def test_the_bell_costs_one_count_query_per_page(browser, user):
    for _ in range(3):
        notification_for(user)
    with CaptureQueriesContext(connection) as queries:
        response = browser.get("/projects/")
    assert notification_queries(queries) == [
        q for q in notification_queries(queries) if "COUNT(" in q.upper()
    ]
    assert len(notification_queries(queries)) == 1
    assert 'id="notification-count">3<' in response.content.decode()


def test_the_bell_hides_its_count_when_nothing_is_unread(browser, user):
    notification_for(user, read=True)
    body = browser.get("/projects/").content.decode()
    assert 'id="notification-count" hidden>0<' in body


def test_opening_an_unread_one_marks_it_read_and_goes_to_its_object(browser, user):
    notification = notification_for(user, url="/projects/")
    response = browser.post(f"{PAGE}{notification.pk}/read/", {"open": "1"})
    assert response.status_code == 302
    assert response["Location"] == "/projects/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_mark_read_returns_to_the_list_it_came_from(browser, user):
    notification = notification_for(user)
    response = browser.post(f"{PAGE}{notification.pk}/read/", {"show": "unread"})
    assert response["Location"] == "/notifications/?show=unread"


def test_another_users_notification_is_404_on_the_page(browser, other_user):
    theirs = notification_for(other_user)
    response = browser.post(f"{PAGE}{theirs.pk}/read/", {"open": "1"})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_marks_every_one_of_mine(browser, user):
    notification_for(user)
    notification_for(user)
    response = browser.post(f"{PAGE}read-all/")
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()


def test_the_page_asks_signed_out_visitors_to_log_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
