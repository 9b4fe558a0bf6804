"""The project pages: list, board, task, schedule, and the no-JavaScript move form."""

import datetime
import re
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from nexus_site.definitions.enums import MemberRole
from projects.models import TaskStatus
from projects.tests.factories import ProjectFactory, TaskDependencyFactory, TaskFactory, add_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def project(user):
    return ProjectFactory(owner=user, name="Apollo")


def page_urls(project, task):
    return [
        reverse("projects:board", args=[project.pk]),
        reverse("projects:schedule", args=[project.pk]),
        reverse("projects:task", args=[task.pk]),
    ]


def test_pages_need_login(client, project):
    task = TaskFactory(project=project)

    for url in [reverse("projects:list"), *page_urls(project, task)]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))


def test_list_shows_visible_projects_with_completion_bars(signed_in, project):
    TaskFactory(project=project, status=TaskStatus.DONE)
    TaskFactory(project=project)
    ProjectFactory(name="Hidden")

    html = signed_in.get(reverse("projects:list")).content.decode()

    assert "Apollo" in html
    assert "Hidden" not in html
    assert '<progress class="completion__bar" max="100" value="50"' in html


def test_main_nav_links_to_projects(signed_in):
    html = signed_in.get(reverse("dashboard")).content.decode()

    assert f'href="{reverse("projects:list")}"' in html


def test_board_puts_each_task_in_its_status_column(signed_in, project):
    TaskFactory(project=project, title="Draft", status=TaskStatus.TODO)
    TaskFactory(project=project, title="Shipped", status=TaskStatus.DONE)

    response = signed_in.get(reverse("projects:board", args=[project.pk]))

    assert response.status_code == 200
    columns = {
        column.status: [task.title for task in column.tasks]
        for column in response.context["columns"]
    }
    assert columns["todo"] == ["Draft"]
    assert columns["done"] == ["Shipped"]
    assert columns["in_progress"] == []
    assert 'class="kanban-card__move"' in response.content.decode()
    assert '<select id="move-' not in response.content.decode()


def test_board_has_no_move_controls_for_a_guest(client, project):
    guest = add_member(project, role=MemberRole.GUEST)
    TaskFactory(project=project)
    client.force_login(guest)

    html = client.get(reverse("projects:board", args=[project.pk])).content.decode()

    assert 'class="kanban-card__move"' not in html


def test_board_has_move_controls_for_a_member_who_is_not_the_owner(client, project):
    member = add_member(project)
    TaskFactory(project=project)
    client.force_login(member)

    html = client.get(reverse("projects:board", args=[project.pk])).content.decode()

    assert 'class="kanban-card__move"' in html


def test_board_of_an_unknown_project_answers_404(signed_in):
    response = signed_in.get(reverse("projects:board", args=[uuid.uuid4()]))

    assert response.status_code == 404


@pytest.mark.parametrize("name", ["board", "schedule", "task"])
def test_non_member_gets_404_on_project_pages(signed_in, name):
    theirs = ProjectFactory()
    task = TaskFactory(project=theirs)
    target = task.pk if name == "task" else theirs.pk

    response = signed_in.get(reverse(f"projects:{name}", args=[target]))

    assert response.status_code == 404


def test_move_form_changes_the_status_and_returns_to_the_board(signed_in, project):
    task = TaskFactory(project=project)

    response = signed_in.post(reverse("projects:task-move", args=[task.pk]), {"status": "review"})

    assert response.status_code == 302
    assert response.url == reverse("projects:board", args=[project.pk])
    task.refresh_from_db()
    assert task.status == TaskStatus.REVIEW


def test_blocked_move_form_shows_the_reason_and_keeps_the_status(signed_in, project):
    task = TaskFactory(project=project)
    blocker = TaskFactory(project=project, title="Design")
    TaskDependencyFactory(task=task, depends_on=blocker)

    response = signed_in.post(
        reverse("projects:task-move", args=[task.pk]), {"status": "done"}, follow=True
    )

    assert "depends on tasks that are not done" in response.content.decode()
    assert f"Not done yet: {blocker.title}" in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.TODO


