"""The schedule engine on hand-checked cases, without a database."""

import random
from decimal import Decimal
from itertools import pairwise

import pytest

from projects.schedule import CycleError, TaskInput, compute_schedule


def by_id(schedule):
    return {task.id: task for task in schedule.tasks}


def figures(task):
    return (
        task.earliest_start,
        task.earliest_finish,
        task.latest_start,
        task.latest_finish,
        task.slack,
    )


def test_a_diamond_waits_for_its_longer_side():
    # a(2) -> b(3) -> d(4) and a -> c(1) -> d: b is critical, c has 2 hours to spare.
    schedule = compute_schedule(
        [
            TaskInput("d", 4, ("b", "c")),
            TaskInput("b", 3, ("a",)),
            TaskInput("c", 1, ("a",)),
            TaskInput("a", 2),
        ]
    )

    tasks = by_id(schedule)
    assert [task.id for task in schedule.tasks] == ["a", "b", "c", "d"]
    assert figures(tasks["a"]) == (0, 2, 0, 2, 0)
    assert figures(tasks["b"]) == (2, 5, 2, 5, 0)
    assert figures(tasks["c"]) == (2, 3, 4, 5, 2)
    assert figures(tasks["d"]) == (5, 9, 5, 9, 0)
    assert schedule.critical_path == ["a", "b", "d"]
    assert schedule.earliest_finish == 9
    assert [task.id for task in schedule.tasks if task.critical] == ["a", "b", "d"]


def test_two_parallel_chains_make_the_longer_one_critical():
    schedule = compute_schedule(
        [
            TaskInput("a1", 2),
            TaskInput("a2", 3, ("a1",)),
            TaskInput("b1", 4),
            TaskInput("b2", 4, ("b1",)),
        ]
    )

    tasks = by_id(schedule)
    assert schedule.earliest_finish == 8
    assert schedule.critical_path == ["b1", "b2"]
    assert figures(tasks["a1"]) == (0, 2, 3, 5, 3)
    assert figures(tasks["a2"]) == (2, 5, 5, 8, 3)
    assert tasks["b1"].slack == tasks["b2"].slack == 0


def test_zero_duration_milestones_stay_on_the_critical_path():
    # kickoff(0) -> build(5) -> release(0); a side task of 1 hour has slack.
    schedule = compute_schedule(
        [
            TaskInput("kickoff", 0),
            TaskInput("build", 5, ("kickoff",)),
            TaskInput("side", 1, ("kickoff",)),
            TaskInput("release", None, ("build", "side")),
        ]
    )

    tasks = by_id(schedule)
    assert schedule.critical_path == ["kickoff", "build", "release"]
    assert schedule.earliest_finish == 5
    assert figures(tasks["release"]) == (5, 5, 5, 5, 0)
    assert tasks["release"].duration == 0
    assert tasks["side"].slack == 4


def test_a_single_task_is_its_own_critical_path():
    schedule = compute_schedule([TaskInput("only", Decimal("2.50"))])

    (task,) = schedule.tasks
    assert figures(task) == (0, Decimal("2.50"), 0, Decimal("2.50"), 0)
    assert schedule.critical_path == ["only"]
    assert schedule.earliest_finish == Decimal("2.50")


def test_disconnected_tasks_all_start_at_zero_and_the_longest_is_critical():
    schedule = compute_schedule([TaskInput("x", 3), TaskInput("y", 5), TaskInput("z", 1)])

    tasks = by_id(schedule)
    assert {task.earliest_start for task in schedule.tasks} == {0}
    assert schedule.critical_path == ["y"]
    assert (tasks["x"].slack, tasks["y"].slack, tasks["z"].slack) == (2, 0, 4)


def test_no_tasks_finish_at_zero():
    schedule = compute_schedule([])

    assert schedule.as_dict() == {"tasks": [], "critical_path": [], "earliest_finish": 0}


def test_a_cycle_raises_the_relations_cycle_error_with_the_cycle():
    with pytest.raises(CycleError) as caught:
        compute_schedule(
            [TaskInput("a", 1, ("c",)), TaskInput("b", 1, ("a",)), TaskInput("c", 1, ("b",))]
        )

    assert sorted(caught.value.cycle) == ["a", "b", "c"]


@pytest.mark.parametrize(
    "tasks",
    [
        [TaskInput("a", 1, ("ghost",))],
        [TaskInput("a", -1)],
        [TaskInput("a", 1), TaskInput("a", 2)],
    ],
    ids=["unknown dependency", "negative duration", "duplicate id"],
)
def test_bad_input_is_a_value_error(tasks):
    with pytest.raises(ValueError):
        compute_schedule(tasks)


def test_a_random_dag_of_ten_thousand_tasks_is_scheduled_consistently():
    rng = random.Random(20260101)
    count = 10_000
    tasks = [
        TaskInput(
            index,
            rng.randint(0, 8),
            tuple(rng.sample(range(index), k=min(index, rng.randint(0, 3)))),
        )
        for index in range(count)
    ]
    rng.shuffle(tasks)

    schedule = compute_schedule(tasks)

    assert len(schedule.tasks) == count
    placed = {}
    for task in schedule.tasks:
        for dependency in task.depends_on:
            assert dependency in placed  # dependency order
            assert placed[dependency].earliest_finish <= task.earliest_start
            assert placed[dependency].latest_finish <= task.latest_start
        assert task.slack >= 0
        assert task.latest_finish <= schedule.earliest_finish
        placed[task.id] = task
    path = [placed[task_id] for task_id in schedule.critical_path]
    assert path[0].depends_on == ()  # it starts at a task that waits on nothing
    assert path[0].earliest_start == 0
    assert path[-1].earliest_finish == schedule.earliest_finish
    for before, after in pairwise(path):
        assert before.id in after.depends_on
        assert before.earliest_finish == after.earliest_start
    assert all(task.critical for task in path)


def test_relabelled_reads_each_task_number_as_its_id():
    plan = compute_schedule(
        [TaskInput(0, 2), TaskInput(1, 3, depends_on=(0,)), TaskInput(2, 1, depends_on=(0,))]
    )

    named = plan.relabelled(["design", "build", "docs"])

    assert [(task.id, task.depends_on) for task in named.tasks] == [
        ("design", ()),
        ("build", ("design",)),
        ("docs", ("design",)),
    ]
    assert named.critical_path == ["design", "build"]
    assert named.earliest_finish == plan.earliest_finish == 5
    assert [task.slack for task in named.tasks] == [task.slack for task in plan.tasks]
