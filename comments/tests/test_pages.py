"""The comments thread on the task page and the document page, and its forms at /comments/."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from comments import services
from comments.models import Comment
from comments.selectors import decided
from comments.tests.factories import comment_on
from nexus_site.definitions.enums import MemberRole
from projects.tests.factories import ProjectFactory, TaskFactory, add_member
from workspace.tests.documents.factories import DocumentFactory, share
from workspace.tests.files.factories import upload_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def task(user):
    return TaskFactory(project=ProjectFactory(owner=user), title="Launch")


@pytest.fixture
def document(user):
    return DocumentFactory(owner=user, title="Plan")


def page_of(obj) -> str:
    if hasattr(obj, "doc_type"):
        return reverse("documents:editor", args=[obj.pk])
    return reverse("projects:task", args=[obj.pk])


def create_url(obj) -> str:
    kind = "document" if hasattr(obj, "doc_type") else "task"
    return reverse(f"comments:{kind}-create", args=[obj.pk])


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("kind", ["task", "document"])
def test_the_page_shows_the_thread_and_a_form(request, signed_in, user, kind):
    target = request.getfixturevalue(kind)
    root = comment_on(target, user, "Ship **Friday**")
    comment_on(target, user, "Reply here", reply_to=root.pk)

    html = signed_in.get(page_of(target)).content.decode()

    assert 'id="comments"' in html
    assert "Ship <strong>Friday</strong>" in html
    assert 'class="comment-replies"' in html
    assert f'action="{create_url(target)}"' in html
    assert "comments/comments.js" in html


@pytest.mark.parametrize("kind", ["task", "document"])
def test_posting_from_the_page_comes_back_to_the_comment(request, signed_in, kind):
    target = request.getfixturevalue(kind)
    answer = signed_in.post(create_url(target), {"body": "From the page"})
    comment = Comment.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == f"{page_of(target)}#comment-{comment.pk}"


def test_a_reply_edit_and_delete_from_the_page(signed_in, user, task):
    root = comment_on(task, user, "root")
    signed_in.post(create_url(task), {"body": "a reply", "reply_to": str(root.pk)})
    reply = Comment.objects.get(body="a reply")
    signed_in.post(reverse("comments:edit", args=[reply.pk]), {"body": "an edited reply"})
    signed_in.post(reverse("comments:delete", args=[root.pk]))

    reply.refresh_from_db()
    root.refresh_from_db()
    assert (reply.reply_to_id, reply.body, reply.revisions.count()) == (
        root.pk,
        "an edited reply",
        1,
    )
    assert root.is_deleted
    html = signed_in.get(page_of(task)).content.decode()
    assert "This comment was deleted." in html
    assert "an edited reply" in html


def test_the_page_says_who_was_not_notified(signed_in, task):
    outsider = UserFactory()
    answer = signed_in.post(create_url(task), {"body": f"cc @{outsider.email}"}, follow=True)
    assert (
        f"{outsider.email.lower()} cannot see this task and was not notified."
        in answer.content.decode()
    )
    assert not Comment.objects.get().mentions.exists()


def test_a_viewer_sees_the_thread_without_a_form_and_cannot_post(client, user, document):
    viewer = UserFactory()
    share(document, viewer, permission="view")
    comment_on(document, user, "owner's note")
    client.force_login(viewer)

    html = client.get(page_of(document)).content.decode()
    answer = client.post(create_url(document), {"body": "mine"})

    assert "owner&#x27;s note" in html or "owner's note" in html
    assert f'action="{create_url(document)}"' not in html
    assert answer.status_code == 302
    assert messages_of(answer) == ["You may read this, but not comment on it."]
    assert Comment.objects.count() == 1


def test_a_comment_share_sees_the_form_but_the_document_stays_read_only(client, document):
    commenter = UserFactory()
    share(document, commenter, permission="comment")
    client.force_login(commenter)

    html = client.get(page_of(document)).content.decode()

    assert f'action="{create_url(document)}"' in html
    assert "Read only" in html


def test_another_users_comment_pages_are_404(client, user, task):
    comment = comment_on(task, user)
    client.force_login(UserFactory())
    assert client.post(create_url(task), {"body": "x"}).status_code == 404
    assert (
        client.post(reverse("comments:edit", args=[comment.pk]), {"body": "x"}).status_code == 404
    )
    assert client.post(reverse("comments:delete", args=[comment.pk])).status_code == 404


def test_another_members_comment_shows_no_edit_or_delete(client, user, task):
    comment = comment_on(task, user, "owner's")
    member = add_member(task.project, role=MemberRole.MEMBER)
    client.force_login(member)
    html = client.get(page_of(task)).content.decode()
    assert reverse("comments:edit", args=[comment.pk]) not in html
    answer = client.post(reverse("comments:delete", args=[comment.pk]))
    assert answer.status_code == 302
    assert not Comment.objects.get().is_deleted


def test_an_attachment_downloads_through_the_comment(signed_in, user, task):
    file = upload_file(user, b"notes\n", "notes.txt")
    comment = comment_on(task, user, "see file", attachments=[file.pk])
    url = reverse("comments:attachment", args=[comment.pk, file.pk])
    assert url in signed_in.get(page_of(task)).content.decode()
    answer = signed_in.get(url)
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content) == b"notes\n"


@pytest.mark.parametrize("kind", ["task", "document"])
def test_the_page_runs_a_constant_number_of_queries(request, signed_in, user, kind):
    target = request.getfixturevalue(kind)
    colleague = UserFactory()
    if kind == "task":
        add_member(target.project, user=colleague)
    else:
        share(target, colleague, permission="comment")
    file = upload_file(user, b"x", "x.txt")

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            answer = signed_in.get(page_of(target))
        assert answer.status_code == 200
        return len(queries)

    comment_on(target, user, "one")
    one = count_queries()
    for number in range(19):
        comment_on(
            target,
            colleague if number % 2 else user,
            f"@{colleague.email} {number}",
            attachments=[] if number % 2 else [file.pk],
        )
    last = Comment.objects.filter(author=user).last()
    services.comment_edit(actor=user, target=decided(user, target), comment=last, body="edited")
    assert Comment.objects.count() == 20
    assert count_queries() == one
