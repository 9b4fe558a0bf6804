"""The demo data: created once, whatever the number of runs."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from nexus_site.definitions.enums import RelationType
from projects import selectors
from projects.models import Project, Task, TaskDependency
from relations.models import Relationship

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded_twice(settings) -> str:
    settings.DEBUG = True
    output = StringIO()
    for _ in range(2):
        call_command("seed_demo", stdout=output)
    return output.getvalue()


def test_seed_demo_creates_the_projects_once(seeded_twice):
    assert Project.objects.count() == 3
    assert Task.objects.count() == 10
    assert TaskDependency.objects.count() == 7
    assert Relationship.objects.filter(type=RelationType.PARENT).count() == 1
    assert "Demo projects: 3 new project(s)" in seeded_twice
    assert "Demo projects: 0 new project(s)" in seeded_twice


def test_the_demo_guest_sees_the_sub_project_of_a_project_they_are_on(seeded_twice):
    guest = User.objects.get(email="guest@nexus.local")

    assert {project.name for project in selectors.projects_visible_to(guest)} == {
        "Nexus launch",
        "Launch documentation",
        "Customer portal",
    }


def test_the_demo_launch_has_a_critical_path_through_its_dependencies(seeded_twice):
    launch = Project.objects.get(name="Nexus launch")
    manager = User.objects.get(email="manager@nexus.local")

    plan = selectors.project_schedule(launch).plan

    assert selectors.project_role(launch, manager) == "owner"
    titles = dict(Task.objects.filter(project=launch).values_list("pk", "title"))
    assert [titles[task_id] for task_id in plan.critical_path] == [
        "Write the launch plan",
        "Build the sign-up flow",
        "Load test the API",
        "Launch review",
    ]
    assert plan.earliest_finish == 36
