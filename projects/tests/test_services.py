"""Project, membership, task and dependency writes: access, rules, activity and events."""

import contextlib
import datetime
import threading
from decimal import Decimal
from itertools import pairwise

import pytest
from django.db import connection
from django.utils.functional import SimpleLazyObject

from accounts.tests.factories import UserFactory
from nexus_site.definitions.enums import EventType, MemberRole, RelationType, Role
from nexus_site.events.models import Event
from nexus_site.events.selectors import events_visible_to
from nexus_site.exceptions import (
    AuthorizationError,
    BusinessRuleError,
    ConflictError,
    NotFoundError,
    ValidationError,
)
from projects import selectors, services
from projects.models import Activity, Project, Task, TaskDependency, TaskStatus
from projects.tests.factories import ProjectFactory, TaskFactory, add_member
from relations.access import can, explain
from relations.models import Relationship
from relations.nodes import node_of

pytestmark = pytest.mark.django_db


def activity(**filters) -> list[tuple[str, object, object]]:
    return sorted(
        Activity.objects.filter(**filters).values_list("field", "old_value", "new_value"),
        key=lambda row: row[0],
    )


def events(event_type: str) -> list[Event]:
    return list(Event.objects.filter(type=event_type).order_by("id"))


# --- projects ------------------------------------------------------------------------------


def test_project_create_makes_the_creator_owner_in_the_graph(user):
    project = services.project_create(actor=user, name="Apollo", budget="1200.5")

    edge = Relationship.objects.get(target_id=project.pk)
    assert (edge.source_id, edge.type) == (user.pk, RelationType.OWNER)
    assert project.owner == user
    assert project.budget == Decimal("1200.50")
    assert explain(user, "manage", node_of(project)).reason == "owner"
    assert activity(project=project) == [("created", None, "Apollo")]


def test_guests_cannot_create_projects():
    guest = UserFactory(role=Role.GUEST)

    with pytest.raises(AuthorizationError):
        services.project_create(actor=guest, name="Nope")

    assert not Project.objects.exists()


def test_only_staff_create_projects_for_someone_else(user, other_user):
    with pytest.raises(AuthorizationError):
        services.project_create(actor=user, name="For you", owner=other_user)

    manager = UserFactory(role=Role.MANAGER)
    project = services.project_create(actor=manager, name="For you", owner=other_user)
    assert project.owner == other_user
    assert can(other_user, "manage", node_of(project))


