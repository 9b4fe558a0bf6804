"""/api/v1/chat/: rooms, members, messages (cursor pages), edits, deletes, read pointers,
access (another user's private room is 404 everywhere) and constant query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from workspace.chat import services
from workspace.chat.models import ChatMessage
from workspace.tests.chat.factories import make_room, post

pytestmark = pytest.mark.django_db
ROOMS = "/api/v1/chat/rooms/"


def url(room, suffix=""):
    return f"{ROOMS}{room.pk}/{suffix}"


def test_create_rooms_and_open_a_direct_conversation_once(auth_client, user, other_user):
    answer = auth_client.post(
        ROOMS, {"kind": "private", "name": "Team", "members": [str(other_user.pk)]}, format="json"
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["member_count"] == 2
    first = auth_client.post(
        ROOMS, {"kind": "direct", "members": [str(other_user.pk)]}, format="json"
    )
    again = bearer_client(other_user).post(
        ROOMS, {"kind": "direct", "members": [str(user.pk)]}, format="json"
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]


def test_bad_input_is_422_not_500(auth_client):
    assert auth_client.post(ROOMS, {"kind": "nope"}, format="json").status_code == 422
    assert auth_client.post(ROOMS, {"kind": "private"}, format="json").status_code == 422
    assert auth_client.post(ROOMS, {"kind": "direct"}, format="json").status_code == 422


def test_post_edit_delete_and_history(auth_client, user, other_user):
    room = make_room(user, members=[other_user])
    answer = auth_client.post(url(room, "messages/"), {"body": "hello"}, format="json")
    assert answer.status_code == 201
    message_id = answer.json()["id"]
    reply = bearer_client(other_user).post(
        url(room, "messages/"), {"body": "hi", "reply_to": message_id}, format="json"
    )
    assert reply.json()["reply_to"] == message_id
    edited = auth_client.patch(
        url(room, f"messages/{message_id}/"), {"body": "hello all"}, format="json"
    )
    assert edited.status_code == 200
    assert edited.json()["edits"][0]["old_body"] == "hello"
    assert edited.json()["reply_count"] == 1
    other = bearer_client(other_user)
    assert (
        other.patch(url(room, f"messages/{message_id}/"), {"body": "x"}, format="json").status_code
        == 403
    )
    assert other.delete(url(room, f"messages/{message_id}/")).status_code == 403
    assert auth_client.delete(url(room, f"messages/{message_id}/")).status_code == 204
    deleted = auth_client.get(url(room, f"messages/{message_id}/")).json()
    assert deleted["body"] == ""
    assert deleted["deleted_at"]


def test_history_pages_by_cursor_newest_first(auth_client, user):
    room = make_room(user)
    for n in range(5):
        post(user, room, f"m{n}")
    first = auth_client.get(url(room, "messages/?limit=2")).json()
    assert [m["body"] for m in first["results"]] == ["m4", "m3"]
    second = auth_client.get(first["next"]).json()
    assert [m["body"] for m in second["results"]] == ["m2", "m1"]


def test_members_added_and_removed_by_admins(auth_client, user, other_user):
    room = make_room(user)
    answer = auth_client.post(url(room, "members/"), {"user": str(other_user.pk)}, format="json")
    assert answer.status_code == 201
    members = auth_client.get(url(room, "members/")).json()
    assert {(m["email"], m["role"]) for m in members["results"]} == {
        (user.email, "admin"),
        (other_user.email, "member"),
    }
    third = UserFactory()
    other = bearer_client(other_user)
    assert other.post(url(room, "members/"), {"user": str(third.pk)}).status_code == 403
    assert auth_client.delete(url(room, f"members/{other_user.pk}/")).status_code == 204
    assert other.get(url(room)).status_code == 404


def test_unread_and_read(auth_client, user, other_user):
    room = make_room(user, members=[other_user])
    post(user, room, "a")
    post(user, room, "b")
    other = bearer_client(other_user)
    listed = other.get(ROOMS).json()["results"]
    assert listed[0]["unread"] == 2
    assert other.post(url(room, "read/")).json()["unread"] == 0


def test_channels_are_listed_for_everyone_and_joinable(auth_client, user, other_user):
    room = make_room(user, kind="channel", name="general")
    other = bearer_client(other_user)
    assert [r["id"] for r in other.get(ROOMS).json()["results"]] == [str(room.pk)]
    assert other.post(url(room, "join/")).json()["is_member"] is True


def test_another_users_private_room_is_404_everywhere(user, other_user):
    room = make_room(other_user)
    message = post(other_user, room)
    client = bearer_client(user)
    for method, path in [
        ("get", url(room)),
        ("post", url(room, "join/")),
        ("post", url(room, "read/")),
        ("get", url(room, "members/")),
        ("post", url(room, "members/")),
        ("delete", url(room, f"members/{other_user.pk}/")),
        ("get", url(room, "messages/")),
        ("post", url(room, "messages/")),
        ("get", url(room, f"messages/{message.pk}/")),
        ("patch", url(room, f"messages/{message.pk}/")),
        ("delete", url(room, f"messages/{message.pk}/")),
    ]:
        answer = getattr(client, method)(path, {"body": "x", "user": str(user.pk)}, format="json")
        assert answer.status_code == 404, (method, path, answer.status_code)
    assert client.get(ROOMS).json()["count"] == 0
    assert ChatMessage.objects.get(pk=message.pk).body == "Hello"


def count_queries(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_lists_run_a_constant_number_of_queries(auth_client, user):
    room = make_room(user)
    for n in range(2):
        make_room(user, name=f"r{n}")
    post(user, room, "one")
    few = [
        count_queries(auth_client, p)
        for p in (ROOMS, url(room, "messages/"), url(room, "members/"))
    ]
    for n in range(4):
        make_room(user, name=f"s{n}")
        parent = post(user, room, f"more {n}")
        post(user, room, "reply", reply_to=parent.pk)
        services.room_member_add(actor=user, room=room, user=UserFactory())
    many = [
        count_queries(auth_client, p)
        for p in (ROOMS, url(room, "messages/"), url(room, "members/"))
    ]
    assert few == many


def test_membership_counts_only_edges_to_rooms(user, other_user):
    """An edge to another kind of node that happens to carry the room's id is no membership."""
    from django.contrib.contenttypes.models import ContentType

    from nexus_site.definitions.enums import RelationType
    from relations.models import Relationship
    from workspace.files.models import File

    room = make_room(user, kind="channel", name="general")
    Relationship.objects.create(
        source_type=ContentType.objects.get_for_model(type(other_user)),
        source_id=other_user.pk,
        target_type=ContentType.objects.get_for_model(File),
        target_id=room.pk,
        type=RelationType.MEMBER,
    )
    listed = bearer_client(other_user).get(url(room)).json()
    assert (listed["is_member"], listed["member_count"]) == (False, 1)


