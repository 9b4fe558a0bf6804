"""The staff screen of notifications: read only."""

import pytest

from notifications.tests.factories import notification_for

pytestmark = pytest.mark.django_db


def test_staff_see_notifications_and_cannot_change_them(client, staff_user, user):
    notification = notification_for(user, title="Quarterly plan")
    client.force_login(staff_user)
    listing = client.get("/admin/notifications/notification/")
    assert listing.status_code == 200
    assert "Quarterly plan" in listing.content.decode()
    change = client.post(
        f"/admin/notifications/notification/{notification.pk}/change/", {"title": "x"}
    )
    assert change.status_code == 403
