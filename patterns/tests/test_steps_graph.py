"""The graph step types run through real executions: relationship.create / .delete,
graph.find_path and graph.check."""

import pytest

from accounts.tests.factories import UserFactory
from nexus_site.definitions.enums import RelationType
from patterns.models import ExecutionStatus, StepStatus
from patterns.services import definition_problems
from projects.tests.factories import ProjectFactory, add_member
from relations.models import Relationship
from relations.nodes import node_of
from relations.services import relationship_record

pytestmark = pytest.mark.django_db


def node(obj) -> str:
    return str(node_of(obj))


def link(first, second, **metadata) -> Relationship:
    return relationship_record(
        source=node_of(first), target=node_of(second), type=RelationType.LINKED, metadata=metadata
    )


def linked(first, second) -> bool:
    ends = sorted([node_of(first), node_of(second)], key=str)
    return Relationship.objects.filter(
        source_id=ends[0].id, target_id=ends[1].id, type=RelationType.LINKED
    ).exists()


def create_step(source, target, type="linked", **extra):
    parameters = {"source": node(source), "target": node(target), "type": type, **extra}
    return {"id": "link", "type": "relationship.create", "parameters": parameters}


def delete_step(source, target, type="linked"):
    parameters = {"source": node(source), "target": node(target), "type": type}
    return {"id": "unlink", "type": "relationship.delete", "parameters": parameters}


def problems_of(step_type, parameters):
    steps = [{"id": "s", "type": step_type, "parameters": parameters}]
    return [problem.code for problem in definition_problems({"steps": steps})]


# --- relationship.create -------------------------------------------------------------------


def test_relationship_create_links_two_projects_as_the_user(run_steps, user):
    # given
    first, second = ProjectFactory(owner=user), ProjectFactory(owner=user)
    # when
    execution = run_steps(user, [create_step(first, second, metadata={"why": "same client"})])
    # then
    assert execution.status == ExecutionStatus.SUCCEEDED
    relationship = Relationship.objects.get(type=RelationType.LINKED)
    assert relationship.created_by == user
    assert relationship.metadata == {"why": "same client"}
    output = execution.steps.get(step_id="link").output
    assert output["relationship"] == str(relationship.pk)
    assert {output["source"], output["target"]} == {node(first), node(second)}
    assert output["type"] == "linked"


def test_relationship_create_answers_a_child_edge_in_its_stored_form(run_steps, user):
    # given
    parent, child = ProjectFactory(owner=user), ProjectFactory(owner=user)
    # when
    execution = run_steps(user, [create_step(child, parent, type="child")])
    # then
    output = execution.steps.get(step_id="link").output
    assert output["source"] == node(parent)
    assert output["target"] == node(child)
    assert output["type"] == "parent"


def test_relationship_create_is_undone_when_a_later_step_fails(run_then_fail, user):
    # given
    first, second = ProjectFactory(owner=user), ProjectFactory(owner=user)
    # when
    execution = run_then_fail(user, [create_step(first, second)])
    # then
    assert execution.status == ExecutionStatus.COMPENSATED
    assert execution.steps.get(step_id="link").status == StepStatus.COMPENSATED
    assert not linked(first, second)


def test_relationship_create_undo_of_a_relationship_already_gone_does_nothing(run_steps, user):
    # given: a later step deletes the link (without compensation), then the run fails
    first, second = ProjectFactory(owner=user), ProjectFactory(owner=user)
    created = {**create_step(first, second), "compensation": True}
    deleted = {**delete_step(first, second), "depends_on": ["link"]}
    failing = {
        "id": "fail",
        "type": "condition",
        "parameters": {"left": 1, "operator": "lt", "right": "x"},
        "depends_on": ["unlink"],
        "on_error": "compensate",
    }
    # when
    execution = run_steps(user, [created, deleted, failing])
    # then
    assert execution.status == ExecutionStatus.COMPENSATED
    assert execution.steps.get(step_id="link").status == StepStatus.COMPENSATED
    assert not linked(first, second)


def test_relationship_create_on_another_users_project_fails_as_not_found(
    run_steps, user, other_user
):
    # given
    mine, theirs = ProjectFactory(owner=user), ProjectFactory(owner=other_user)
    # when
    execution = run_steps(user, [create_step(mine, theirs)])
    # then
    assert execution.status == ExecutionStatus.FAILED
    assert execution.error["code"] == "not_found"
    assert not linked(mine, theirs)


def test_relationship_create_needs_manage_on_a_visible_target(run_steps, user, other_user):
    # given: user is a plain member (edit) of the other user's project
    mine, theirs = ProjectFactory(owner=user), ProjectFactory(owner=other_user)
    add_member(theirs, user=user)
    # when: making their project a sub-project of the user's
    execution = run_steps(user, [create_step(mine, theirs, type="parent")])
    # then
    assert execution.error["code"] == "authorization"
    assert not Relationship.objects.filter(type=RelationType.PARENT).exists()


