"""Task attachment writes: access to the task and the file, what attaching grants, events."""

import pytest

from nexus_site.definitions.enums import EventType, MemberRole, Permission
from nexus_site.events.models import Event
from nexus_site.exceptions import AuthorizationError, NotFoundError, ValidationError
from projects import services as projects
from projects.tests.factories import ProjectFactory, TaskFactory, add_member
from relations.access import can
from relations.nodes import node_of
from workspace.files.services import file_delete
from workspace.task_attachments import services
from workspace.task_attachments.models import TaskAttachment
from workspace.tests.files.factories import upload_file, uploaded

pytestmark = pytest.mark.django_db


def attached_events() -> list[Event]:
    return list(Event.objects.filter(type=EventType.TASK_UPDATED, payload__fields=["attachments"]))


def test_an_editor_attaches_a_file_they_may_see_and_the_project_is_told():
    task = TaskFactory()
    member = add_member(task.project, MemberRole.MEMBER)
    file = upload_file(member)

    attachment = services.task_attachment_add(actor=member, task=task, file_id=file.pk)

    assert (attachment.task, attachment.file, attachment.attached_by) == (task, file, member)
    (event,) = attached_events()
    assert event.payload["attached"] == str(file.pk)
    assert event.payload["project"] == str(task.project_id)
    assert event.audience_node == str(node_of(task.project))


def test_attaching_twice_is_one_attachment_and_one_event(user):
    task = TaskFactory(project=ProjectFactory(owner=user))
    file = upload_file(user)

    services.task_attachment_add(actor=user, task=task, file_id=file.pk)
    services.task_attachment_add(actor=user, task=task, file_id=file.pk)

    assert TaskAttachment.objects.filter(task=task).count() == 1
    assert len(attached_events()) == 1


def test_attaching_grants_nothing_on_the_file():
    task = TaskFactory()
    colleague = add_member(task.project, MemberRole.MEMBER)
    private = upload_file(task.project.owner, b"private\n", "private.txt")

    services.task_attachment_add(actor=task.project.owner, task=task, file_id=private.pk)

    assert not can(colleague, Permission.VIEW, node_of(private))


def test_a_file_the_actor_may_not_see_is_refused_and_nothing_is_attached(user, other_user):
    task = TaskFactory(project=ProjectFactory(owner=user))
    theirs = upload_file(other_user)

    with pytest.raises(ValidationError) as raised:
        services.task_attachment_add(actor=user, task=task, file_id=theirs.pk)

    assert raised.value.status == 422
    assert not TaskAttachment.objects.exists()
    assert not attached_events()


def test_a_viewer_of_the_task_may_not_attach():
    task = TaskFactory()
    guest = add_member(task.project, MemberRole.GUEST)
    file = upload_file(guest)

    with pytest.raises(AuthorizationError):
        services.task_attachment_add(actor=guest, task=task, file_id=file.pk)
    with pytest.raises(AuthorizationError):
        services.task_attachment_upload(actor=guest, task=task, upload=uploaded())

    assert not TaskAttachment.objects.exists()
    assert list(guest.files.all()) == [file]


def test_someone_elses_task_answers_not_found(user, other_user):
    task = TaskFactory(project=ProjectFactory(owner=other_user))
    file = upload_file(user)

    with pytest.raises(NotFoundError):
        services.task_attachment_add(actor=user, task=task, file_id=file.pk)


def test_an_upload_becomes_the_uploaders_own_file_in_no_project_and_is_attached():
    task = TaskFactory()
    member = add_member(task.project, MemberRole.MEMBER)

    attachment = services.task_attachment_upload(
        actor=member, task=task, upload=uploaded(b"notes\n", "notes.txt")
    )

    assert attachment.file.owner == member
    assert attachment.file.project is None
    assert attachment.file.name == "notes.txt"
    assert len(attached_events()) == 1


def test_removing_keeps_the_file_and_tells_the_project(user):
    task = TaskFactory(project=ProjectFactory(owner=user))
    file = upload_file(user)
    services.task_attachment_add(actor=user, task=task, file_id=file.pk)

    services.task_attachment_remove(actor=user, task=task, file=file)

    assert not TaskAttachment.objects.exists()
    file.refresh_from_db()
    assert [event.payload.get("detached") for event in attached_events()] == [None, str(file.pk)]


def test_removing_what_is_not_attached_answers_not_found(user):
    task = TaskFactory(project=ProjectFactory(owner=user))

    with pytest.raises(NotFoundError):
        services.task_attachment_remove(actor=user, task=task, file=upload_file(user))


def test_a_viewer_may_not_remove(user):
    task = TaskFactory(project=ProjectFactory(owner=user))
    file = upload_file(user)
    services.task_attachment_add(actor=user, task=task, file_id=file.pk)
    guest = add_member(task.project, MemberRole.GUEST)

    with pytest.raises(AuthorizationError):
        services.task_attachment_remove(actor=guest, task=task, file=file)

    assert TaskAttachment.objects.count() == 1


def test_deleting_the_task_or_the_file_ends_the_attachment(user):
    task = TaskFactory(project=ProjectFactory(owner=user))
    other_task = TaskFactory(project=task.project)
    file, other_file = upload_file(user, b"a\n"), upload_file(user, b"b\n")
    services.task_attachment_add(actor=user, task=task, file_id=file.pk)
    services.task_attachment_add(actor=user, task=other_task, file_id=other_file.pk)

    projects.task_delete(actor=user, task=task)
    file_delete(actor=user, file=other_file)

    assert not TaskAttachment.objects.exists()
    file.refresh_from_db()  # the file outlives the task
