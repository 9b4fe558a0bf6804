"""The work step types run through real executions: project.create, project.member_add,
task.create, task.update and document.create."""

import datetime
from decimal import Decimal

import pytest

from nexus_site.definitions.enums import MemberRole
from patterns.models import ExecutionStatus, StepStatus
from patterns.services import definition_problems
from projects.models import Project, Task, TaskStatus
from projects.selectors import project_role
from projects.tests.factories import ProjectFactory, TaskFactory, add_member
from relations.models import Relationship
from workspace.documents.models import Document

pytestmark = pytest.mark.django_db

SOME_ID = "0193a0b0-0000-7000-8000-000000000001"


def step(step_id, step_type, **parameters):
    return {"id": step_id, "type": step_type, "parameters": parameters}


def output_of(execution, step_id):
    return execution.steps.get(step_id=step_id).output


def problems_of(step_type, parameters):
    steps = [{"id": "s", "type": step_type, "parameters": parameters}]
    return [problem.code for problem in definition_problems({"steps": steps})]


# --- project.create --------------------------------------------------------------------------


def test_project_create_makes_a_project_the_user_owns(run_steps, user):
    # when
    execution = run_steps(
        user,
        [
            step(
                "project",
                "project.create",
                name="Launch",
                priority="high",
                start_date="2027-01-04",
                end_date="2027-02-01",
            )
        ],
    )
    # then
    assert execution.status == ExecutionStatus.SUCCEEDED
    project = Project.objects.get()
    assert (project.name, project.owner, project.priority) == ("Launch", user, "high")
    assert project.start_date == datetime.date(2027, 1, 4)
    assert project_role(project, user) == "owner"
    assert output_of(execution, "project") == {
        "project": str(project.pk),
        "node": f"projects.project:{project.pk}",
        "name": "Launch",
    }


def test_project_create_is_undone_with_its_owner_edge(run_then_fail, user):
    # when
    execution = run_then_fail(user, [step("project", "project.create", name="Launch")])
    # then
    assert execution.status == ExecutionStatus.COMPENSATED
    assert not Project.objects.exists()
    assert not Relationship.objects.exists()


def test_project_create_refuses_an_end_before_the_start(run_steps, user):
    # when
    execution = run_steps(
        user,
        [
            step(
                "project",
                "project.create",
                name="Backwards",
                start_date="2027-02-01",
                end_date="2027-01-04",
            )
        ],
    )
    # then
    assert execution.error["code"] == "validation"
    assert not Project.objects.exists()


@pytest.mark.parametrize(
    "parameters",
    [
        {},
        {"name": ""},
        {"name": "X", "status": "done"},
        {"name": "X", "start_date": "tomorrow"},
        {"name": "X", "budget": 10},
    ],
)
def test_project_create_rejects_bad_parameters(parameters):
    assert "invalid_parameters" in problems_of("project.create", parameters)


# --- project.member_add ----------------------------------------------------------------------


def test_member_add_gives_the_user_a_role(run_steps, user, other_user):
    # given
    project = ProjectFactory(owner=user)
    # when
    execution = run_steps(
        user,
        [
            step(
                "add",
                "project.member_add",
                project=str(project.pk),
                user=str(other_user.pk),
                role="manager",
            )
        ],
    )
    # then
    assert project_role(project, other_user) == MemberRole.MANAGER
    assert output_of(execution, "add") == {
        "project": str(project.pk),
        "user": str(other_user.pk),
        "role": "manager",
    }


def test_member_add_is_undone(run_then_fail, user, other_user):
    # given
    project = ProjectFactory(owner=user)
    # when
    execution = run_then_fail(
        user,
        [step("add", "project.member_add", project=str(project.pk), user=str(other_user.pk))],
    )
    # then
    assert execution.status == ExecutionStatus.COMPENSATED
    assert project_role(project, other_user) is None


def test_member_add_to_another_users_project_fails_as_not_found(run_steps, user, other_user):
    # given
    theirs = ProjectFactory(owner=other_user)
    # when
    execution = run_steps(
        user, [step("add", "project.member_add", project=str(theirs.pk), user=str(user.pk))]
    )
    # then
    assert execution.error["code"] == "not_found"
    assert project_role(theirs, user) is None