def test_a_project_ending_before_it_starts_is_422_on_end_date(user):
    with pytest.raises(ValidationError) as caught:
        services.project_create(
            actor=user,
            name="Backwards",
            start_date=datetime.date(2026, 3, 2),
            end_date=datetime.date(2026, 3, 1),
        )

    assert "end_date" in caught.value.details
    assert not Project.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"budget": "-1"}, "budget"),
        ({"budget": "lots"}, "budget"),
        ({"status": "archived"}, "status"),
        ({"priority": "urgent"}, "priority"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_project_fields_are_422_naming_the_field(user, fields, field):
    with pytest.raises(ValidationError) as caught:
        services.project_create(actor=user, **{"name": "Apollo", **fields})

    assert field in caught.value.details


def test_project_update_records_each_changed_field_with_old_and_new_values():
    project = ProjectFactory(name="Apollo", budget=Decimal("10"))

    services.project_update(
        actor=project.owner,
        project=project,
        name="Apollo",
        status="active",
        budget="12.5",
        end_date=datetime.date(2026, 5, 1),
    )

    assert activity(project=project) == [
        ("budget", "10.00", "12.50"),
        ("end_date", None, "2026-05-01"),
        ("status", "planning", "active"),
    ]
    assert Activity.objects.get(field="status").actor == project.owner


def test_project_update_without_changes_writes_nothing():
    project = ProjectFactory(name="Apollo")

    services.project_update(actor=project.owner, project=project, name="Apollo")

    assert not Activity.objects.exists()


def test_project_update_refuses_fields_it_does_not_own():
    project = ProjectFactory()

    with pytest.raises(ValidationError) as caught:
        services.project_update(actor=project.owner, project=project, owner=UserFactory())

    assert "owner" in caught.value.details


def test_a_guest_member_cannot_update_the_project_403_and_an_outsider_gets_404(other_user):
    project = ProjectFactory()
    guest = add_member(project, MemberRole.GUEST)

    with pytest.raises(AuthorizationError):
        services.project_update(actor=guest, project=project, name="Mine")
    with pytest.raises(NotFoundError):
        services.project_update(actor=other_user, project=project, name="Mine")


def test_a_member_of_the_parent_project_reaches_the_sub_project_and_its_tasks():
    parent = ProjectFactory()
    member = add_member(parent)
    child = services.project_create(actor=parent.owner, name="Docs", parent=parent)
    task = TaskFactory(project=child)

    assert can(member, "edit", node_of(task))
    assert task in selectors.tasks_visible_to(member)
    assert ("parent", None, str(parent.pk)) in activity(project=child)


def test_a_loop_of_sub_projects_is_409():
    top = ProjectFactory()
    child = services.project_create(actor=top.owner, name="Child", parent=top)

    with pytest.raises(ConflictError) as caught:
        services.project_parent_set(actor=top.owner, project=top, parent=child)

    assert caught.value.code == "cycle_detected"


def test_a_parent_the_actor_cannot_see_is_422(other_user):
    project = ProjectFactory()

    with pytest.raises(ValidationError) as caught:
        services.project_parent_set(actor=project.owner, project=project, parent=ProjectFactory())

    assert "parent" in caught.value.details


def test_handing_a_project_over_keeps_the_previous_owner_as_manager():
    project = ProjectFactory()
    previous = project.owner
    successor = add_member(project)

    project = services.project_owner_change(actor=previous, project=project, owner=successor)

    assert project.owner == successor
    assert selectors.project_role(project, successor) == "owner"
    assert selectors.project_role(project, previous) == MemberRole.MANAGER
    assert explain(successor, "manage", node_of(project)).reason == "owner"
    assert can(previous, "manage", node_of(project))
    assert activity(field="owner") == [("owner", str(previous.pk), str(successor.pk))]


def test_only_the_owner_hands_a_project_over():
    project = ProjectFactory()
    manager = add_member(project, MemberRole.MANAGER)

    with pytest.raises(AuthorizationError):
        services.project_owner_change(actor=manager, project=project, owner=manager)


def test_project_delete_removes_its_graph_rows_and_tasks():
    project = ProjectFactory()
    add_member(project)
    TaskFactory(project=project)

    services.project_delete(actor=project.owner, project=project)

    assert not Relationship.objects.exists()
    assert not Task.objects.exists()


def test_a_plain_member_cannot_delete_the_project():
    project = ProjectFactory()
    member = add_member(project)

    with pytest.raises(AuthorizationError):
        services.project_delete(actor=member, project=project)


def test_services_and_selectors_accept_a_lazy_request_user():
    project = ProjectFactory()

    task = services.task_create(
        actor=SimpleLazyObject(lambda: project.owner), project=project, title="From a page"
    )

    lazy_owner = SimpleLazyObject(lambda: project.owner)
    assert list(selectors.tasks_visible_to(lazy_owner)) == [task]
    lazy_creator = SimpleLazyObject(lambda: UserFactory())
    assert services.project_create(actor=lazy_creator, name="Mine").owner == lazy_creator


# --- membership ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "may", "may_not"),
    [
        (MemberRole.MANAGER, "manage", None),
        (MemberRole.MEMBER, "edit", "manage"),
        (MemberRole.GUEST, "view", "comment"),
    ],
)
def test_membership_is_a_member_relationship_whose_role_decides_access(role, may, may_not):
    project = ProjectFactory()
    task = TaskFactory(project=project)
    user = UserFactory()

    edge = services.project_member_add(actor=project.owner, project=project, user=user, role=role)

    assert (edge.source_id, edge.type, edge.target_id) == (user.pk, "member", project.pk)
    assert edge.metadata["role"] == role
    assert can(user, may, node_of(project))
    assert can(user, may, node_of(task))
    if may_not:
        assert not can(user, may_not, node_of(task))
    assert selectors.project_role(project, user) == role


