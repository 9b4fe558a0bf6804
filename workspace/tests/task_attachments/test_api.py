"""The task attachments API: /api/v1/tasks/{id}/attachments/, one attachment, its download."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import bearer_client
from nexus_site.definitions.enums import MemberRole
from projects.tests.factories import ProjectFactory, TaskFactory, add_member
from workspace.task_attachments import services
from workspace.task_attachments.models import TaskAttachment
from workspace.tests.files.factories import upload_file

pytestmark = pytest.mark.django_db


def url(task, file=None, *, download=False) -> str:
    base = f"/api/v1/tasks/{task.pk}/attachments/"
    if file is None:
        return base
    return f"{base}{file.pk}/" + ("download/" if download else "")


@pytest.fixture
def task(user):
    return TaskFactory(project=ProjectFactory(owner=user))


def test_an_editor_attaches_a_file_and_lists_it(auth_client, user, task):
    file = upload_file(user, b"plan\n", "plan.txt")

    created = auth_client.post(url(task), {"file": str(file.pk)}, format="json")
    listed = auth_client.get(url(task))

    assert created.status_code == 201
    assert created.json()["name"] == "plan.txt"
    assert created.json()["attached_by"] == str(user.pk)
    assert listed.status_code == 200
    assert listed.json()["count"] == 1
    assert listed.json()["results"][0]["file"] == str(file.pk)


def test_another_users_task_answers_404_on_every_route(api_client, user, other_user, task):
    file = upload_file(user)
    services.task_attachment_add(actor=user, task=task, file_id=file.pk)
    theirs = bearer_client(other_user)
    own = upload_file(other_user)

    answers = [
        theirs.get(url(task)).status_code,
        theirs.post(url(task), {"file": str(own.pk)}, format="json").status_code,
        theirs.delete(url(task, file)).status_code,
        theirs.get(url(task, file, download=True)).status_code,
    ]

    assert answers == [404, 404, 404, 404]
    assert theirs.get(url(task)).json()["error"]["code"] == "not_found"
    assert TaskAttachment.objects.count() == 1


def test_a_viewer_cannot_attach_or_remove(user, task):
    guest = add_member(task.project, MemberRole.GUEST)
    file = upload_file(user)
    services.task_attachment_add(actor=user, task=task, file_id=file.pk)
    client = bearer_client(guest)

    attached = client.post(url(task), {"file": str(upload_file(guest).pk)}, format="json")
    removed = client.delete(url(task, file))

    assert attached.status_code == 403
    assert attached.json()["error"]["code"] == "authorization"
    assert removed.status_code == 403
    assert TaskAttachment.objects.count() == 1


def test_a_file_the_caller_may_not_see_is_refused_with_422(auth_client, other_user, task):
    theirs = upload_file(other_user)

    response = auth_client.post(url(task), {"file": str(theirs.pk)}, format="json")

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"file_ids": [str(theirs.pk)]}


@pytest.mark.parametrize("body", [{}, {"file": "junk"}, {"file": None}, []])
def test_a_bad_body_is_a_422_not_a_500(auth_client, task, body):
    response = auth_client.post(url(task), body, format="json")

    assert response.status_code in (400, 422)
    assert "error" in response.json()


def test_a_member_who_cannot_see_the_file_downloads_it_through_the_task_while_attached(user, task):
    member = add_member(task.project, MemberRole.MEMBER)
    private = upload_file(user, b"secret plan\n", "private.txt")
    client = bearer_client(member)
    assert client.get(f"/api/v1/files/{private.pk}/download/").status_code == 404

    services.task_attachment_add(actor=user, task=task, file_id=private.pk)
    through_task = client.get(url(task, private, download=True))

    assert through_task.status_code == 200
    assert b"".join(through_task.streaming_content) == b"secret plan\n"
    assert client.get(f"/api/v1/files/{private.pk}/download/").status_code == 404

    services.task_attachment_remove(actor=user, task=task, file=private)
    assert client.get(url(task, private, download=True)).status_code == 404


def test_downloading_a_file_not_attached_to_this_task_answers_404(auth_client, user, task):
    other_task = TaskFactory(project=task.project)
    file = upload_file(user)
    services.task_attachment_add(actor=user, task=other_task, file_id=file.pk)

    assert auth_client.get(url(task, file, download=True)).status_code == 404
    missing = f"{url(task)}{uuid.uuid4()}/download/"
    assert auth_client.get(missing).status_code == 404


def test_remove_answers_204_and_keeps_the_file(auth_client, user, task):
    file = upload_file(user)
    services.task_attachment_add(actor=user, task=task, file_id=file.pk)

    response = auth_client.delete(url(task, file))

    assert response.status_code == 204
    assert not TaskAttachment.objects.exists()
    assert auth_client.get(f"/api/v1/files/{file.pk}/").status_code == 200
    assert auth_client.delete(url(task, file)).status_code == 404


def test_the_list_runs_the_same_number_of_queries_whatever_its_length(auth_client, user, task):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert auth_client.get(url(task)).status_code == 200
        return len(queries)

    services.task_attachment_add(actor=user, task=task, file_id=upload_file(user, b"0").pk)
    few = count()
    for number in range(1, 8):
        file = upload_file(add_member(task.project), f"{number}".encode())
        services.task_attachment_add(actor=file.owner, task=task, file_id=file.pk)

    assert count() == few
