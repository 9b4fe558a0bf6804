"""The task pages that write: quick-add, the task page's in-place edit, delete, dependencies,
and the activity shown in names and titles."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from nexus_site.definitions.enums import MemberRole
from projects import services
from projects.models import Task, TaskDependency, TaskStatus
from projects.tests.factories import ProjectFactory, TaskDependencyFactory, TaskFactory, add_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def project(user):
    return ProjectFactory(owner=user, name="Apollo")


@pytest.fixture
def task(project):
    return TaskFactory(project=project, title="Build")


def edit(task, **fields):
    data = {
        "title": task.title,
        "description": task.description,
        "status": task.status,
        "priority": task.priority,
        "assignee": "",
        "due_date": "",
        "estimated_hours": "",
        "actual_hours": "0",
        "tags": "",
        "loaded": task.updated_at.isoformat(),
    }
    return data | fields


# --- quick-add -------------------------------------------------------------------------------


def test_quick_add_creates_a_task_in_the_column_and_returns_to_it(signed_in, project):
    response = signed_in.post(
        reverse("projects:task-add", args=[project.pk]),
        {"title": "Write the plan", "status": "in_progress"},
    )

    task = Task.objects.get(title="Write the plan")
    assert task.status == TaskStatus.IN_PROGRESS
    assert response.url == reverse("projects:board", args=[project.pk]) + "#add-in_progress"


def test_quick_add_without_a_title_adds_nothing(signed_in, project):
    response = signed_in.post(
        reverse("projects:task-add", args=[project.pk]), {"title": " ", "status": "todo"}
    )

    assert response.status_code == 302
    assert not Task.objects.filter(project=project).exists()


def test_quick_add_ignores_a_next_address_on_another_site(signed_in, project):
    response = signed_in.post(
        reverse("projects:task-add", args=[project.pk]),
        {"title": "Plan", "next": "https://evil.example/"},
    )

    assert response.url.startswith(reverse("projects:board", args=[project.pk]))


def test_a_guest_cannot_quick_add(client, project):
    client.force_login(add_member(project, MemberRole.GUEST))

    client.post(reverse("projects:task-add", args=[project.pk]), {"title": "Sneaky"})

    assert not Task.objects.filter(title="Sneaky").exists()


def test_board_has_a_quick_add_per_column_for_members_only(signed_in, client, project):
    html = signed_in.get(reverse("projects:board", args=[project.pk])).content.decode()
    assert html.count('class="quick-add"') == len(TaskStatus.choices)

    client.force_login(add_member(project, MemberRole.GUEST))
    html = client.get(reverse("projects:board", args=[project.pk])).content.decode()
    assert 'class="quick-add"' not in html


# --- the task page ------------------------------------------------------------------------------


def test_task_page_saves_every_field(signed_in, project, task):
    ada = add_member(project, user=UserFactory(first_name="Ada", last_name="Byron"))

    response = signed_in.post(
        reverse("projects:task", args=[task.pk]),
        edit(
            task,
            title="Build it",
            description="All of it",
            status="review",
            priority="high",
            assignee=str(ada.pk),
            due_date="2027-02-03",
            estimated_hours="8",
            actual_hours="2.5",
            tags="backend, urgent",
        ),
    )

    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.title, task.description, task.status, task.priority) == (
        "Build it",
        "All of it",
        "review",
        "high",
    )
    assert task.assignee == ada
    assert task.due_date == datetime.date(2027, 2, 3)
    assert (task.estimated_hours, task.actual_hours) == (Decimal("8"), Decimal("2.5"))
    assert task.tags == ["backend", "urgent"]


def test_assignee_choices_are_the_projects_members(signed_in, user, project, task):
    add_member(project, user=UserFactory(first_name="Ada", last_name="Byron"))
    UserFactory(first_name="Stranger")

    form = signed_in.get(reverse("projects:task", args=[task.pk])).context["form"]

    labels = [label for value, label in form.fields["assignee"].choices if value]
    assert sorted(labels) == sorted(["Ada Byron", user.full_name])


def test_assigning_someone_outside_the_project_is_refused(signed_in, task):
    stranger = UserFactory()

    response = signed_in.post(
        reverse("projects:task", args=[task.pk]), edit(task, assignee=str(stranger.pk))
    )

    assert response.status_code == 422
    task.refresh_from_db()
    assert task.assignee is None


def test_an_invalid_field_keeps_everything_typed(signed_in, task):
    response = signed_in.post(
        reverse("projects:task", args=[task.pk]),
        edit(task, title="Renamed", description="Kept text", actual_hours="-1"),
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="Renamed"' in html
    assert "Kept text" in html
    task.refresh_from_db()
    assert task.title == "Build"


def test_finishing_a_blocked_task_names_the_blockers_and_keeps_the_input(signed_in, project, task):
    TaskDependencyFactory(task=task, depends_on=TaskFactory(project=project, title="Design"))

    response = signed_in.post(
        reverse("projects:task", args=[task.pk]), edit(task, status="done", title="Renamed")
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "not done yet" in html
    assert "Design" in html
    assert 'value="Renamed"' in html
    task.refresh_from_db()
    assert (task.status, task.title) == ("todo", "Build")


def test_a_save_over_someone_elses_newer_change_is_refused_once_keeping_the_input(
    signed_in, user, task
):
    loaded = task.updated_at.isoformat()
    services.task_update(actor=user, task=task, priority="critical")

    first = signed_in.post(
        reverse("projects:task", args=[task.pk]),
        edit(task, title="Mine", priority="low", loaded=loaded),
    )

    assert first.status_code == 409
    assert 'value="Mine"' in first.content.decode()
    task.refresh_from_db()
    assert (task.title, task.priority) == ("Build", "critical")
    again = first.context["form"].data
    second = signed_in.post(reverse("projects:task", args=[task.pk]), again)
    assert second.status_code == 302
    task.refresh_from_db()
    assert (task.title, task.priority) == ("Mine", "low")


def test_a_guest_sees_the_task_read_only_and_cannot_save(client, project, task):
    client.force_login(add_member(project, MemberRole.GUEST))

    page = client.get(reverse("projects:task", args=[task.pk])).content.decode()
    response = client.post(reverse("projects:task", args=[task.pk]), edit(task, title="Taken"))

    assert 'id="task-form"' not in page
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.title == "Build"


@pytest.mark.parametrize("name", ["task", "task-delete", "task-dependencies", "task-move"])
def test_another_users_task_answers_404_and_stays(signed_in, name):
    theirs = TaskFactory(title="Theirs")

    response = signed_in.post(reverse(f"projects:{name}", args=[theirs.pk]), edit(theirs))

    assert response.status_code == 404
    assert Task.objects.filter(pk=theirs.pk, title="Theirs").exists()


def test_delete_asks_first_then_deletes_and_returns_to_the_board(signed_in, project, task):
    page = signed_in.get(reverse("projects:task-delete", args=[task.pk]))
    assert "cannot be undone" in page.content.decode()

    response = signed_in.post(reverse("projects:task-delete", args=[task.pk]))

    assert response.url == reverse("projects:board", args=[project.pk])
    assert not Task.objects.filter(pk=task.pk).exists()


def test_a_guest_cannot_delete_a_task(client, project, task):
    client.force_login(add_member(project, MemberRole.GUEST))

    assert client.get(reverse("projects:task-delete", args=[task.pk])).status_code == 403
    client.post(reverse("projects:task-delete", args=[task.pk]))

    assert Task.objects.filter(pk=task.pk).exists()


# --- dependencies --------------------------------------------------------------------------------


def test_dependency_choices_are_the_projects_other_tasks_by_title(signed_in, project, task):
    TaskFactory(project=project, title="Design")
    TaskFactory(title="Elsewhere")

    form = signed_in.get(reverse("projects:task", args=[task.pk])).context["dependency_form"]

    assert [label for value, label in form.fields["depends_on"].choices if value] == ["Design"]


def test_adding_and_removing_a_dependency(signed_in, project, task):
    design = TaskFactory(project=project, title="Design")
    url = reverse("projects:task-dependencies", args=[task.pk])

    signed_in.post(url, {"depends_on": str(design.pk)})
    assert TaskDependency.objects.filter(task=task, depends_on=design).exists()

    signed_in.post(url, {"remove": str(design.pk)})
    assert not TaskDependency.objects.filter(task=task, depends_on=design).exists()


def test_a_cycle_is_refused_and_shown_by_titles(signed_in, project, task):
    design = TaskFactory(project=project, title="Design")
    review = TaskFactory(project=project, title="Review")
    TaskDependencyFactory(task=design, depends_on=review)
    TaskDependencyFactory(task=review, depends_on=task)

    response = signed_in.post(
        reverse("projects:task-dependencies", args=[task.pk]),
        {"depends_on": str(design.pk)},
        follow=True,
    )

    html = response.content.decode()
    assert "would close a cycle: Build → Design → Review → Build." in html
    assert str(design.pk) not in html.split("would close a cycle")[1].split("</p>")[0]
    assert not TaskDependency.objects.filter(task=task, depends_on=design).exists()


def test_a_guest_cannot_add_a_dependency(client, project, task):
    design = TaskFactory(project=project)
    client.force_login(add_member(project, MemberRole.GUEST))

    client.post(
        reverse("projects:task-dependencies", args=[task.pk]), {"depends_on": str(design.pk)}
    )

    assert not TaskDependency.objects.exists()


def test_depending_on_a_hidden_task_is_refused(signed_in, task):
    hidden = TaskFactory(title="Hidden")

    response = signed_in.post(
        reverse("projects:task-dependencies", args=[task.pk]),
        {"depends_on": str(hidden.pk)},
        follow=True,
    )

    assert "Hidden" not in response.content.decode()
    assert not TaskDependency.objects.exists()


# --- activity --------------------------------------------------------------------------------


def test_activity_shows_names_and_titles_never_ids(signed_in, user, project, task):
    ada = add_member(project, user=UserFactory(first_name="Ada", last_name="Byron"))
    design = TaskFactory(project=project, title="Design")
    services.task_update(actor=user, task=task, assignee=ada, status=TaskStatus.IN_PROGRESS)
    services.task_dependency_add(actor=user, task=task, depends_on=design)
    services.task_dependency_remove(actor=user, task=task, depends_on=design)

    response = signed_in.get(reverse("projects:task", args=[task.pk]))

    rows = {(change.field, change.old, change.new) for change in response.context["activity"]}
    assert ("Assignee", "—", "Ada Byron") in rows
    assert ("Status", "To do", "In progress") in rows
    assert ("Waits on", "—", "Design") in rows
    assert ("Waits on", "Design", "—") in rows
    activity = response.content.decode().split('id="activity"')[1]
    for raw in (ada.pk, design.pk):
        assert str(raw) not in activity


def test_activity_hides_the_title_of_a_task_in_a_project_the_user_cannot_see(signed_in, user, task):
    elsewhere = TaskFactory(title="Secret plan")
    add_member(elsewhere.project, MemberRole.GUEST, user)
    services.task_dependency_add(actor=user, task=task, depends_on=elsewhere)
    services.project_member_remove(actor=user, project=elsewhere.project, user=user)

    html = signed_in.get(reverse("projects:task", args=[task.pk])).content.decode()

    activity = html.split('id="activity"')[1]
    assert "Secret plan" not in activity
    assert "a task of another project" in activity


# --- query counts ----------------------------------------------------------------------------


def test_task_page_runs_the_same_number_of_queries_whatever_its_history(
    signed_in, user, project, task
):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert signed_in.get(reverse("projects:task", args=[task.pk])).status_code == 200
        return len(queries)

    first = add_member(project)
    design = TaskFactory(project=project)
    services.task_dependency_add(actor=user, task=task, depends_on=design)
    services.task_update(actor=user, task=task, assignee=first)
    few = count()
    for number in range(8):
        member = add_member(project)
        other = TaskFactory(project=project, title=f"Step {number}")
        services.task_dependency_add(actor=user, task=task, depends_on=other)
        TaskDependencyFactory(task=TaskFactory(project=project), depends_on=task)
        services.task_update(actor=user, task=task, assignee=member, priority="high")
        services.task_update(actor=user, task=task, priority="low")
    assert count() == few


def test_board_runs_the_same_number_of_queries_with_quick_add_and_menus(signed_in, project):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert signed_in.get(reverse("projects:board", args=[project.pk])).status_code == 200
        return len(queries)

    TaskFactory(project=project, assignee=project.owner)
    few = count()
    for status in TaskStatus.values * 4:
        TaskFactory(project=project, status=status, assignee=add_member(project))
    assert count() == few


def test_board_listens_for_live_changes_of_its_project_for_every_viewer(client, project):
    client.force_login(add_member(project, MemberRole.GUEST))

    html = client.get(reverse("projects:board", args=[project.pk])).content.decode()

    assert f'data-project="{project.pk}"' in html
    assert "projects/board-live" in html


def test_quick_add_with_a_made_up_column_returns_to_the_first_one(signed_in, project):
    response = signed_in.post(
        reverse("projects:task-add", args=[project.pk]),
        {"title": "Plan", "status": "nowhere\r\nX-Evil: 1"},
    )

    assert response.status_code == 302
    assert response.url.endswith("#add-todo")
    assert not Task.objects.filter(project=project).exists()


def test_the_task_forms_help_texts_are_in_the_readers_language(signed_in, user, task):
    user.language = "de"
    user.save(update_fields=["language"])

    page = signed_in.get(reverse("projects:task", args=[task.pk])).content.decode()

    assert "Schlagwörter mit Kommas trennen (höchstens 20, je 50 Zeichen)." in page
    assert "Separate tags with commas" not in page
