"""The signed-in home page is "My work": my tasks by urgency, documents shared with me, what
happened in my projects and my pattern runs, each only from what I may still see."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from comments import services as comment_services
from comments.selectors import decided
from comments.tests.factories import comment_on
from nexus_site.definitions.enums import RelationType
from patterns.services import execution_start
from patterns.tests.factories import make_pattern
from projects import services as project_services
from projects.models import TaskStatus
from projects.panels import TASKS_SHOWN
from projects.tests.factories import ProjectFactory, TaskFactory, add_member
from relations.models import Relationship
from relations.services import relationship_erase
from workspace.tests.chat.factories import make_room, post
from workspace.tests.documents.factories import DocumentFactory, share
from workspace.tests.mail.factories import write

pytestmark = pytest.mark.django_db


def my_work(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return response.content.decode()


def group_of(page: str, key: str) -> str:
    """Return the markup of one group of the tasks panel ('' when it is not shown)."""
    found = re.search(rf'data-group="{key}">(.*?)</section>', page, re.S)
    return found.group(1) if found else ""


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


# --- tasks assigned to me ------------------------------------------------------------------


def test_my_open_tasks_are_grouped_overdue_due_this_week_and_in_progress(client, user):
    project = ProjectFactory(owner=user, name="Apollo")
    late = TaskFactory(project=project, assignee=user, title="Late report", due_date=days(-2))
    soon = TaskFactory(project=project, assignee=user, title="Soon review", due_date=days(3))
    going = TaskFactory(
        project=project, assignee=user, title="Ongoing build", status=TaskStatus.IN_PROGRESS
    )
    TaskFactory(project=project, assignee=user, title="Later plan", due_date=days(30))
    TaskFactory(
        project=project,
        assignee=user,
        title="Done thing",
        status=TaskStatus.DONE,
        due_date=days(-1),
    )

    page = my_work(client, user)

    assert "Late report" in group_of(page, "overdue")
    assert "Soon review" in group_of(page, "week")
    assert "Ongoing build" in group_of(page, "in_progress")
    assert "Later plan" not in page
    assert "Done thing" not in page
    for task in (late, soon, going):
        assert reverse("projects:task", args=[task.pk]) in page
    assert "Apollo" in page


def test_an_overdue_task_in_progress_is_listed_once_as_overdue(client, user):
    project = ProjectFactory(owner=user)
    TaskFactory(
        project=project,
        assignee=user,
        title="Late and going",
        status=TaskStatus.IN_PROGRESS,
        due_date=days(-1),
    )

    page = my_work(client, user)

    assert page.count("Late and going") == 1
    assert "Late and going" in group_of(page, "overdue")


def test_each_group_shows_its_most_urgent_tasks_and_a_long_one_hides_no_other(client, user):
    project = ProjectFactory(owner=user)
    for n in range(TASKS_SHOWN + 1):
        TaskFactory(project=project, assignee=user, title=f"Late {n:02}", due_date=days(-20 + n))
    TaskFactory(project=project, assignee=user, title="Going", status=TaskStatus.IN_PROGRESS)

    page = my_work(client, user)

    overdue = group_of(page, "overdue")
    assert overdue.count("<li") == TASKS_SHOWN
    assert "Late 00" in overdue  # the longest overdue first
    assert f"Late {TASKS_SHOWN:02}" not in overdue
    assert "Going" in group_of(page, "in_progress")


def test_tasks_assigned_to_someone_else_are_not_mine(client, user, other_user):
    project = ProjectFactory(owner=user)
    add_member(project, user=other_user)
    TaskFactory(project=project, assignee=other_user, title="Their task", due_date=days(1))

    assert "Their task" not in my_work(client, user)


def test_a_task_in_a_project_i_was_removed_from_does_not_show(client, user, other_user):
    project = ProjectFactory(owner=other_user)
    add_member(project, user=user)
    TaskFactory(project=project, assignee=user, title="Left behind", due_date=days(1))
    edge = Relationship.objects.get(
        source_id=user.pk, target_id=project.pk, type=RelationType.MEMBER
    )

    before = my_work(client, user)
    relationship_erase(relationship=edge, actor=other_user)  # the edge alone, task untouched
    after = my_work(client, user)

    assert "Left behind" in before
    assert "Left behind" not in after


# --- documents shared with me --------------------------------------------------------------


def test_documents_shared_with_me_are_listed_newest_share_first(client, user, other_user):
    first = DocumentFactory(owner=other_user, title="Old plan")
    second = DocumentFactory(owner=other_user, title="New budget", doc_type="excel")
    share(first, user, "view")
    share(second, user, "edit")
    DocumentFactory(owner=user, title="My own notes")
    DocumentFactory(owner=other_user, title="Not shared")

    page = my_work(client, user)

    assert page.index("New budget") < page.index("Old plan")
    assert reverse("documents:editor", args=[second.pk]) in page
    assert "My own notes" not in page
    assert "Not shared" not in page
    assert "Edit" in page  # the level's label, not its key


def test_an_expired_share_or_a_trashed_document_is_not_listed(client, user, other_user):
    expired = DocumentFactory(owner=other_user, title="Expired share")
    share(expired, user, "view", expires_at=timezone.now() + datetime.timedelta(hours=1))
    Relationship.objects.filter(source_id=user.pk, target_id=expired.pk).update(
        metadata={"permission": "view", "expires_at": "2000-01-01T00:00:00+00:00"}
    )
    trashed = DocumentFactory(owner=other_user, title="Trashed doc")
    share(trashed, user, "view")
    type(trashed).objects.filter(pk=trashed.pk).update(deleted_at=timezone.now())

    page = my_work(client, user)

    assert "Expired share" not in page
    assert "Trashed doc" not in page


# --- recent activity in my projects ----------------------------------------------------------


def test_activity_names_people_and_tasks_never_raw_ids(client, user, other_user):
    project = ProjectFactory(owner=user, name="Apollo")
    add_member(project, user=other_user)
    other_user.first_name, other_user.last_name = "Bea", "Moss"
    other_user.save()
    task = TaskFactory(project=project, title="Write the brief")
    project_services.task_update(actor=other_user, task=task, assignee=user)
    project_services.task_update(actor=other_user, task=task, status=TaskStatus.IN_PROGRESS)

    panel = my_work(client, user).split('id="panel-activity-heading"')[1]

    assert "Bea Moss" in panel
    assert "Write the brief" in panel
    assert "set the status to In progress" in panel
    assert "changed the assignee" in panel
    assert str(user.pk) not in panel
    assert str(task.pk) not in panel.replace(reverse("projects:task", args=[task.pk]), "")


def test_activity_of_a_project_i_cannot_see_is_not_shown(client, user, other_user):
    theirs = ProjectFactory(owner=other_user, name="Secret project")
    TaskFactory(project=theirs, title="Hidden task")
    project_services.task_create(actor=other_user, project=theirs, title="Secret plan")

    page = my_work(client, user)

    assert "Secret project" not in page
    assert "Secret plan" not in page


# --- my mentions ----------------------------------------------------------------------------


def test_comments_mentioning_me_link_to_the_comment_newest_first(client, user, other_user):
    project = ProjectFactory(owner=other_user)
    add_member(project, user=user)
    task = TaskFactory(project=project, title="Pick the venue")
    document = DocumentFactory(owner=other_user, title="Guest list")
    share(document, user, "comment")
    older = comment_on(task, other_user, f"@{user.email} can you call them?")
    newer = comment_on(document, other_user, f"Please check this @{user.email}")
    comment_on(task, other_user, "No mention here")

    panel = my_work(client, user).split('id="panel-mentions-heading"')[1]

    assert f"{reverse('projects:task', args=[task.pk])}#comment-{older.pk}" in panel
    assert f"{reverse('documents:editor', args=[document.pk])}#comment-{newer.pk}" in panel
    assert panel.index("Guest list") < panel.index("Pick the venue")
    assert "No mention here" not in panel


def test_a_mention_on_a_task_i_can_no_longer_see_or_a_deleted_comment_is_not_shown(
    client, user, other_user
):
    project = ProjectFactory(owner=other_user)
    add_member(project, user=user)
    task = TaskFactory(project=project, title="Secret plans")
    comment_on(task, other_user, f"@{user.email} before you leave")
    kept = TaskFactory(project=ProjectFactory(owner=user), title="Mine")
    add_member(kept.project, user=other_user)
    deleted = comment_on(kept, other_user, f"@{user.email} never mind")
    comment_services.comment_delete(
        actor=other_user, target=decided(other_user, kept), comment=deleted
    )
    edge = Relationship.objects.get(
        source_id=user.pk, target_id=project.pk, type=RelationType.MEMBER
    )
    relationship_erase(relationship=edge, actor=other_user)

    page = my_work(client, user)

    assert "Secret plans" not in page
    assert "never mind" not in page
    assert "panel-mentions-heading" not in page


# --- the whole page ---------------------------------------------------------------------------


def fill(user, other_user, count: int) -> None:
    """Give ``user`` ``count`` items of every kind the page shows."""
    project = ProjectFactory(owner=user)
    add_member(project, user=other_user)
    pattern = make_pattern(user)
    room = make_room(other_user, name="Room", members=[user])
    for n in range(count):
        TaskFactory(project=project, assignee=user, due_date=days(-1 - n))
        TaskFactory(project=project, assignee=user, due_date=days(n % 6))
        TaskFactory(project=project, assignee=user, status=TaskStatus.IN_PROGRESS)
        project_services.task_create(actor=other_user, project=project, title=f"New {n}")
        document = DocumentFactory(owner=other_user)
        share(document, user, "comment")
        comment_on(document, other_user, f"@{user.email} look {n}")
        execution_start(actor=user, pattern=pattern, input={})
        write(other_user, to=[user], subject=f"Mail {n}")
        post(other_user, room, f"news {n}")


def queries_of_my_work(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as context:
        assert client.get(reverse("dashboard")).status_code == 200
    return len(context.captured_queries)


def test_the_page_runs_the_same_number_of_queries_for_one_or_many_items(client):
    few, many, colleague = UserFactory(), UserFactory(), UserFactory()
    fill(few, colleague, 1)
    fill(many, colleague, 6)

    assert queries_of_my_work(client, few) == queries_of_my_work(client, many)


def test_the_panels_of_my_work_come_in_order(client, user, other_user):
    fill(user, other_user, 1)

    page = my_work(client, user)

    headings = [
        "panel-tasks-heading",
        "panel-mentions-heading",
        "panel-shared-heading",
        "panel-mail-heading",
        "panel-chat-heading",
        "panel-patterns-heading",
        "panel-activity-heading",
    ]
    positions = [page.index(f'id="{heading}"') for heading in headings]
    assert positions == sorted(positions)
