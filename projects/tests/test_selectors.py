"""Reads on behalf of a user: access, derived completion, tag filters, members, schedule, and a
constant number of queries whatever the length of a list."""

import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from nexus_site.definitions.enums import MemberRole, Role
from nexus_site.exceptions import ConflictError, NotFoundError
from projects import selectors, services
from projects.models import Task, TaskDependency, TaskStatus
from projects.tests.factories import ProjectFactory, TaskFactory, add_member

pytestmark = pytest.mark.django_db

DONE = TaskStatus.DONE


def completion_of(project) -> int:
    return selectors.project_get(project.owner, project.pk).completion


def test_completion_weighs_done_tasks_by_estimated_hours():
    project = ProjectFactory()
    TaskFactory(project=project, estimated_hours=Decimal("3"), status=DONE)
    TaskFactory(project=project, estimated_hours=Decimal("1"))
    TaskFactory(project=project, estimated_hours=None, status=DONE)  # weighs nothing

    loaded = selectors.project_get(project.owner, project.pk)

    assert loaded.completion == 75
    assert (loaded.task_count, loaded.done_task_count) == (3, 2)


def test_completion_counts_done_tasks_when_nothing_is_estimated():
    project = ProjectFactory()
    TaskFactory(project=project, status=DONE)
    TaskFactory(project=project, estimated_hours=Decimal("0"))
    TaskFactory(project=project)

    assert completion_of(project) == 33  # one of three, rounded down


def test_completion_of_a_project_without_tasks_is_zero():
    assert completion_of(ProjectFactory()) == 0


def test_completion_is_exact_in_hundredths_of_an_hour():
    # 0.29 of 1.00 hours is 29 %, though 0.29 * 100 is 28.999... in floating point.
    project = ProjectFactory()
    TaskFactory(project=project, estimated_hours=Decimal("0.29"), status=DONE)
    TaskFactory(project=project, estimated_hours=Decimal("0.71"))

    assert completion_of(project) == 29


def test_completion_of_a_finished_project_is_100():
    project = ProjectFactory()
    for hours in ("0.10", "0.20", "33.33"):
        TaskFactory(project=project, estimated_hours=Decimal(hours), status=DONE)

    assert completion_of(project) == 100


def test_completion_follows_status_changes_through_the_services():
    project = ProjectFactory()
    task = TaskFactory(project=project, estimated_hours=Decimal("4"))
    TaskFactory(project=project, estimated_hours=Decimal("4"))

    services.task_update(actor=project.owner, task=task, status=DONE)

    assert completion_of(project) == 50


def test_projects_are_listed_to_their_members_only(other_user):
    mine, theirs = ProjectFactory(), ProjectFactory()
    member = add_member(mine, MemberRole.GUEST)
    admin = UserFactory(role=Role.ADMIN)

    assert list(selectors.projects_visible_to(member)) == [mine]
    assert not selectors.projects_visible_to(other_user).exists()
    assert set(selectors.projects_visible_to(admin)) == {mine, theirs}
    with pytest.raises(NotFoundError):
        selectors.project_get(member, theirs.pk)


@pytest.mark.parametrize("bad_id", ["not-a-uuid", uuid.uuid4()])
def test_project_and_task_get_answer_404_for_unknown_ids(user, bad_id):
    with pytest.raises(NotFoundError):
        selectors.project_get(user, bad_id)
    with pytest.raises(NotFoundError):
        selectors.task_get(user, bad_id)


def test_project_and_permission_gives_the_strongest_level_with_the_progress(other_user):
    project = ProjectFactory()
    TaskFactory(project=project, status=DONE)
    TaskFactory(project=project)
    guest = add_member(project, MemberRole.GUEST)
    member = add_member(project)
    admin = UserFactory(role=Role.ADMIN)

    levels = {
        name: selectors.project_and_permission(who, project.pk)[1]
        for name, who in [("owner", project.owner), ("member", member), ("guest", guest)]
    }
    found, level = selectors.project_and_permission(admin, project.pk)

    assert levels == {"owner": "manage", "member": "edit", "guest": "view"}
    assert (found, level, found.completion, found.owner) == (project, "manage", 50, project.owner)
    with pytest.raises(NotFoundError):
        selectors.project_and_permission(other_user, project.pk)


@pytest.mark.parametrize("bad_id", ["not-a-uuid", uuid.uuid4()])
def test_project_and_permission_answers_404_for_unknown_ids(user, bad_id):
    with pytest.raises(NotFoundError):
        selectors.project_and_permission(user, bad_id)


def test_task_page_counts_a_distinct_query_after_distinct():
    project = ProjectFactory()
    first, second, blocked = TaskFactory.create_batch(3, project=project)
    TaskDependency.objects.create(task=blocked, depends_on=first)
    TaskDependency.objects.create(task=blocked, depends_on=second)
    waiting = Task.objects.filter(dependencies__isnull=False).distinct().order_by("id")

    rows, count = selectors.task_page(waiting, ["id"], offset=0, limit=10)

    assert count == 1
    assert [(row["id"], row["depends_on"]) for row in rows] == [(blocked.pk, [first.pk, second.pk])]