def test_member_add_of_an_unknown_user_fails_as_not_found(run_steps, user):
    # given
    project = ProjectFactory(owner=user)
    # when
    execution = run_steps(
        user, [step("add", "project.member_add", project=str(project.pk), user=SOME_ID)]
    )
    # then
    assert execution.error["code"] == "not_found"


@pytest.mark.parametrize(
    "parameters",
    [
        {"project": SOME_ID},
        {"project": "nope", "user": SOME_ID},
        {"project": SOME_ID, "user": SOME_ID, "role": "owner"},
        {"project": SOME_ID, "user": SOME_ID, "role": "guest"},
    ],
)
def test_member_add_rejects_bad_parameters(parameters):
    assert "invalid_parameters" in problems_of("project.member_add", parameters)


# --- task.create -----------------------------------------------------------------------------


def test_task_create_makes_a_task_in_the_project(run_steps, user, other_user):
    # given
    project = ProjectFactory(owner=user)
    add_member(project, user=other_user)
    # when
    execution = run_steps(
        user,
        [
            step(
                "task",
                "task.create",
                project=str(project.pk),
                title="Write the brief",
                assignee=str(other_user.pk),
                priority="critical",
                due_date="2027-03-01",
                estimated_hours=2.5,
                tags=["brief", "q1"],
            )
        ],
    )
    # then
    task = Task.objects.get()
    assert (task.project, task.reporter, task.assignee) == (project, user, other_user)
    assert task.estimated_hours == Decimal("2.50")
    assert task.tags == ["brief", "q1"]
    assert output_of(execution, "task") == {
        "task": str(task.pk),
        "project": str(project.pk),
        "title": "Write the brief",
    }


def test_task_create_in_a_project_made_by_an_earlier_step_is_undone_with_it(run_then_fail, user):
    # when
    execution = run_then_fail(
        user,
        [
            step("project", "project.create", name="Launch"),
            {
                **step(
                    "task",
                    "task.create",
                    project="{{ steps.project.output.project }}",
                    title="First",
                ),
                "depends_on": ["project"],
            },
        ],
    )
    # then
    assert execution.status == ExecutionStatus.COMPENSATED
    assert execution.steps.get(step_id="task").status == StepStatus.COMPENSATED
    assert not Task.objects.exists()
    assert not Project.objects.exists()


def test_task_create_is_undone(run_then_fail, user):
    # given
    project = ProjectFactory(owner=user)
    # when
    execution = run_then_fail(
        user, [step("task", "task.create", project=str(project.pk), title="Temporary")]
    )
    # then
    assert execution.status == ExecutionStatus.COMPENSATED
    assert not Task.objects.exists()


def test_task_create_in_another_users_project_fails_as_not_found(run_steps, user, other_user):
    # given
    theirs = ProjectFactory(owner=other_user)
    # when
    execution = run_steps(user, [step("task", "task.create", project=str(theirs.pk), title="X")])
    # then
    assert execution.error["code"] == "not_found"
    assert not Task.objects.exists()


@pytest.mark.parametrize(
    "parameters",
    [
        {"project": SOME_ID},
        {"project": SOME_ID, "title": "X", "estimated_hours": -1},
        {"project": SOME_ID, "title": "X", "tags": "urgent"},
        {"project": SOME_ID, "title": "X", "status": "finished"},
        {"project": SOME_ID, "title": "X", "due_date": "2027-13"},
    ],
)
def test_task_create_rejects_bad_parameters(parameters):
    assert "invalid_parameters" in problems_of("task.create", parameters)


# --- task.update -----------------------------------------------------------------------------


def update_step(task, **fields):
    return step("update", "task.update", task=str(task.pk), fields=fields)