def test_relationship_create_links_the_user_to_a_colleague_either_way_round(
    run_steps, user, other_user
):
    # given: a linked edge is one fact whichever end comes first; the user manages themselves
    # when
    execution = run_steps(user, [create_step(user, other_user)])
    # then
    assert execution.status == ExecutionStatus.SUCCEEDED, execution.error
    assert linked(user, other_user)


def test_relationship_create_between_two_colleagues_is_refused(run_steps, user, other_user):
    # given
    third = UserFactory()
    # when
    execution = run_steps(user, [create_step(other_user, third)])
    # then
    assert execution.error["code"] == "authorization"
    assert not linked(other_user, third)


def test_relationship_create_of_an_existing_relationship_is_a_conflict(run_steps, user):
    # given
    first, second = ProjectFactory(owner=user), ProjectFactory(owner=user)
    link(first, second)
    # when
    execution = run_steps(user, [create_step(second, first)])
    # then
    assert execution.error["code"] == "conflict"
    assert Relationship.objects.filter(type=RelationType.LINKED).count() == 1


def test_relationship_create_refuses_a_node_that_a_reference_filled_in_badly(run_steps, user):
    # given
    project = ProjectFactory(owner=user)
    step = create_step(project, project)
    step["parameters"]["source"] = "{{ input.node }}"
    # when
    execution = run_steps(user, [step], input={"node": "projects.project:not-a-uuid"})
    # then
    assert execution.error["code"] == "invalid_parameters"
    assert not Relationship.objects.filter(type=RelationType.LINKED).exists()


def test_relationship_create_accepts_a_node_completed_by_a_reference(run_steps, user):
    # given
    first, second = ProjectFactory(owner=user), ProjectFactory(owner=user)
    step = create_step(first, second)
    step["parameters"]["target"] = "projects.project:{{ input.project }}"
    # when
    execution = run_steps(user, [step], input={"project": str(second.pk)})
    # then
    assert execution.status == ExecutionStatus.SUCCEEDED
    assert linked(first, second)


@pytest.mark.parametrize(
    "parameters",
    [
        {"source": "projects.project:0193a0b0-0000-7000-8000-000000000001", "type": "linked"},
        {"source": "x", "target": "y", "type": "linked"},
        {
            "source": "projects.project:0193a0b0-0000-7000-8000-000000000001",
            "target": "projects.project:0193a0b0-0000-7000-8000-000000000002",
            "type": "friend",
        },
        {
            "source": "projects.project:0193a0b0-0000-7000-8000-000000000001",
            "target": "projects.project:0193a0b0-0000-7000-8000-000000000002",
            "type": "linked",
            "metadata": [],
        },
        {
            "source": "projects.project:0193a0b0-0000-7000-8000-000000000001",
            "target": "projects.project:0193a0b0-0000-7000-8000-000000000002",
            "type": "linked",
            "color": "red",
        },
    ],
)
def test_relationship_create_rejects_bad_parameters(parameters):
    assert "invalid_parameters" in problems_of("relationship.create", parameters)


# --- relationship.delete -------------------------------------------------------------------


def test_relationship_delete_removes_the_relationship_and_answers_what_it_was(run_steps, user):
    # given
    first, second = ProjectFactory(owner=user), ProjectFactory(owner=user)
    link(first, second, why="old")
    # when
    execution = run_steps(user, [delete_step(second, first)])
    # then
    assert execution.status == ExecutionStatus.SUCCEEDED
    assert not linked(first, second)
    output = execution.steps.get(step_id="unlink").output
    assert output["deleted"] is True
    assert output["relationship"]["type"] == "linked"
    assert output["relationship"]["metadata"] == {"why": "old"}
    assert {output["relationship"]["source"], output["relationship"]["target"]} == {
        node(first),
        node(second),
    }


def test_relationship_delete_is_undone_with_its_metadata(run_then_fail, user):
    # given
    first, second = ProjectFactory(owner=user), ProjectFactory(owner=user)
    link(first, second, why="old")
    # when
    execution = run_then_fail(user, [delete_step(first, second)])
    # then
    assert execution.status == ExecutionStatus.COMPENSATED
    relationship = Relationship.objects.get(type=RelationType.LINKED)
    assert relationship.metadata == {"why": "old"}


def test_relationship_delete_of_a_missing_relationship_fails_as_not_found(run_steps, user):
    # given
    first, second = ProjectFactory(owner=user), ProjectFactory(owner=user)
    # when
    execution = run_steps(user, [delete_step(first, second)])
    # then
    assert execution.status == ExecutionStatus.FAILED
    assert execution.error["code"] == "not_found"


def test_relationship_delete_of_another_users_relationship_fails_as_not_found(
    run_steps, user, other_user
):
    # given
    first, second = ProjectFactory(owner=other_user), ProjectFactory(owner=other_user)
    link(first, second)
    # when
    execution = run_steps(user, [delete_step(first, second)])
    # then
    assert execution.error["code"] == "not_found"
    assert linked(first, second)


def test_relationship_delete_rejects_bad_parameters():
    parameters = {"source": "projects.project:x", "type": "linked"}
    assert "invalid_parameters" in problems_of("relationship.delete", parameters)


# --- graph.find_path -------------------------------------------------------------------------


