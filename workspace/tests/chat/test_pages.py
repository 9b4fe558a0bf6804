"""The chat pages at /chat/: the room list with unread badges, creating rooms, opening a
direct conversation, and the room page (404 for a room the user may not see)."""

import pytest
from django.test import Client

from workspace.chat.models import Room, RoomKind
from workspace.tests.chat.factories import make_room, post

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_list_shows_rooms_with_unread_badges(user, other_user):
    room = make_room(user, name="Ops", members=[other_user])
    post(user, room, "one")
    page = client_for(other_user).get("/chat/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Ops" in html
    assert 'chat-unread" aria-label="unread messages">1<' in html


def test_create_a_room_and_open_a_direct_conversation(user, other_user):
    client = client_for(user)
    answer = client.post("/chat/new/", {"name": "Team", "kind": "private"})
    room = Room.objects.get(name="Team")
    assert answer["Location"] == f"/chat/{room.pk}/"
    client.post("/chat/direct/", {"email": other_user.email})
    client.post("/chat/direct/", {"email": other_user.email})
    assert Room.objects.filter(kind=RoomKind.DIRECT).count() == 1
    assert client.post("/chat/direct/", {"email": "nobody@example.com"}).status_code == 302


def test_the_room_page_shows_messages_and_marks_read(user, other_user):
    room = make_room(user, members=[other_user])
    message = post(user, room, "hello there")
    page = client_for(other_user).get(f"/chat/{room.pk}/")
    assert page.status_code == 200
    assert f'id="message-{message.pk}"' in page.content.decode()
    assert client_for(other_user).get("/chat/").content.decode().count("chat-unread") == 0


def test_another_users_room_page_is_404(user, other_user):
    room = make_room(other_user)
    assert client_for(user).get(f"/chat/{room.pk}/").status_code == 404
