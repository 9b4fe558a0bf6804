"""The chat pages at /chat/: the room list with unread badges, creating rooms, opening a
direct conversation, and the room page (404 for a room the user may not see)."""

import lxml.html
import pytest
from django.test import Client

from workspace.chat import services
from workspace.chat.models import Room, RoomKind
from workspace.tests.chat.factories import make_room, post
from workspace.tests.files.factories import upload_file

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


def room_html(user, room):
    page = client_for(user).get(f"/chat/{room.pk}/")
    assert page.status_code == 200
    return lxml.html.fromstring(page.content.decode())


def item(tree, message):
    (found,) = tree.xpath(f'//li[@id="message-{message.pk}"]')
    return found


def actions(li) -> list[str]:
    return li.xpath('./div[@class="chat-message__actions"]/button/@data-action')


def test_replies_are_shown_as_threads_under_their_message(user, other_user):
    room = make_room(user, members=[other_user])
    question = post(user, room, "Who takes the release?")
    answer = post(other_user, room, "I do", reply_to=question.pk)
    post(user, room, "Thanks", reply_to=answer.pk)  # a reply to a reply joins the thread
    tree = room_html(other_user, room)
    top = tree.xpath('//ol[@id="chat-messages"]/li')
    assert [li.get("id") for li in top] == [f"message-{question.pk}"]
    replies = item(tree, question).xpath('./ol[@class="chat-thread"]/li')
    assert [li.xpath("string(./p)") for li in replies] == ["I do", "Thanks"]
    assert not tree.xpath(f'//li[@id="message-{answer.pk}"]//ol')  # threads are one level


def test_edit_and_delete_controls_follow_author_and_room_admin(user, other_user):
    room = make_room(user, members=[other_user])  # user is the room's admin
    mine = post(user, room, "admin speaking")
    theirs = post(other_user, room, "member speaking")
    member_view = room_html(other_user, room)
    assert actions(item(member_view, mine)) == ["reply"]
    assert actions(item(member_view, theirs)) == ["reply", "edit", "delete"]
    admin_view = room_html(user, room)
    assert actions(item(admin_view, mine)) == ["reply", "edit", "delete"]
    assert actions(item(admin_view, theirs)) == ["reply", "delete"]
    assert member_view.xpath('//*[@id="chat-room"]/@data-admin') == ["false"]
    assert admin_view.xpath('//*[@id="chat-room"]/@data-admin') == ["true"]


def test_edited_and_deleted_markers(user, other_user):
    room = make_room(user, members=[other_user])
    edited = post(user, room, "first try")
    services.message_edit(actor=user, message=edited, body="second try")
    gone = post(user, room, "oops")
    services.message_delete(actor=user, message=gone)
    tree = room_html(other_user, room)
    edited_li, gone_li = item(tree, edited), item(tree, gone)
    assert edited_li.xpath("string(./p)") == "second try"
    assert edited_li.xpath('./span[@class="muted chat-message__edited"]')
    assert "chat-message--deleted" in gone_li.get("class")
    assert gone_li.xpath("string(./p)") == "This message was deleted."
    assert "oops" not in lxml.html.tostring(tree).decode()
    assert actions(gone_li) == []
    assert not gone_li.xpath('./span[contains(@class, "edited")]')


def test_attachments_are_linked_and_own_files_offered(user, other_user):
    room = make_room(user, members=[other_user])
    report = upload_file(user, name="report.txt")
    upload_file(other_user, name="private-notes.txt")
    message = post(user, room, "see attached", attachments=[report.pk])
    tree = room_html(other_user, room)
    links = item(tree, message).xpath('.//ul[@class="chat-attachments"]/li/a')
    assert [(a.text, a.get("href")) for a in links] == [
        ("report.txt", f"/chat/{room.pk}/messages/{message.pk}/attachments/{report.pk}/")
    ]
    assert client_for(other_user).get(links[0].get("href")).status_code == 200
    offered = tree.xpath('//select[@id="chat-attachment"]/option/text()')
    assert offered[1:] == ["private-notes.txt"]  # only the viewer's own files
    assert "report.txt" not in offered


def test_the_room_page_runs_a_constant_number_of_queries(user, other_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    room = make_room(user, members=[other_user])
    client = client_for(other_user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/chat/{room.pk}/").status_code == 200
        return len(captured)

    root = post(user, room, "root", attachments=[upload_file(user).pk])
    upload_file(other_user)  # none would be offered without a query at all
    queries()  # the first visit creates the read pointer
    first = queries()
    for number in range(4):
        post(user, room, f"reply {number}", reply_to=root.pk, attachments=[upload_file(user).pk])
        services.message_edit(actor=user, message=post(user, room, "x"), body=f"y {number}")
        upload_file(other_user)
    assert queries() == first