def test_member_add_publishes_an_event_the_new_member_and_the_project_see(other_user):
    project = ProjectFactory()
    colleague = add_member(project)

    user = add_member(project, MemberRole.GUEST)

    (_first, added) = events(EventType.PROJECT_MEMBER_ADDED)
    assert added.payload == {"project": str(project.pk), "user": str(user.pk), "role": "guest"}
    assert added.audience_node == str(node_of(project))
    assert added.actor == project.owner
    assert added in events_visible_to(user)
    assert added in events_visible_to(colleague)
    assert added not in events_visible_to(other_user)
    assert ("member", None, {"user": str(user.pk), "role": "guest"}) in activity(project=project)


def test_only_those_who_manage_add_members(other_user):
    project = ProjectFactory()
    member = add_member(project)
    manager = add_member(project, MemberRole.MANAGER)

    with pytest.raises(AuthorizationError):
        services.project_member_add(actor=member, project=project, user=UserFactory())
    with pytest.raises(NotFoundError):
        services.project_member_add(actor=other_user, project=project, user=UserFactory())
    services.project_member_add(actor=manager, project=project, user=other_user)
    assert selectors.project_role(project, other_user) == MemberRole.MEMBER


def test_adding_the_owner_or_a_member_again_is_409():
    project = ProjectFactory()
    member = add_member(project)

    for user in (project.owner, member):
        with pytest.raises(ConflictError):
            services.project_member_add(actor=project.owner, project=project, user=user)


def test_an_unknown_role_is_422(user):
    project = ProjectFactory()

    with pytest.raises(ValidationError) as caught:
        services.project_member_add(actor=project.owner, project=project, user=user, role="boss")

    assert "role" in caught.value.details


def test_role_change_replaces_the_relationship_and_records_it():
    project = ProjectFactory()
    task = TaskFactory(project=project)
    guest = add_member(project, MemberRole.GUEST)

    services.project_member_role_change(
        actor=project.owner, project=project, user=guest, role=MemberRole.MEMBER
    )

    assert can(guest, "edit", node_of(task))
    assert Relationship.objects.filter(source_id=guest.pk).count() == 1
    assert activity(field="member_role") == [
        (
            "member_role",
            {"user": str(guest.pk), "role": "guest"},
            {"user": str(guest.pk), "role": "member"},
        )
    ]


def test_the_owner_role_cannot_be_changed():
    project = ProjectFactory()

    with pytest.raises(BusinessRuleError):
        services.project_member_role_change(
            actor=project.owner, project=project, user=project.owner, role=MemberRole.GUEST
        )


def test_member_remove_takes_access_away_and_unassigns_their_tasks():
    project = ProjectFactory()
    member = add_member(project)
    task = services.task_create(actor=member, project=project, title="Mine", assignee=member)

    services.project_member_remove(actor=project.owner, project=project, user=member)

    task.refresh_from_db()
    assert task.assignee is None
    assert not can(member, "view", node_of(task))
    assert selectors.project_role(project, member) is None
    (removed,) = events(EventType.PROJECT_MEMBER_REMOVED)
    assert removed.payload == {"project": str(project.pk), "user": str(member.pk)}
    assert removed in events_visible_to(member)  # named in the audience, though gone
    assert ("assignee", str(member.pk), None) in activity(task=task)


def test_the_owner_cannot_be_removed():
    project = ProjectFactory()

    with pytest.raises(BusinessRuleError) as caught:
        services.project_member_remove(actor=project.owner, project=project, user=project.owner)

    assert caught.value.status == 400


def test_a_member_may_leave_but_not_remove_others():
    project = ProjectFactory()
    member, other = add_member(project), add_member(project)

    with pytest.raises(AuthorizationError):
        services.project_member_remove(actor=member, project=project, user=other)
    services.project_member_remove(actor=member, project=project, user=member)

    assert selectors.project_role(project, member) is None


