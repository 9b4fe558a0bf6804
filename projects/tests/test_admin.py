"""The staff screens for projects, tasks and activity at /admin/."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from nexus_site.definitions.enums import MemberRole, RelationType, Role
from projects import selectors
from projects.models import Activity, Project, Task, TaskDependency, TaskStatus
from projects.tests.factories import ProjectFactory, TaskFactory, add_member
from relations.models import Relationship

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(staff_user) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


def project_form(project: Project | None = None, **changes) -> dict:
    data = {
        "name": project.name if project else "Staff project",
        "description": "",
        "owner": str(project.owner_id) if project else "",
        "status": project.status if project else "planning",
        "priority": project.priority if project else "medium",
        "start_date": "",
        "end_date": "",
        "budget": str(project.budget) if project else "0",
        "add_member": "",
        "add_member_role": "member",
        "_save": "Save",
        **changes,
    }
    return data


def test_the_project_list_shows_counts_and_completion_in_constant_queries(admin_client):
    def list_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(reverse("admin:projects_project_changelist"))
        assert response.status_code == 200
        return len(queries)

    project = ProjectFactory(name="Apollo")
    TaskFactory(project=project, status=TaskStatus.DONE)
    TaskFactory(project=project)
    list_queries()
    few = list_queries()
    for _ in range(10):
        TaskFactory(project=ProjectFactory())

    assert list_queries() == few
    response = admin_client.get(reverse("admin:projects_project_changelist"))
    assert b"Apollo" in response.content


def test_staff_create_a_project_for_someone_through_the_service(admin_client):
    owner = UserFactory()

    response = admin_client.post(
        reverse("admin:projects_project_add"), project_form(owner=str(owner.pk))
    )

    assert response.status_code == 302
    project = Project.objects.get()
    assert project.owner == owner
    assert Relationship.objects.filter(
        source_id=owner.pk, target_id=project.pk, type=RelationType.OWNER
    ).exists()


def test_the_change_form_shows_members_and_adds_changes_and_removes_them(admin_client):
    project = ProjectFactory()
    leaving = add_member(project, MemberRole.GUEST)
    newcomer = UserFactory()
    url = reverse("admin:projects_project_change", args=[project.pk])

    page = admin_client.get(url)
    assert leaving.email in page.content.decode()

    response = admin_client.post(
        url,
        project_form(
            project,
            add_member=str(newcomer.pk),
            add_member_role="manager",
            remove_members=[str(leaving.pk)],
        ),
    )

    assert response.status_code == 302
    assert selectors.project_role(project, newcomer) == MemberRole.MANAGER
    assert selectors.project_role(project, leaving) is None
    admin_client.post(
        url, project_form(project, add_member=str(newcomer.pk), add_member_role="guest")
    )
    assert selectors.project_role(project, newcomer) == MemberRole.GUEST


def test_a_refused_change_is_shown_as_a_message_and_nothing_is_kept(admin_client):
    project = ProjectFactory(name="Apollo")
    url = reverse("admin:projects_project_change", args=[project.pk])

    response = admin_client.post(
        url, project_form(project, name="Renamed", add_member=str(project.owner_id))
    )

    assert response.status_code == 302
    assert [str(message) for message in get_messages(response.wsgi_request)]
    project.refresh_from_db()
    assert project.name == "Apollo"


def test_the_task_list_filters_by_status_priority_project_and_assignee(admin_client):
    project = ProjectFactory()
    member = add_member(project)
    TaskFactory(project=project, title="Mine", assignee=member, status=TaskStatus.REVIEW)
    TaskFactory(project=project, title="Other")
    url = reverse("admin:projects_task_changelist")

    for query in (
        {"status__exact": "review"},
        {"priority__exact": "medium", "assignee__id__exact": str(member.pk)},
        {"project__id__exact": str(project.pk), "status__exact": "review"},
    ):
        response = admin_client.get(url, query)
        assert response.status_code == 200
        assert b"Mine" in response.content
        assert b"Other" not in response.content


def test_a_task_changed_in_the_admin_records_activity_and_dependencies(admin_client, staff_user):
    project = ProjectFactory()
    first, task = TaskFactory(project=project), TaskFactory(project=project, title="Second")
    url = reverse("admin:projects_task_change", args=[task.pk])
    assert admin_client.get(url).status_code == 200

    response = admin_client.post(
        url,
        {
            "title": "Second",
            "description": "",
            "assignee": "",
            "status": "in_progress",
            "priority": "high",
            "estimated_hours": "3",
            "actual_hours": "0",
            "due_date": "",
            "tags": '[" ui ", "ui"]',
            "depends_on": [str(first.pk)],
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.tags) == ("in_progress", ["ui"])
    assert TaskDependency.objects.filter(task=task, depends_on=first).exists()
    fields = set(Activity.objects.filter(task=task).values_list("field", flat=True))
    assert fields == {"status", "priority", "estimated_hours", "tags", "dependency"}
    assert Activity.objects.filter(actor=staff_user).count() == 5


def test_deleting_a_project_in_the_admin_goes_through_the_service(admin_client):
    project = ProjectFactory()
    TaskFactory(project=project)
    url = reverse("admin:projects_project_delete", args=[project.pk])

    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not Project.objects.exists()
    assert not Relationship.objects.exists()


def test_activity_is_read_only(admin_client):
    project = ProjectFactory()
    TaskFactory(project=project)
    Activity.objects.create(project=project, field="name", old_value="a", new_value="b")

    assert admin_client.get(reverse("admin:projects_activity_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:projects_activity_add")).status_code == 403


def test_a_manager_without_membership_cannot_change_a_project_in_the_admin():
    manager = UserFactory(role=Role.MANAGER)
    client = Client()
    client.force_login(manager)
    project = ProjectFactory(name="Private")
    url = reverse("admin:projects_project_change", args=[project.pk])

    client.post(url, project_form(project, name="Seen"))

    project.refresh_from_db()
    assert project.name == "Private"
    assert Task.objects.count() == 0
