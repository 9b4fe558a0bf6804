"""Invariants the database itself keeps, whatever code writes the rows."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from projects.models import Project, Task, TaskDependency, TaskStatus
from projects.tests.factories import ProjectFactory, TaskDependencyFactory, TaskFactory

pytestmark = pytest.mark.django_db

JAN_1 = datetime.date(2026, 1, 1)
JAN_2 = datetime.date(2026, 1, 2)


def refused(write) -> bool:
    try:
        with transaction.atomic():
            write()
    except IntegrityError:
        return True
    return False


def test_a_project_cannot_end_before_it_starts():
    project = ProjectFactory(start_date=JAN_2, end_date=JAN_2)

    assert refused(lambda: Project.objects.filter(pk=project.pk).update(end_date=JAN_1))
    assert not refused(lambda: Project.objects.filter(pk=project.pk).update(start_date=None))


def test_a_project_budget_cannot_be_negative():
    project = ProjectFactory()

    assert refused(lambda: Project.objects.filter(pk=project.pk).update(budget=Decimal("-0.01")))


@pytest.mark.parametrize("field", ["estimated_hours", "actual_hours"])
def test_task_hours_cannot_be_negative(field):
    task = TaskFactory()

    assert refused(lambda: Task.objects.filter(pk=task.pk).update(**{field: Decimal("-1")}))


def test_an_unknown_estimate_is_allowed():
    task = TaskFactory(estimated_hours=None)

    assert Task.objects.get(pk=task.pk).estimated_hours is None


def test_completed_at_is_set_exactly_while_a_task_is_done():
    task = TaskFactory()

    assert refused(lambda: Task.objects.filter(pk=task.pk).update(status=TaskStatus.DONE))
    assert refused(lambda: Task.objects.filter(pk=task.pk).update(completed_at=timezone.now()))
    assert not refused(
        lambda: Task.objects.filter(pk=task.pk).update(
            status=TaskStatus.DONE, completed_at=timezone.now()
        )
    )


def test_a_status_outside_the_choices_is_refused():
    task = TaskFactory()

    assert refused(lambda: Task.objects.filter(pk=task.pk).update(status="archived"))


def test_a_dependency_is_recorded_once():
    dependency = TaskDependencyFactory()

    task, depends_on = dependency.task, dependency.depends_on

    assert refused(lambda: TaskDependency.objects.create(task=task, depends_on=depends_on))


def test_a_task_cannot_depend_on_itself():
    task = TaskFactory()

    assert refused(lambda: TaskDependency.objects.create(task=task, depends_on=task))


def test_str_shows_names():
    task = TaskFactory(title="Write the plan", project__name="Apollo")

    assert (str(task), str(task.project)) == ("Write the plan", "Apollo")