def test_task_update_changes_fields_and_answers_the_previous_values(run_steps, user, other_user):
    # given
    task = TaskFactory(project=ProjectFactory(owner=user), title="Old", estimated_hours=1)
    add_member(task.project, user=other_user)
    # when
    execution = run_steps(
        user,
        [
            update_step(
                task,
                title="New",
                status="in_progress",
                assignee=str(other_user.pk),
                estimated_hours=4,
                priority=task.priority,
            )
        ],
    )
    # then
    task.refresh_from_db()
    assert (task.title, task.status, task.assignee) == ("New", "in_progress", other_user)
    assert output_of(execution, "update") == {
        "task": str(task.pk),
        "changed": ["title", "status", "assignee", "estimated_hours"],
        "previous": {
            "title": "Old",
            "status": "todo",
            "assignee": None,
            "estimated_hours": "1.00",
        },
    }


def test_task_update_is_undone_to_the_previous_values(run_then_fail, user, other_user):
    # given
    task = TaskFactory(
        project=ProjectFactory(owner=user), title="Old", tags=["a"], due_date="2027-01-01"
    )
    add_member(task.project, user=other_user)
    # when
    execution = run_then_fail(
        user,
        [
            update_step(
                task,
                title="New",
                status=TaskStatus.DONE,
                assignee=str(other_user.pk),
                due_date=None,
                tags=["b"],
            )
        ],
    )
    # then
    assert execution.status == ExecutionStatus.COMPENSATED
    task.refresh_from_db()
    assert (task.title, task.status, task.assignee, task.tags) == ("Old", "todo", None, ["a"])
    assert task.due_date == datetime.date(2027, 1, 1)
    assert task.completed_at is None


def test_task_update_of_another_users_task_fails_as_not_found(run_steps, user, other_user):
    # given
    task = TaskFactory(project=ProjectFactory(owner=other_user), title="Theirs")
    # when
    execution = run_steps(user, [update_step(task, title="Mine")])
    # then
    assert execution.error["code"] == "not_found"
    task.refresh_from_db()
    assert task.title == "Theirs"


@pytest.mark.parametrize(
    "fields",
    [{}, {"reporter": SOME_ID}, {"status": "finished"}, {"actual_hours": None}, {"title": ""}],
)
def test_task_update_rejects_bad_parameters(fields):
    assert "invalid_parameters" in problems_of("task.update", {"task": SOME_ID, "fields": fields})


# --- document.create -------------------------------------------------------------------------


def test_document_create_makes_version_1_in_the_project(run_steps, user):
    # given
    project = ProjectFactory(owner=user)
    content = {"blocks": [{"type": "paragraph", "text": "Hello"}]}
    # when
    execution = run_steps(
        user,
        [
            step(
                "doc",
                "document.create",
                title="Brief",
                doc_type="word",
                content=content,
                project=str(project.pk),
            )
        ],
    )
    # then
    document = Document.objects.get()
    assert (document.owner, document.project, document.content) == (user, project, content)
    assert output_of(execution, "doc") == {"document": str(document.pk), "version": 1}


def test_document_create_is_undone_for_good(run_then_fail, user):
    # when
    execution = run_then_fail(
        user, [step("doc", "document.create", title="Brief", doc_type="excel")]
    )
    # then
    assert execution.status == ExecutionStatus.COMPENSATED
    assert not Document.objects.exists()  # not even in the trash
    assert not Relationship.objects.exists()


def test_document_create_in_another_users_project_fails_as_not_found(run_steps, user, other_user):
    # given
    theirs = ProjectFactory(owner=other_user)
    # when
    execution = run_steps(
        user,
        [step("doc", "document.create", title="X", doc_type="word", project=str(theirs.pk))],
    )
    # then
    assert execution.error["code"] == "not_found"
    assert not Document.objects.exists()


def test_document_create_refuses_content_of_the_wrong_shape(run_steps, user):
    # when
    execution = run_steps(
        user, [step("doc", "document.create", title="X", doc_type="word", content={"x": 1})]
    )
    # then
    assert execution.error["code"] == "validation"
    assert not Document.objects.exists()


@pytest.mark.parametrize(
    "parameters",
    [
        {"title": "X"},
        {"title": "X", "doc_type": "pdf"},
        {"title": "X", "doc_type": "word", "content": "text"},
        {"title": "X", "doc_type": "word", "project": "nope"},
    ],
)
def test_document_create_rejects_bad_parameters(parameters):
    assert "invalid_parameters" in problems_of("document.create", parameters)
