"""Task attachments on the task page: the list, upload or pick a file, remove, download."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from nexus_site.definitions.enums import MemberRole
from projects.tests.factories import ProjectFactory, TaskFactory, add_member
from workspace.task_attachments import services
from workspace.task_attachments.models import TaskAttachment
from workspace.tests.files.factories import upload_file, uploaded

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(user):
    return TaskFactory(project=ProjectFactory(owner=user), title="Build")


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def page_of(task) -> str:
    return reverse("projects:task", args=[task.pk])


def add_url(task) -> str:
    return reverse("task-attachments:add", args=[task.pk])


def attachments_card(page: str) -> str:
    """Return the attachments card of a task page's HTML (the comment form offers files too)."""
    start = page.index('id="attachments"')
    return page[start : page.index("</section>", start)]


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_an_upload_from_the_task_page_is_attached_and_listed(signed_in, user, task):
    response = signed_in.post(add_url(task), {"upload": uploaded(b"notes\n", "notes.txt")})

    assert response.status_code == 302
    assert response["Location"] == page_of(task) + "#attachments"
    (attachment,) = TaskAttachment.objects.filter(task=task)
    assert attachment.file.owner == user
    page = signed_in.get(page_of(task)).content.decode()
    download = reverse("task-attachments:download", args=[task.pk, attachment.file_id])
    assert f'href="{download}"' in page
    assert "notes.txt" in page


def test_one_of_my_files_is_picked_from_the_page(signed_in, user, task):
    mine = upload_file(user, b"mine\n", "mine.txt")
    page = attachments_card(signed_in.get(page_of(task)).content.decode())
    assert f'<option value="{mine.pk}">mine.txt</option>' in page

    response = signed_in.post(add_url(task), {"existing": str(mine.pk)})

    assert "Attached mine.txt." in said(response)
    assert TaskAttachment.objects.get(task=task).file == mine
    page = attachments_card(signed_in.get(page_of(task)).content.decode())
    assert f'<option value="{mine.pk}">' not in page  # attached: no longer offered


def test_a_post_with_no_file_says_so_and_attaches_nothing(signed_in, task):
    response = signed_in.post(add_url(task), {})

    assert "Choose a file to upload or one of your files." in said(response)
    assert not TaskAttachment.objects.exists()


def test_someone_elses_file_picked_by_id_is_refused_with_a_message(signed_in, other_user, task):
    theirs = upload_file(other_user)

    response = signed_in.post(add_url(task), {"existing": str(theirs.pk)})

    assert response.status_code == 302
    assert any("cannot be attached" in text for text in said(response))
    assert str(theirs.pk) not in " ".join(said(response))
    assert not TaskAttachment.objects.exists()


def test_an_upload_past_the_limit_is_a_message_not_a_500(signed_in, task, settings):
    settings.FILE_UPLOAD_MAX_BYTES = 10

    response = signed_in.post(add_url(task), {"upload": uploaded(b"x" * 100, "big.txt")})

    assert response.status_code == 302
    assert said(response)
    assert not TaskAttachment.objects.exists()


def test_a_viewer_sees_the_list_without_forms_and_cannot_attach(client, user, task):
    file = upload_file(user, b"plan\n", "plan.txt")
    services.task_attachment_add(actor=user, task=task, file_id=file.pk)
    guest = add_member(task.project, MemberRole.GUEST)
    client.force_login(guest)

    page = client.get(page_of(task)).content.decode()
    response = client.post(add_url(task), {"upload": uploaded(b"mine\n", "mine.txt")})

    assert "plan.txt" in page
    assert 'id="attachment-upload-form"' not in page
    assert reverse("task-attachments:remove", args=[task.pk, file.pk]) not in page
    assert response.status_code == 302
    assert said(response)
    assert TaskAttachment.objects.count() == 1
    assert not guest.files.exists()


def test_another_users_task_answers_404_on_every_page(client, other_user, user, task):
    file = upload_file(user)
    services.task_attachment_add(actor=user, task=task, file_id=file.pk)
    client.force_login(other_user)

    answers = [
        client.post(add_url(task), {"existing": str(upload_file(other_user).pk)}).status_code,
        client.get(reverse("task-attachments:download", args=[task.pk, file.pk])).status_code,
        client.post(reverse("task-attachments:remove", args=[task.pk, file.pk])).status_code,
    ]

    assert answers == [404, 404, 404]
    assert TaskAttachment.objects.count() == 1


def test_removing_from_the_page_keeps_the_file(signed_in, user, task):
    file = upload_file(user, b"plan\n", "plan.txt")
    services.task_attachment_add(actor=user, task=task, file_id=file.pk)

    response = signed_in.post(reverse("task-attachments:remove", args=[task.pk, file.pk]))

    assert "Removed plan.txt." in said(response)
    assert not TaskAttachment.objects.exists()
    assert user.files.filter(pk=file.pk).exists()


def test_a_member_downloads_a_file_they_cannot_see_only_through_the_task(client, user, task):
    member = add_member(task.project, MemberRole.MEMBER)
    private = upload_file(user, b"secret\n", "secret.txt")
    services.task_attachment_add(actor=user, task=task, file_id=private.pk)
    client.force_login(member)
    through_task = reverse("task-attachments:download", args=[task.pk, private.pk])

    response = client.get(through_task)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"secret\n"
    assert client.get(reverse("files:download", args=[private.pk])).status_code == 404
    services.task_attachment_remove(actor=user, task=task, file=private)
    assert client.get(through_task).status_code == 404


def test_the_task_page_runs_the_same_number_of_queries_whatever_the_attachments(
    signed_in, user, task
):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert signed_in.get(page_of(task)).status_code == 200
        return len(queries)

    services.task_attachment_add(actor=user, task=task, file_id=upload_file(user, b"0").pk)
    upload_file(user, b"spare 0")
    few = count()
    for number in range(1, 8):
        file = upload_file(add_member(task.project), f"{number}".encode())
        services.task_attachment_add(actor=file.owner, task=task, file_id=file.pk)
        upload_file(user, f"spare {number}".encode())

    assert count() == few