# --- the post's cost and its answer --------------------------------------------------------------


def test_the_post_answer_is_the_message_as_read_back(user, other_user):
    from workspace.chat.api.serializers import ChatMessageOutputSerializer
    from workspace.chat.selectors import message_get
    from workspace.tests.files.factories import upload_file

    room = make_room(user, members=[other_user])
    parent = post(other_user, room, "Question")
    files = [upload_file(user, b"one", "one.txt"), upload_file(user, b"two", "two.txt")]
    answer = bearer_client(user).post(
        url(room, "messages/"),
        {
            "body": f"Answer for @{other_user.email}",
            "reply_to": str(parent.pk),
            "attachments": [str(file.pk) for file in files],
        },
        format="json",
    )

    assert answer.status_code == 201
    body = answer.json()
    assert body["mentions"] == [str(other_user.pk)]
    assert [item["name"] for item in body["attachments"]] == ["one.txt", "two.txt"]
    stored = ChatMessageOutputSerializer(message_get(room, body["id"])).data
    assert body == stored_json(stored)


def stored_json(data) -> dict:
    import json

    from rest_framework.utils.encoders import JSONEncoder

    return json.loads(json.dumps(data, cls=JSONEncoder))


def test_the_sockets_get_the_message_the_post_answers(
    user, other_user, monkeypatch, django_capture_on_commit_callbacks
):
    from workspace.chat import realtime

    sent = []
    monkeypatch.setattr(realtime, "group_send", lambda group, event: sent.append(event))
    room = make_room(user, members=[other_user])

    with django_capture_on_commit_callbacks(execute=True):
        answer = bearer_client(user).post(url(room, "messages/"), {"body": "Hi"}, format="json")

    assert answer.status_code == 201
    events = [event for event in sent if event["type"] == "chat.event"]
    assert [event["event"] for event in events] == ["message_posted"]
    assert stored_json(events[0]["message"]) == answer.json()


def test_a_post_decides_access_once_and_reads_nothing_back(user, other_user):
    room = make_room(user, members=[other_user])
    post(user, room, "first")
    client = bearer_client(other_user)

    with CaptureQueriesContext(connection) as captured:
        answer = client.post(url(room, "messages/"), {"body": "Hi"}, format="json")

    assert answer.status_code == 201
    statements = [query["sql"] for query in captured]
    assert not [sql for sql in statements if "RECURSIVE" in sql.upper()]  # the edge decided it
    message_reads = [
        sql for sql in statements if sql.startswith("SELECT") and "workspace_chatmessage" in sql
    ]
    assert message_reads == []


def test_a_project_member_sees_a_room_but_may_not_post_unless_a_member(user):
    from projects.tests.factories import ProjectFactory, add_member

    project = ProjectFactory(owner=user)
    colleague = add_member(project)
    room = services.room_create(actor=user, kind="private", name="Design", project=project)

    answer = bearer_client(colleague).post(url(room, "messages/"), {"body": "Hi"}, format="json")

    assert answer.status_code == 403
    assert (
        bearer_client(UserFactory())
        .post(url(room, "messages/"), {"body": "Hi"}, format="json")
        .status_code
        == 404
    )


def test_posting_in_a_channel_joins_it(user, other_user):
    room = make_room(user, kind="channel", name="general")

    answer = bearer_client(other_user).post(url(room, "messages/"), {"body": "Hi"}, format="json")

    assert answer.status_code == 201
    assert services.member_role(other_user, room) == services.MEMBER