def path_step(start, goal, **extra):
    parameters = {"from": node(start), "to": node(goal), **extra}
    return {"id": "path", "type": "graph.find_path", "parameters": parameters}


def test_find_path_answers_a_shortest_path(run_steps, user):
    # given
    a, b, c = (ProjectFactory(owner=user) for _ in range(3))
    link(a, b)
    link(b, c)
    # when
    execution = run_steps(user, [path_step(a, c, type="linked")])
    # then
    assert execution.steps.get(step_id="path").output == {
        "found": True,
        "path": [node(a), node(b), node(c)],
        "length": 2,
    }


def test_find_path_beyond_max_depth_fails_with_path_not_found(run_steps, user):
    # given
    a, b, c = (ProjectFactory(owner=user) for _ in range(3))
    link(a, b)
    link(b, c)
    # when
    execution = run_steps(user, [path_step(a, c, type="linked", max_depth=1)])
    # then
    assert execution.status == ExecutionStatus.FAILED
    assert execution.error["code"] == "path_not_found"


def test_find_path_not_required_answers_not_found_and_succeeds(run_steps, user):
    # given
    a, c = ProjectFactory(owner=user), ProjectFactory(owner=user)
    # when
    execution = run_steps(user, [path_step(a, c, type="linked", required=False)])
    # then
    assert execution.status == ExecutionStatus.SUCCEEDED
    assert execution.steps.get(step_id="path").output == {
        "found": False,
        "path": [],
        "length": None,
    }


def test_find_path_does_not_go_through_what_the_user_may_not_see(run_steps, user, other_user):
    # given: the only way from a to c is through another user's project
    a, c = ProjectFactory(owner=user), ProjectFactory(owner=user)
    hidden = ProjectFactory(owner=other_user)
    link(a, hidden)
    link(hidden, c)
    # when
    execution = run_steps(user, [path_step(a, c, type="linked")])
    # then
    assert execution.error["code"] == "path_not_found"


def test_find_path_from_another_users_project_fails_as_not_found(run_steps, user, other_user):
    # given
    mine, theirs = ProjectFactory(owner=user), ProjectFactory(owner=other_user)
    link(mine, theirs)
    # when
    execution = run_steps(user, [path_step(theirs, mine)])
    # then
    assert execution.error["code"] == "not_found"


@pytest.mark.parametrize("max_depth", [0, 11, "3"])
def test_find_path_rejects_a_bad_depth(max_depth):
    parameters = {
        "from": "projects.project:0193a0b0-0000-7000-8000-000000000001",
        "to": "projects.project:0193a0b0-0000-7000-8000-000000000002",
        "max_depth": max_depth,
    }
    assert "invalid_parameters" in problems_of("graph.find_path", parameters)


# --- graph.check -----------------------------------------------------------------------------


def check_step(subject, permission, obj, **extra):
    parameters = {"subject": node(subject), "permission": permission, "object": node(obj)}
    return {"id": "check", "type": "graph.check", "parameters": {**parameters, **extra}}


def test_check_answers_the_path_that_grants_access(run_steps, user):
    # given
    project = ProjectFactory(owner=user)
    # when
    execution = run_steps(user, [check_step(user, "manage", project)])
    # then
    output = execution.steps.get(step_id="check").output
    assert output["allowed"] is True
    assert output["path"] == [{"source": node(user), "type": "owner", "target": node(project)}]


def test_check_of_an_object_the_user_may_not_see_is_not_allowed(run_steps, user, other_user):
    # given
    theirs = ProjectFactory(owner=other_user)
    # when
    execution = run_steps(user, [check_step(user, "view", theirs)])
    # then
    assert execution.status == ExecutionStatus.SUCCEEDED
    assert execution.steps.get(step_id="check").output["allowed"] is False


def test_check_required_and_not_allowed_fails_with_not_allowed(run_steps, user, other_user):
    # given
    theirs = ProjectFactory(owner=other_user)
    # when
    execution = run_steps(user, [check_step(user, "view", theirs, required=True)])
    # then
    assert execution.status == ExecutionStatus.FAILED
    assert execution.error["code"] == "not_allowed"


def test_check_about_another_user_is_refused_to_a_non_staff_user(run_steps, user, other_user):
    # given
    theirs = ProjectFactory(owner=other_user)
    # when
    execution = run_steps(user, [check_step(other_user, "view", theirs)])
    # then
    assert execution.error["code"] == "authorization"


def test_staff_may_check_another_users_access(run_steps, staff_user, other_user):
    # given
    theirs = ProjectFactory(owner=other_user)
    # when
    execution = run_steps(staff_user, [check_step(other_user, "edit", theirs)])
    # then
    assert execution.steps.get(step_id="check").output["allowed"] is True


def test_check_rejects_an_unknown_permission():
    parameters = {
        "subject": "accounts.user:0193a0b0-0000-7000-8000-000000000001",
        "permission": "destroy",
        "object": "projects.project:0193a0b0-0000-7000-8000-000000000002",
    }
    assert "invalid_parameters" in problems_of("graph.check", parameters)