def test_tasks_filter_by_tag_on_this_database():
    project = ProjectFactory()
    both = TaskFactory(project=project, tags=["backend", "api"])
    backend = TaskFactory(project=project, tags=["backend"])
    TaskFactory(project=project, tags=["backend-ops", "ui"])
    TaskFactory(project=project, tags=[])
    unicode = TaskFactory(project=project, tags=["café"])
    tasks = selectors.tasks_visible_to(project.owner)

    assert set(tasks.filter(tags__contains=["backend"])) == {both, backend}
    assert list(tasks.filter(tags__contains=["api", "backend"])) == [both]
    assert list(tasks.filter(tags__contains=["café"])) == [unicode]
    assert not tasks.filter(tags__contains=["back"]).exists()
    assert tasks.filter(tags__contains=[]).count() == 5


def test_project_members_lists_the_owner_first_with_roles(other_user):
    project = ProjectFactory(owner__email="zed@example.com")
    manager = add_member(project, MemberRole.MANAGER, UserFactory(email="amy@example.com"))
    guest = add_member(project, MemberRole.GUEST, UserFactory(email="bob@example.com"))

    members = list(selectors.project_members(project))

    assert [(user, user.project_role) for user in members] == [
        (project.owner, "owner"),
        (manager, "manager"),
        (guest, "guest"),
    ]


def test_activity_for_a_project_is_newest_first():
    project = ProjectFactory()
    services.project_update(actor=project.owner, project=project, name="First")
    services.project_update(actor=project.owner, project=project, name="Second")

    rows = list(selectors.activity_for(project))

    assert [(row.field, row.new_value) for row in rows] == [
        ("name", "Second"),
        ("name", "First"),
    ]
    assert rows[0].actor == project.owner


def test_project_schedule_runs_two_queries_and_follows_the_dependencies(
    django_assert_num_queries,
):
    project = ProjectFactory()
    design = TaskFactory(project=project, estimated_hours=Decimal("2"), title="design")
    build = TaskFactory(project=project, estimated_hours=Decimal("5"), title="build")
    docs = TaskFactory(project=project, estimated_hours=None, title="docs")
    elsewhere = TaskFactory(estimated_hours=Decimal("100"))
    TaskDependency.objects.create(task=build, depends_on=design)
    TaskDependency.objects.create(task=docs, depends_on=design)
    TaskDependency.objects.create(task=build, depends_on=elsewhere)  # not this project's

    with django_assert_num_queries(2):
        result = selectors.project_schedule(project)

    assert [task.id for task in result.plan.tasks] == [design.pk, build.pk, docs.pk]
    assert result.plan.critical_path == [design.pk, build.pk]
    assert result.plan.earliest_finish == Decimal("7.00")
    assert result.tasks[docs.pk].title == "docs"


def test_a_stored_cycle_makes_the_schedule_409():
    project = ProjectFactory()
    a, b = TaskFactory(project=project), TaskFactory(project=project)
    TaskDependency.objects.bulk_create(
        [TaskDependency(task=a, depends_on=b), TaskDependency(task=b, depends_on=a)]
    )

    with pytest.raises(ConflictError) as caught:
        selectors.project_schedule(project)

    assert caught.value.code == "cycle_detected"
    assert sorted(caught.value.details["cycle"]) == sorted([str(a.pk), str(b.pk)])


# --- constant query counts -----------------------------------------------------------------


def count_queries(read) -> int:
    read()  # warm the content type cache, as a running process has it
    with CaptureQueriesContext(connection) as queries:
        read()
    return len(queries)


def make_projects(member, count):
    for _ in range(count):
        project = ProjectFactory()
        add_member(project, user=member)
        a, b = TaskFactory(project=project, status=DONE), TaskFactory(project=project)
        TaskDependency.objects.create(task=b, depends_on=a)


@pytest.mark.parametrize("role", [Role.USER, Role.ADMIN])
def test_the_project_list_costs_the_same_for_2_and_20_projects(role):
    user = UserFactory(role=role)

    def read():
        projects = selectors.projects_visible_to(user)
        return [(project.owner.email, project.completion) for project in projects]

    make_projects(user, 2)
    with_two = count_queries(read)
    make_projects(user, 18)
    with_twenty = count_queries(read)

    assert len(read()) == 20
    assert with_two == with_twenty


def test_the_task_list_costs_the_same_for_2_and_20_tasks():
    user = UserFactory()

    def read():
        return [
            (
                task.project.name,
                task.assignee,
                task.reporter.email,
                [dependency.depends_on_id for dependency in task.dependencies.all()],
            )
            for task in selectors.tasks_visible_to(user)
        ]

    make_projects(user, 1)
    with_two = count_queries(read)
    make_projects(user, 9)
    with_twenty = count_queries(read)

    assert len(read()) == 20
    assert with_two == with_twenty


def test_members_and_activity_cost_the_same_for_2_and_20_rows():
    small, large = ProjectFactory(), ProjectFactory()
    add_member(small)
    for _ in range(19):
        add_member(large)
    for project in (small, large):
        for _ in range(2 if project is small else 20):
            Task.objects.create(project=project, title="t")
        services.project_update(actor=project.owner, project=project, name="renamed")

    def read(project):
        return lambda: (
            [user.project_role for user in selectors.project_members(project)],
            [(row.actor, row.task) for row in selectors.activity_for(project)],
        )

    assert count_queries(read(small)) == count_queries(read(large)) == 2
