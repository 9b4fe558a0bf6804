"""Rooms in a project: the project is the room's structural parent, so its members see the
room (list, API, page); creating one needs edit rights on the project."""

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from nexus_site.definitions.enums import MemberRole
from projects.tests.factories import ProjectFactory, add_member
from workspace.chat import selectors
from workspace.tests.chat.factories import post

pytestmark = pytest.mark.django_db
ROOMS = "/api/v1/chat/rooms/"


def test_project_members_see_the_projects_private_rooms(user):
    project = ProjectFactory(owner=user)
    colleague, stranger = add_member(project), UserFactory()
    created = bearer_client(user).post(
        ROOMS, {"kind": "private", "name": "Design", "project": str(project.pk)}, format="json"
    )
    assert created.status_code == 201
    assert created.json()["project"] == str(project.pk)
    room_id = created.json()["id"]
    post(user, selectors.room_get(user, room_id), "kick-off")

    listed = bearer_client(colleague).get(ROOMS).json()["results"]
    assert [(r["id"], r["is_member"], r["unread"]) for r in listed] == [(room_id, False, 1)]
    history = bearer_client(colleague).get(f"{ROOMS}{room_id}/messages/").json()["results"]
    assert [m["body"] for m in history] == ["kick-off"]
    client = Client()
    client.force_login(colleague)
    assert client.get(f"/chat/{room_id}/").status_code == 200

    assert bearer_client(stranger).get(ROOMS).json()["count"] == 0
    assert bearer_client(stranger).get(f"{ROOMS}{room_id}/").status_code == 404


def test_a_room_needs_a_project_the_creator_may_edit(user):
    hidden = ProjectFactory()
    viewed = ProjectFactory()
    add_member(viewed, role=MemberRole.GUEST, user=user)
    client = bearer_client(user)

    def create(project, kind="private"):
        return client.post(
            ROOMS,
            {"kind": kind, "name": "x", "project": str(project.pk), "members": []},
            format="json",
        )

    assert create(hidden).status_code == 422
    assert create(viewed).status_code == 403
    other = UserFactory()
    direct = client.post(
        ROOMS,
        {"kind": "direct", "members": [str(other.pk)], "project": str(viewed.pk)},
        format="json",
    )
    assert direct.status_code == 422
    assert "project" in direct.json()["error"]["details"]
