"""A room page's sidebar (the rooms the user belongs to, unread counts, the current one
marked) and member list; direct conversations named after the other person everywhere."""

import lxml.html
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from workspace.chat import services
from workspace.tests.chat.factories import make_room, post

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def tree(user, url):
    response = client_for(user).get(url)
    assert response.status_code == 200
    return lxml.html.fromstring(response.content.decode())


def direct(user, other):
    room, _created = services.direct_open(actor=user, other=other)
    return room


def test_the_sidebar_lists_the_users_rooms_with_unread_counts_and_marks_the_current(
    user, other_user
):
    here = make_room(other_user, name="Here", members=[user])
    busy = make_room(other_user, name="Busy", members=[user])
    make_room(other_user, name="Not mine")
    post(other_user, busy, "one")
    post(other_user, busy, "two")
    post(other_user, here, "hi")

    page = tree(user, f"/chat/{here.pk}/")

    links = page.xpath('//nav[@id="chat-sidebar"]//li')
    names = [li.xpath("./a")[0].text_content() for li in links]
    assert sorted(names) == ["Busy", "Here"]
    current = page.xpath('//nav[@id="chat-sidebar"]//a[@aria-current="page"]')
    assert [a.text_content() for a in current] == ["Here"]
    busy_badge = page.xpath(
        f'//li[@id="sidebar-room-{busy.pk}"]/span[contains(@class, "chat-unread")]'
    )
    assert [b.text_content() for b in busy_badge] == ["2"]
    assert not page.xpath(f'//li[@id="sidebar-room-{here.pk}"]/span')  # read by opening it


def test_the_member_list_names_each_member_once_with_the_admins_marked(user, other_user):
    guest = UserFactory(first_name="Gail", last_name="Guest")
    room = make_room(user, name="Team", members=[other_user, guest])

    page = tree(other_user, f"/chat/{room.pk}/")

    members = page.xpath('//aside[@id="chat-members"]//li')
    assert [li.get("data-member") for li in members] == [
        str(user.pk),
        str(other_user.pk),
        str(guest.pk),
    ]
    assert "admin" in members[0].text_content()
    assert "admin" not in members[2].text_content()
    assert "Gail Guest" in members[2].text_content()
    assert "Members (3)" in page.xpath('//h2[@id="chat-members-heading"]')[0].text_content()


def test_a_direct_conversation_is_named_after_the_other_person_everywhere(user):
    ann = UserFactory(first_name="Ann", last_name="Archer")
    room = direct(user, ann)
    post(ann, room, "ping")

    listed = tree(user, "/chat/").xpath(f'//li[@id="room-{room.pk}"]/a')[0].text_content()
    panel = (
        tree(user, reverse("dashboard")).xpath(f'//a[@href="/chat/{room.pk}/"]')[0].text_content()
    )
    sidebar = tree(user, f"/chat/{room.pk}/").xpath(f'//li[@id="sidebar-room-{room.pk}"]/a')

    assert listed == "Ann Archer"
    assert panel == "Ann Archer"
    assert sidebar[0].text_content() == "Ann Archer"


def queries(user, url) -> int:
    client = client_for(user)
    client.get(url)  # a first visit may create read pointers
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_room_page_runs_as_many_queries_with_more_rooms_and_members(user, other_user):
    room = make_room(other_user, name="Here", members=[user])
    direct(user, other_user)
    before = queries(user, f"/chat/{room.pk}/")

    for number in range(3):
        person = UserFactory()
        services.room_member_add(actor=other_user, room=room, user=person)
        make_room(other_user, name=f"Extra {number}", members=[user, person])
        post(person, direct(user, person), "hi")

    assert queries(user, f"/chat/{room.pk}/") == before


def test_the_room_list_runs_as_many_queries_with_more_direct_conversations(user):
    direct(user, UserFactory())
    before = queries(user, "/chat/")

    for _ in range(3):
        direct(user, UserFactory())

    assert queries(user, "/chat/") == before
