"""/api/v1/tasks/{id}/comments/ and /api/v1/documents/{id}/comments/: threads, edits with
history, delete markers, access through the target, mentions that never grant, attachments
through the comment, events and constant query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from comments import services
from comments.models import Comment
from comments.selectors import decided
from comments.tests.factories import comment_on
from conftest import bearer_client
from nexus_site.definitions.enums import MemberRole, Role
from nexus_site.events.models import Event
from projects.tests.factories import ProjectFactory, TaskFactory, add_member
from relations.access import visible_node_strings
from workspace.documents.models import Document
from workspace.tests.documents.factories import DocumentFactory, share
from workspace.tests.files.factories import upload_file

pytestmark = pytest.mark.django_db


def comments_url(obj, suffix=""):
    plural = "documents" if isinstance(obj, Document) else "tasks"
    return f"/api/v1/{plural}/{obj.pk}/comments/{suffix}"


@pytest.fixture
def task(user):
    return TaskFactory(project=ProjectFactory(owner=user), title="Launch")


@pytest.fixture
def document(user):
    return DocumentFactory(owner=user, title="Plan")


@pytest.mark.parametrize("kind", ["task", "document"])
def test_post_reply_edit_delete_on_a_task_or_document(request, auth_client, kind):
    target = request.getfixturevalue(kind)
    posted = auth_client.post(comments_url(target), {"body": "First **draft**"}, format="json")
    assert posted.status_code == 201, posted.json()
    comment = posted.json()
    assert comment[kind] == str(target.pk)
    assert comment["body_html"] == "<p>First <strong>draft</strong></p>"
    assert comment["mentions_refused"] == []
    reply = auth_client.post(
        comments_url(target), {"body": "Agreed", "reply_to": comment["id"]}, format="json"
    )
    assert reply.json()["reply_to"] == comment["id"]

    edited = auth_client.patch(
        comments_url(target, f"{comment['id']}/"), {"body": "Second draft"}, format="json"
    )
    assert edited.status_code == 200
    assert edited.json()["edited_at"] is not None
    assert edited.json()["revision_count"] == 1
    history = auth_client.get(comments_url(target, f"{comment['id']}/history/")).json()
    assert [revision["old_body"] for revision in history["results"]] == ["First **draft**"]

    assert auth_client.delete(comments_url(target, f"{comment['id']}/")).status_code == 204
    marker = auth_client.get(comments_url(target, f"{comment['id']}/")).json()
    assert (marker["body"], marker["revision_count"]) == ("", 0)
    assert marker["deleted_at"] is not None
    listed = auth_client.get(comments_url(target)).json()
    assert [row["id"] for row in listed["results"]] == [comment["id"], reply.json()["id"]]


def test_the_list_is_oldest_first_thread_by_thread(user, auth_client, task):
    first = comment_on(task, user, "first")
    second = comment_on(task, user, "second")
    reply_to_first = comment_on(task, user, "reply to first", reply_to=first.pk)
    reply_to_reply = comment_on(task, user, "reply to the reply", reply_to=reply_to_first.pk)

    rows = auth_client.get(comments_url(task)).json()["results"]

    assert [row["body"] for row in rows] == [
        "first",
        "reply to first",
        "reply to the reply",
        "second",
    ]
    assert reply_to_reply.reply_to_id == first.pk  # threads are one level deep
    assert second.reply_to_id is None


def test_the_list_paginates_like_the_other_lists(user, auth_client, task):
    for number in range(3):
        comment_on(task, user, f"comment {number}")
    page = auth_client.get(comments_url(task) + "?limit=2").json()
    assert page["count"] == 3
    assert len(page["results"]) == 2
    assert page["next"] is not None


def test_another_users_task_or_document_is_404_everywhere(user, task, document):
    stranger = bearer_client(UserFactory())
    for target in (task, document):
        comment = comment_on(target, user)
        assert stranger.get(comments_url(target)).status_code == 404
        assert stranger.post(comments_url(target), {"body": "hi"}, format="json").status_code == 404
        assert stranger.get(comments_url(target, f"{comment.pk}/")).status_code == 404
        assert (
            stranger.patch(
                comments_url(target, f"{comment.pk}/"), {"body": "x"}, format="json"
            ).status_code
            == 404
        )
        assert stranger.delete(comments_url(target, f"{comment.pk}/")).status_code == 404
        assert stranger.get(comments_url(target, "people/?q=a")).status_code == 404


def test_a_comment_of_another_target_is_404(user, auth_client, task):
    other_task = TaskFactory(project=task.project)
    comment = comment_on(other_task, user)
    assert auth_client.get(comments_url(task, f"{comment.pk}/")).status_code == 404


def test_a_viewer_reads_but_cannot_comment(user, task, document):
    guest = add_member(task.project, role=MemberRole.GUEST)
    viewer = UserFactory()
    share(document, viewer, permission="view")
    for reader, target in ((guest, task), (viewer, document)):
        comment_on(target, user, "Owner's note")
        client = bearer_client(reader)
        assert client.get(comments_url(target)).json()["count"] == 1
        answer = client.post(comments_url(target), {"body": "me too"}, format="json")
        assert answer.status_code == 403
        assert answer.json()["error"]["code"] == "authorization"
    assert Comment.objects.count() == 2


def test_a_comment_share_may_comment_but_not_edit_the_document(user, document):
    commenter = UserFactory()
    share(document, commenter, permission="comment")
    client = bearer_client(commenter)

    posted = client.post(comments_url(document), {"body": "Looks good"}, format="json")
    edit = client.patch(
        f"/api/v1/documents/{document.pk}/",
        {"version": document.version, "title": "Taken"},
        format="json",
    )

    assert posted.status_code == 201
    assert edit.status_code == 403
    document.refresh_from_db()
    assert document.title == "Plan"


def test_only_the_author_or_a_manager_edits_or_deletes_a_comment(user, task):
    member = add_member(task.project, role=MemberRole.MEMBER)
    manager = add_member(task.project, role=MemberRole.MANAGER)
    comment = comment_on(task, member, "mine")
    other_member = bearer_client(add_member(task.project, role=MemberRole.MEMBER))
    url = comments_url(task, f"{comment.pk}/")

    assert other_member.patch(url, {"body": "yours"}, format="json").status_code == 403
    assert other_member.delete(url).status_code == 403
    assert (
        bearer_client(member).patch(url, {"body": "mine, edited"}, format="json").status_code == 200
    )
    assert bearer_client(manager).patch(url, {"body": "tidied"}, format="json").status_code == 200
    assert bearer_client(manager).delete(url).status_code == 204


def test_an_author_who_can_no_longer_comment_cannot_edit(user, document):
    author = UserFactory()
    share(document, author, permission="comment")
    comment = comment_on(document, author, "while shared")
    share(document, author, permission="view")

    answer = bearer_client(author).patch(
        comments_url(document, f"{comment.pk}/"), {"body": "later"}, format="json"
    )

    assert answer.status_code == 403


def test_a_reply_to_a_comment_of_another_target_is_422(user, auth_client, task):
    elsewhere = comment_on(TaskFactory(project=task.project), user)
    answer = auth_client.post(
        comments_url(task), {"body": "hi", "reply_to": str(elsewhere.pk)}, format="json"
    )
    assert answer.status_code == 422
    assert "reply_to" in answer.json()["error"]["details"]
    assert not Comment.objects.filter(task=task).exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"body": ""},
        {"body": "   "},
        {"body": "x" * 10_001},
        {"body": "hi", "reply_to": "not-a-uuid"},
        {"body": "hi", "attachments": "nope"},
        {"body": ["a"]},
    ],
)
def test_bad_input_answers_422_in_the_error_envelope(auth_client, task, body):
    answer = auth_client.post(comments_url(task), body, format="json")
    assert answer.status_code == 422
    assert set(answer.json()["error"]) == {"code", "message", "details"}


def test_a_mention_of_someone_who_cannot_see_is_refused_and_reported(user, auth_client, task):
    colleague = add_member(task.project, role=MemberRole.GUEST)
    outsider = UserFactory()
    body = f"@{colleague.email} and @{outsider.email.upper()}: see this"

    answer = auth_client.post(comments_url(task), {"body": body}, format="json")

    assert answer.status_code == 201
    data = answer.json()
    assert [person["id"] for person in data["mentions"]] == [str(colleague.pk)]
    assert data["mentions_refused"] == [outsider.email.lower()]
    assert f"@{outsider.email.upper()}" in data["body_html"]  # plain text, not a link
    assert bearer_client(outsider).get(comments_url(task)).status_code == 404
    told = Event.objects.filter(type="mention")
    assert [event.audience_users for event in told] == [[str(colleague.pk)]]


def test_an_edit_reports_refused_mentions_and_tells_only_new_people(user, auth_client, task):
    first = add_member(task.project)
    second = add_member(task.project)
    outsider = UserFactory()
    comment = comment_on(task, user, f"@{first.email}")

    answer = auth_client.patch(
        comments_url(task, f"{comment.pk}/"),
        {"body": f"@{first.email} @{second.email} @{outsider.email}"},
        format="json",
    )

    assert answer.json()["mentions_refused"] == [outsider.email.lower()]
    told = [event.audience_users for event in Event.objects.filter(type="mention")]
    assert told == [[str(first.pk)], [str(second.pk)]]


def test_completion_offers_only_people_who_can_see_the_target(user, auth_client, task):
    member = add_member(task.project, user=UserFactory(first_name="Zoe", last_name="Member"))
    UserFactory(first_name="Zoe", last_name="Outsider")
    admin = UserFactory(first_name="Zoe", last_name="Admin", role=Role.ADMIN)

    people = auth_client.get(comments_url(task, "people/?q=zoe")).json()

    assert {person["id"] for person in people} == {str(member.pk), str(admin.pk)}


def test_attaching_a_file_the_actor_cannot_see_is_refused(user, auth_client, task):
    hidden = upload_file(UserFactory(), b"secret", "secret.txt")
    answer = auth_client.post(
        comments_url(task), {"body": "see", "attachments": [str(hidden.pk)]}, format="json"
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["details"] == {"attachments": [str(hidden.pk)]}
    assert not Comment.objects.exists()


def test_readers_download_an_attachment_through_the_comment_only(user, auth_client, task):
    guest = add_member(task.project, role=MemberRole.GUEST)
    private = upload_file(user, b"notes\n", "notes.txt")
    comment = comment_on(task, user, "attached", attachments=[private.pk])
    guest_client = bearer_client(guest)
    download = comments_url(task, f"{comment.pk}/attachments/{private.pk}/download/")

    answer = guest_client.get(download)

    assert answer.status_code == 200
    assert b"".join(answer.streaming_content) == b"notes\n"
    assert guest_client.get(f"/api/v1/files/{private.pk}/").status_code == 404  # no grant
    auth_client.delete(comments_url(task, f"{comment.pk}/"))
    assert guest_client.get(download).status_code == 404


def test_events_go_to_the_targets_viewers(user, auth_client, task):
    guest = add_member(task.project, role=MemberRole.GUEST)
    outsider = UserFactory()
    posted = auth_client.post(comments_url(task), {"body": "hello"}, format="json").json()
    auth_client.patch(comments_url(task, f"{posted['id']}/"), {"body": "hello!"}, format="json")
    auth_client.delete(comments_url(task, f"{posted['id']}/"))

    events = list(Event.objects.filter(type__startswith="comment_").order_by("id"))

    assert [event.type for event in events] == [
        "comment_created",
        "comment_edited",
        "comment_deleted",
    ]
    node = f"projects.task:{task.pk}"
    assert {event.audience_node for event in events} == {node}
    assert events[0].payload["comment"] == posted["id"]
    assert visible_node_strings(guest, [node]) == {node}
    assert visible_node_strings(outsider, [node]) == set()


@pytest.mark.parametrize("kind", ["task", "document"])
def test_the_list_runs_a_constant_number_of_queries(request, user, auth_client, kind):
    target = request.getfixturevalue(kind)
    colleague = UserFactory()
    if kind == "task":
        add_member(target.project, user=colleague)
    else:
        share(target, colleague, permission="comment")
    file = upload_file(user, b"x", "x.txt")

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            answer = auth_client.get(comments_url(target))
        assert answer.status_code == 200
        return len(queries)

    comment_on(target, user, "one")
    few = count_queries()
    for number in range(10):
        root = comment_on(target, user, f"@{colleague.email} {number}", attachments=[file.pk])
        assert root.mentions.count() == 1
        reply = comment_on(target, colleague, "reply", reply_to=root.pk)
        services.comment_edit(
            actor=colleague, target=decided(colleague, target), comment=reply, body="edited"
        )
    assert count_queries() == few
