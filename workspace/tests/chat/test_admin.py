"""The staff screens for chat rooms and messages at /admin/."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from workspace.chat import services
from workspace.tests.chat.factories import make_room, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(staff_user) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


def test_a_room_shows_its_members(admin_client, user, other_user):
    room = make_room(user, name="Ops", members=[other_user])
    page = admin_client.get(reverse("admin:workspace_room_change", args=[room.pk]))
    assert page.status_code == 200
    assert other_user.email in page.content.decode()


def test_a_message_shows_its_edit_history_read_only(admin_client, user):
    message = post(user, make_room(user), "before")
    services.message_edit(actor=user, message=message, body="after")
    page = admin_client.get(reverse("admin:workspace_chatmessage_change", args=[message.pk]))
    assert page.status_code == 200
    assert "before" in page.content.decode()
    assert b'name="body"' not in page.content


def test_the_lists_run_constant_queries(admin_client, user):
    def queries(name) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(reverse(name)).status_code == 200
        return len(captured)

    room = make_room(user)
    post(user, room)
    few = [
        queries("admin:workspace_room_changelist"),
        queries("admin:workspace_chatmessage_changelist"),
    ]
    for n in range(4):
        post(user, make_room(user, name=f"r{n}"))
    many = [
        queries("admin:workspace_room_changelist"),
        queries("admin:workspace_chatmessage_changelist"),
    ]
    assert few == many
