"""Cancel: the executor reads the cancel flag in each step's own transaction."""

import pytest

from accounts.tests.factories import UserFactory
from nexus_site.events.models import Event
from patterns import executor, steps
from patterns.models import Execution, ExecutionStatus, StepStatus
from patterns.runs import new_execution
from patterns.tests.factories import make_pattern
from projects.models import Task
from projects.tests.factories import ProjectFactory


@pytest.fixture
def cancelling_step():
    """A step type that asks for its own run to be cancelled, as a user would meanwhile."""

    def run(context, parameters):
        Execution.objects.filter(pk=context.execution.pk).update(cancel_requested=True)
        return {}

    steps.register(steps.StepType(name="test.cancel_me", schema={"type": "object"}, run=run))
    yield "test.cancel_me"
    steps.unregister("test.cancel_me")


def start(owner, step_list):
    pattern = make_pattern(owner, steps=step_list)
    return new_execution(pattern=pattern, version=pattern.versions.get(), input={}, actor=owner)


@pytest.mark.django_db
def test_a_run_cancelled_before_it_starts_runs_no_step():
    owner = UserFactory()
    execution = start(
        owner, [{"id": "mark", "type": "event.publish", "parameters": {"type": "never_sent"}}]
    )
    Execution.objects.filter(pk=execution.pk).update(cancel_requested=True)

    finished = executor.execution_run(execution.pk, owner="worker-a")

    assert finished.status == ExecutionStatus.CANCELLED
    assert execution.steps.get().status == StepStatus.SKIPPED
    assert execution.steps.get().attempts == 0
    assert not Event.objects.filter(type="never_sent").exists()


@pytest.mark.django_db
def test_a_cancel_requested_during_a_step_stops_the_run_before_the_next(cancelling_step):
    owner = UserFactory()
    execution = start(
        owner,
        [
            {"id": "first", "type": cancelling_step},
            {
                "id": "second",
                "type": "event.publish",
                "parameters": {"type": "never_sent"},
                "depends_on": ["first"],
            },
        ],
    )

    finished = executor.execution_run(execution.pk, owner="worker-a")

    assert finished.status == ExecutionStatus.CANCELLED
    assert execution.steps.get(step_id="first").status == StepStatus.SUCCEEDED
    assert execution.steps.get(step_id="second").status == StepStatus.SKIPPED
    assert not Event.objects.filter(type="never_sent").exists()


@pytest.mark.django_db
def test_a_cancel_requested_during_the_last_step_ends_the_run_cancelled_not_succeeded(
    cancelling_step,
):
    owner = UserFactory()
    project = ProjectFactory(owner=owner)
    execution = start(
        owner,
        [
            {
                "id": "task",
                "type": "task.create",
                "parameters": {"project": str(project.pk), "title": "Undone on cancel"},
                "compensation": True,
            },
            {"id": "last", "type": cancelling_step, "depends_on": ["task"]},
        ],
    )

    finished = executor.execution_run(execution.pk, owner="worker-a")

    assert finished.status == ExecutionStatus.CANCELLED
    assert Execution.objects.get(pk=execution.pk).status == ExecutionStatus.CANCELLED
    assert execution.steps.get(step_id="task").status == StepStatus.COMPENSATED
    assert not Event.objects.filter(type="pattern_executed").exists()
    assert Event.objects.filter(type="pattern_cancelled").count() == 1
    assert not Task.objects.filter(project=project).exists()