def test_move_form_of_another_users_task_answers_404(signed_in):
    theirs = TaskFactory()

    response = signed_in.post(reverse("projects:task-move", args=[theirs.pk]), {"status": "done"})

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == TaskStatus.TODO


def test_task_page_shows_dependencies_dependents_and_activity(signed_in, user, project):
    from projects import services

    task = TaskFactory(project=project, title="Build")
    before = TaskFactory(project=project, title="Design")
    after = TaskFactory(project=project, title="Ship")
    TaskDependencyFactory(task=task, depends_on=before)
    TaskDependencyFactory(task=after, depends_on=task)
    services.task_update(actor=user, task=task, status=TaskStatus.IN_PROGRESS)

    response = signed_in.get(reverse("projects:task", args=[task.pk]))

    assert [other.title for other in response.context["dependencies"]] == ["Design"]
    assert [other.title for other in response.context["dependents"]] == ["Ship"]
    assert [(change.field, change.old, change.new) for change in response.context["activity"]] == [
        ("Status", "To do", "In progress")
    ]


def test_schedule_draws_bars_with_the_critical_path_marked(signed_in, project):
    design = TaskFactory(project=project, title="Design", estimated_hours=Decimal("4"))
    build = TaskFactory(project=project, title="Build", estimated_hours=Decimal("8"))
    TaskFactory(project=project, title="Docs", estimated_hours=Decimal("2"))
    TaskDependencyFactory(task=build, depends_on=design)

    response = signed_in.get(reverse("projects:schedule", args=[project.pk]))

    html = response.content.decode()
    assert html.count('<rect class="timeline-bar critical"') == 2
    assert html.count('<rect class="timeline-bar"') == 1
    bars = {bar.task.title: bar for bar in response.context["bars"]}
    assert bars["Build"].x > bars["Design"].x
    assert bars["Build"].width == pytest.approx(2 * bars["Design"].width)
    assert [task.title for task in response.context["critical_path"]] == ["Design", "Build"]


def test_schedule_of_a_project_without_tasks_says_so(signed_in, project):
    html = signed_in.get(reverse("projects:schedule", args=[project.pk])).content.decode()

    assert "no tasks to schedule" in html


def test_board_card_shows_priority_assignee_due_date_and_a_menu_on_its_status(signed_in, project):
    ada = UserFactory(first_name="Ada", last_name="Byron")
    member = add_member(project, MemberRole.MEMBER, ada)
    task = TaskFactory(
        project=project,
        title="Launch <now>",
        status=TaskStatus.REVIEW,
        priority="high",
        assignee=member,
        due_date=datetime.date(2027, 3, 4),
    )

    html = signed_in.get(reverse("projects:board", args=[project.pk])).content.decode()

    card = html[html.index(f'id="task-{task.pk}"') :]
    card = card[: card.index("</li>")]
    assert f'href="{reverse("projects:task", args=[task.pk])}">Launch &lt;now&gt;</a>' in card
    assert '<span class="badge badge--priority-high">High</span>' in card
    assert "<span>Ada Byron</span>" in card
    assert "<span>due 03/04/2027</span>" in card
    assert f'action="{reverse("projects:task-move", args=[task.pk])}"' in card
    assert re.findall(r'name="status" value="(\w+)"( hidden)?>', card) == [
        ("todo", ""),
        ("in_progress", ""),
        ("review", " hidden"),
        ("done", ""),
        ("blocked", ""),
    ]


def test_board_labels_are_translated(signed_in, user, project):
    user.language = "de"
    user.save(update_fields=["language"])
    TaskFactory(project=project, priority="medium")

    html = signed_in.get(reverse("projects:board", args=[project.pk])).content.decode()

    assert 'value="todo" hidden>Offen</button>' in html
    assert "Mittel</span>" in html


def test_board_runs_the_same_number_of_queries_for_2_and_20_tasks(signed_in, project):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = signed_in.get(reverse("projects:board", args=[project.pk]))
        assert response.status_code == 200
        return len(queries)

    for _ in range(2):
        TaskFactory(project=project, assignee=project.owner)
    few = count_queries()
    for _ in range(18):
        TaskFactory(project=project, assignee=add_member(project))
    assert count_queries() == few