def test_removing_a_non_member_is_404(user):
    project = ProjectFactory()

    with pytest.raises(NotFoundError):
        services.project_member_remove(actor=project.owner, project=project, user=user)


# --- tasks ---------------------------------------------------------------------------------


def test_a_non_member_cannot_see_or_change_the_tasks(other_user):
    task = TaskFactory()

    assert not selectors.tasks_visible_to(other_user).exists()
    with pytest.raises(NotFoundError):
        selectors.task_get(other_user, task.pk)
    with pytest.raises(NotFoundError):
        services.task_update(actor=other_user, task=task, title="Mine now")
    with pytest.raises(ValidationError) as named:  # the project is named in the request
        services.task_create(actor=other_user, project=task.project, title="Sneaky")
    assert "project" in named.value.details


def test_a_guest_sees_tasks_but_cannot_create_or_change_them_403():
    task = TaskFactory()
    guest = add_member(task.project, MemberRole.GUEST)

    assert selectors.task_get(guest, task.pk) == task
    with pytest.raises(AuthorizationError) as caught:
        services.task_update(actor=guest, task=task, status=TaskStatus.IN_PROGRESS)
    assert caught.value.status == 403
    with pytest.raises(AuthorizationError):
        services.task_create(actor=guest, project=task.project, title="Guest task")
    with pytest.raises(AuthorizationError):
        services.task_delete(actor=guest, task=task)


def test_task_create_publishes_task_created_to_the_project_members(other_user):
    project = ProjectFactory()
    member = add_member(project)

    task = services.task_create(
        actor=member,
        project=project,
        title="Draft",
        assignee=project.owner,
        estimated_hours="3",
        tags=[" backend ", "api", "backend"],
    )

    assert task.reporter == member
    assert task.estimated_hours == Decimal("3.00")
    assert task.tags == ["backend", "api"]
    (created,) = events(EventType.TASK_CREATED)
    assert created.audience_node == str(node_of(project))
    assert created.payload["task"] == str(task.pk)
    assert created in events_visible_to(project.owner)
    assert created not in events_visible_to(other_user)
    assert activity(task=task) == [("created", None, "Draft")]


def test_the_assignee_must_be_a_project_member_422(other_user):
    project = ProjectFactory()
    task = TaskFactory(project=project)

    with pytest.raises(ValidationError) as caught:
        services.task_create(actor=project.owner, project=project, title="x", assignee=other_user)
    assert "assignee" in caught.value.details
    with pytest.raises(ValidationError):
        services.task_update(actor=project.owner, task=task, assignee=other_user)

    member = add_member(project)
    assert services.task_update(actor=project.owner, task=task, assignee=member).assignee == member


@pytest.mark.parametrize(
    "tags",
    [["ok", ""], ["x" * 51], "backend", [42], ["t"] * 1 + [f"t{n}" for n in range(20)]],
    ids=["empty", "too long", "not a list", "not strings", "too many"],
)
def test_bad_tags_are_422(tags):
    project = ProjectFactory()

    with pytest.raises(ValidationError) as caught:
        services.task_create(actor=project.owner, project=project, title="x", tags=tags)

    assert "tags" in caught.value.details


@pytest.mark.parametrize("field", ["estimated_hours", "actual_hours"])
def test_negative_hours_are_422(field):
    task = TaskFactory()

    with pytest.raises(ValidationError) as caught:
        services.task_update(actor=task.project.owner, task=task, **{field: "-0.5"})

    assert field in caught.value.details


def test_completed_at_is_set_when_done_and_cleared_when_reopened():
    task = TaskFactory()
    owner = task.project.owner

    done = services.task_update(actor=owner, task=task, status=TaskStatus.DONE)
    finished_at = done.completed_at
    assert finished_at is not None
    still_done = services.task_update(actor=owner, task=task, status=TaskStatus.DONE, title="x")
    assert still_done.completed_at == finished_at
    reopened = services.task_update(actor=owner, task=task, status=TaskStatus.REVIEW)
    assert reopened.completed_at is None


