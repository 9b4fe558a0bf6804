"""comments.services: the rules the API tests do not reach one by one."""

import datetime

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from comments import services
from comments.models import Comment, CommentAttachment, CommentRevision
from comments.selectors import decided, document_target
from comments.tests.factories import comment_on
from nexus_site.definitions.enums import MemberRole, Role
from nexus_site.exceptions import AuthorizationError, NotFoundError, ValidationError
from projects.tests.factories import ProjectFactory, TaskFactory, add_member
from relations import access
from relations.access import viewer_ids
from relations.algorithms import TraversalLimitExceeded
from relations.nodes import node_of
from workspace.documents import services as documents
from workspace.tests.documents.factories import DocumentFactory, share
from workspace.tests.files.factories import upload_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(user):
    return TaskFactory(project=ProjectFactory(owner=user))


def test_a_reply_to_a_deleted_comment_is_refused(user, task):
    root = comment_on(task, user)
    services.comment_delete(actor=user, target=decided(user, task), comment=root)
    with pytest.raises(ValidationError) as refused:
        comment_on(task, user, "late", reply_to=root.pk)
    assert "reply_to" in refused.value.details


def test_an_unchanged_body_writes_no_revision(user, task):
    comment = comment_on(task, user, "same")
    services.comment_edit(actor=user, target=decided(user, task), comment=comment, body=" same ")
    assert not CommentRevision.objects.exists()
    assert Comment.objects.get().edited_at is None


def test_a_delete_drops_body_mentions_attachments_and_history(user, task):
    member = add_member(task.project)
    file = upload_file(user, b"x", "x.txt")
    comment = comment_on(task, user, f"@{member.email}", attachments=[file.pk])
    target = decided(user, task)
    services.comment_edit(actor=user, target=target, comment=comment, body=f"@{member.email} !")

    services.comment_delete(actor=user, target=target, comment=comment)

    comment.refresh_from_db()
    assert (comment.body, comment.is_deleted) == ("", True)
    assert not comment.mentions.exists()
    assert not CommentAttachment.objects.exists()
    assert not CommentRevision.objects.exists()
    with pytest.raises(NotFoundError):
        services.comment_delete(actor=user, target=target, comment=comment)


def test_an_inactive_person_is_not_mentioned(user, task):
    gone = add_member(task.project)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    written = services.comment_create(actor=user, target=decided(user, task), body=f"@{gone.email}")
    assert written.mentions_refused == [gone.email.lower()]


def test_an_administrator_sees_comments_and_may_be_mentioned_anywhere(user, task):
    admin = UserFactory(role=Role.ADMIN)
    written = services.comment_create(
        actor=user, target=decided(user, task), body=f"@{admin.email}"
    )
    assert written.mentions_refused == []
    comment_on(task, admin, "an administrator's note")
    assert Comment.objects.filter(author=admin).exists()


def test_too_many_attachments_or_mentions_are_refused(user, task):
    files = [upload_file(user, bytes([n]), f"{n}.txt") for n in range(11)]
    with pytest.raises(ValidationError):
        comment_on(task, user, "files", attachments=[file.pk for file in files])
    body = " ".join(f"@person{n}@example.com" for n in range(21))
    with pytest.raises(ValidationError):
        comment_on(task, user, body)
    assert not Comment.objects.exists()


def test_a_target_loaded_for_someone_else_is_decided_again(user, task):
    guest = add_member(task.project, role=MemberRole.GUEST)
    with pytest.raises(AuthorizationError):
        services.comment_create(actor=guest, target=decided(user, task), body="sneaky")


def test_a_trashed_documents_comments_are_hidden_and_a_purge_removes_them(user):
    document = DocumentFactory(owner=user)
    comment_on(document, user)
    documents.document_delete(actor=user, document=document)
    with pytest.raises(NotFoundError):
        document_target(user, document.pk)
    purged = documents.document_trash_purge(now=timezone.now() + datetime.timedelta(days=3650))
    assert purged == 1
    assert not Comment.objects.exists()


def test_an_expired_share_no_longer_sees_nor_is_offered(user):
    document = DocumentFactory(owner=user)
    reader = UserFactory()
    share(
        document,
        reader,
        permission="comment",
        expires_at=timezone.now() + datetime.timedelta(seconds=1),
    )
    assert reader.pk in viewer_ids(node_of(document))
    later = timezone.now() + datetime.timedelta(minutes=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: later)
        assert reader.pk not in viewer_ids(node_of(document))
        with pytest.raises(NotFoundError):
            decided(reader, document)


def test_a_hierarchy_too_deep_to_read_grants_no_mention(user, task, monkeypatch):
    member = add_member(task.project)

    def too_deep(nodes):
        raise TraversalLimitExceeded(1)

    target = decided(user, task)
    monkeypatch.setattr(access, "ancestry", too_deep)
    written = services.comment_create(actor=user, target=target, body=f"@{member.email}")
    assert written.mentions_refused == [member.email.lower()]