def test_a_task_created_done_has_completed_at(user):
    project = ProjectFactory()

    task = services.task_create(
        actor=project.owner, project=project, title="x", status=TaskStatus.DONE
    )

    assert task.completed_at is not None


def test_a_task_cannot_be_done_while_a_dependency_is_not_400_naming_the_blockers():
    project = ProjectFactory()
    owner = project.owner
    first, second, task = (TaskFactory(project=project, title=t) for t in ("one", "two", "end"))
    finished = TaskFactory(project=project, status=TaskStatus.DONE)
    for blocker in (first, second, finished):
        services.task_dependency_add(actor=owner, task=task, depends_on=blocker)

    with pytest.raises(BusinessRuleError) as caught:
        services.task_update(actor=owner, task=task, status=TaskStatus.DONE)

    assert caught.value.code == "business_rule"
    assert caught.value.status == 400
    assert caught.value.details["blockers"] == [
        {"id": str(first.pk), "status": "todo", "title": "one"},
        {"id": str(second.pk), "status": "todo", "title": "two"},
    ]
    task.refresh_from_db()
    assert task.status == TaskStatus.TODO
    for blocker in (first, second):
        services.task_update(actor=owner, task=blocker, status=TaskStatus.DONE)
    assert services.task_update(actor=owner, task=task, status=TaskStatus.DONE).is_done


def test_status_change_publishes_task_status_changed_and_records_activity():
    task = TaskFactory(estimated_hours=Decimal("2"))
    owner = task.project.owner

    services.task_update(
        actor=owner,
        task=task,
        status=TaskStatus.IN_PROGRESS,
        estimated_hours=Decimal("2.5"),
        tags=["ui"],
    )

    (changed,) = events(EventType.TASK_STATUS_CHANGED)
    assert changed.payload["old_status"] == "todo"
    assert changed.payload["new_status"] == "in_progress"
    assert changed.audience_node == str(node_of(task.project))
    assert activity(task=task) == [
        ("estimated_hours", "2.00", "2.50"),
        ("status", "todo", "in_progress"),
        ("tags", [], ["ui"]),
    ]


def test_an_update_without_a_status_change_publishes_nothing():
    task = TaskFactory()

    services.task_update(actor=task.project.owner, task=task, title="Renamed")

    assert not events(EventType.TASK_STATUS_CHANGED)
    assert activity(task=task)[0][0] == "title"


def test_task_delete_keeps_a_line_in_the_project_history():
    task = TaskFactory(title="Gone")
    task_id, project = str(task.pk), task.project
    services.task_update(actor=project.owner, task=task, title="Gone soon")

    services.task_delete(actor=project.owner, task=task)

    assert not Task.objects.exists()
    rows = activity(project=project)
    assert ("deleted_task", {"id": task_id, "title": "Gone soon"}, None) in rows
    assert Activity.objects.filter(task__isnull=True).count() == 2


# --- dependencies --------------------------------------------------------------------------


def chain(project, count):
    tasks = [TaskFactory(project=project, title=f"t{n}") for n in range(count)]
    for earlier, later in pairwise(tasks):
        services.task_dependency_add(actor=project.owner, task=later, depends_on=earlier)
    return tasks


def test_a_dependency_closing_a_cycle_is_409_with_the_cycle():
    project = ProjectFactory()
    a, b, c = chain(project, 3)  # c waits on b, b waits on a

    with pytest.raises(ConflictError) as caught:
        services.task_dependency_add(actor=project.owner, task=a, depends_on=c)

    assert caught.value.code == "cycle_detected"
    assert caught.value.status == 409
    assert caught.value.details["cycle"] == [str(a.pk), str(c.pk), str(b.pk), str(a.pk)]
    assert TaskDependency.objects.count() == 2


def test_a_diamond_of_dependencies_is_not_a_cycle():
    project = ProjectFactory()
    top, left, right, bottom = (TaskFactory(project=project) for _ in range(4))
    for task, depends_on in [(left, top), (right, top), (bottom, left)]:
        services.task_dependency_add(actor=project.owner, task=task, depends_on=depends_on)

    services.task_dependency_add(actor=project.owner, task=bottom, depends_on=right)

    assert TaskDependency.objects.count() == 4


def test_a_dependency_on_itself_is_422_and_twice_is_409():
    project = ProjectFactory()
    a, b = chain(project, 2)

    with pytest.raises(ValidationError) as caught:
        services.task_dependency_add(actor=project.owner, task=a, depends_on=a)
    assert "depends_on" in caught.value.details
    with pytest.raises(ConflictError) as caught:
        services.task_dependency_add(actor=project.owner, task=b, depends_on=a)
    assert caught.value.code == "conflict"


def test_a_dependency_may_cross_projects_the_actor_can_see():
    mine = ProjectFactory()
    theirs = ProjectFactory()
    add_member(theirs, MemberRole.GUEST, user=mine.owner)
    task, elsewhere = TaskFactory(project=mine), TaskFactory(project=theirs, title="secret")

    services.task_dependency_add(actor=mine.owner, task=task, depends_on=elsewhere)
    services.project_member_remove(actor=mine.owner, project=theirs, user=mine.owner)

    with pytest.raises(BusinessRuleError) as caught:
        services.task_update(actor=mine.owner, task=task, status=TaskStatus.DONE)
    # The blocker is named, but a title from a project the actor left is not shown.
    assert caught.value.details["blockers"] == [
        {"id": str(elsewhere.pk), "status": "todo", "title": None}
    ]


def test_a_dependency_on_a_task_the_actor_cannot_see_is_422():
    task, hidden = TaskFactory(), TaskFactory()

    with pytest.raises(ValidationError) as caught:
        services.task_dependency_add(actor=task.project.owner, task=task, depends_on=hidden)

    assert "depends_on" in caught.value.details


def test_dependency_add_and_remove_are_recorded():
    project = ProjectFactory()
    a, b = chain(project, 2)

    services.task_dependency_remove(actor=project.owner, task=b, depends_on=a)

    assert not TaskDependency.objects.exists()
    rows = Activity.objects.filter(task=b, field="dependency").order_by("created_at")
    assert list(rows.values_list("field", "old_value", "new_value")) == [
        ("dependency", None, str(a.pk)),
        ("dependency", str(a.pk), None),
    ]
    with pytest.raises(NotFoundError):
        services.task_dependency_remove(actor=project.owner, task=b, depends_on=a)


def test_a_guest_cannot_add_dependencies():
    project = ProjectFactory()
    a, b = TaskFactory(project=project), TaskFactory(project=project)
    guest = add_member(project, MemberRole.GUEST)

    with pytest.raises(AuthorizationError):
        services.task_dependency_add(actor=guest, task=b, depends_on=a)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_writers_cannot_close_a_dependency_cycle_between_them(monkeypatch):
    project = ProjectFactory()
    a, b = TaskFactory(project=project), TaskFactory(project=project)
    owner = project.owner
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    # Widen the race: a writer that has read the edges waits (briefly) for the other to read
    # too. Unserialised, both would read "no cycle" and both insert; with the lock, the other
    # writer is still waiting for it, so the wait times out and the writers take turns.
    both_read = threading.Barrier(2)
    read_edges = services.dependency_edges_from

    def read_then_wait(start, *, limit):
        edges = read_edges(start, limit=limit)
        with contextlib.suppress(threading.BrokenBarrierError):
            both_read.wait(timeout=2)
        return edges

    monkeypatch.setattr(services, "dependency_edges_from", read_then_wait)

    def write(task: Task, depends_on: Task) -> None:
        try:
            barrier.wait(timeout=10)
            services.task_dependency_add(actor=owner, task=task, depends_on=depends_on)
            outcomes.append("created")
        except ConflictError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=write, args=(a, b)),
        threading.Thread(target=write, args=(b, a)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["created", "cycle_detected"]
    assert TaskDependency.objects.count() == 1
