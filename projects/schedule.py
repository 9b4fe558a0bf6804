"""The schedule engine (critical path method): plain data in, plain data out, no Django.

Each task has a duration (its estimated hours; unknown counts as 0) and the tasks it depends
on. Every task starts as soon as all its dependencies have finished, counting hours from the
project's start. The backward pass gives the latest start and finish that still keep the
project's earliest finish; slack is how far a task can slip without delaying the project, and
the critical path is a chain of zero-slack tasks from a task with no dependencies to the task
that finishes last.

Durations keep the numeric type they are given in (``Decimal`` from the database, int or
float in tests); do not mix ``Decimal`` and ``float`` in one call.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from relations.algorithms import CycleError, topological_order

__all__ = ["CycleError", "Schedule", "ScheduledTask", "TaskInput", "compute_schedule"]

Number = int | float | Decimal


@dataclass(frozen=True)
class TaskInput:
    """One task to schedule: ``depends_on`` lists the ids that must finish before it starts."""

    id: Hashable
    duration: Number | None = None
    depends_on: tuple[Hashable, ...] = ()


@dataclass(frozen=True)
class ScheduledTask:
    id: Hashable
    duration: Number
    depends_on: tuple[Hashable, ...]
    earliest_start: Number
    earliest_finish: Number
    latest_start: Number
    latest_finish: Number
    slack: Number
    critical: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "duration": self.duration,
            "depends_on": list(self.depends_on),
            "earliest_start": self.earliest_start,
            "earliest_finish": self.earliest_finish,
            "latest_start": self.latest_start,
            "latest_finish": self.latest_finish,
            "slack": self.slack,
            "critical": self.critical,
        }


@dataclass(frozen=True)
class Schedule:
    """Tasks in dependency order, one critical path, and when the project can finish at best."""

    tasks: list[ScheduledTask]
    critical_path: list[Hashable]
    earliest_finish: Number

    def relabelled(self, ids: Sequence[Hashable]) -> Schedule:
        """Return this schedule of tasks numbered 0..n-1 with each number ``k`` read as ``ids[k]``.

        Callers with costly ids (UUIDs hash in Python) schedule numbers instead, numbered in
        the ids' own order so that ties break the same way, and relabel the answer.
        """
        return Schedule(
            tasks=[
                ScheduledTask(
                    id=ids[task.id],
                    duration=task.duration,
                    depends_on=tuple([ids[number] for number in task.depends_on]),
                    earliest_start=task.earliest_start,
                    earliest_finish=task.earliest_finish,
                    latest_start=task.latest_start,
                    latest_finish=task.latest_finish,
                    slack=task.slack,
                    critical=task.critical,
                )
                for task in self.tasks
            ],
            critical_path=[ids[number] for number in self.critical_path],
            earliest_finish=self.earliest_finish,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "tasks": [task.as_dict() for task in self.tasks],
            "critical_path": list(self.critical_path),
            "earliest_finish": self.earliest_finish,
        }


def compute_schedule(tasks: Iterable[TaskInput]) -> Schedule:
    """Return the schedule of ``tasks``.

    Raises ``CycleError`` (from relations.algorithms, ``cycle`` = ``[a, b, ..., z]`` where
    ``a`` depends on ``b`` ... and ``z`` on ``a``) when the dependencies contain a cycle, and
    ValueError for a duplicate id, an unknown dependency or a negative duration.
    """
    durations: dict[Hashable, Number] = {}
    requires: dict[Hashable, tuple[Hashable, ...]] = {}
    for task in tasks:
        if task.id in durations:
            raise ValueError(f"task {task.id!r} is given twice")
        duration = 0 if task.duration is None else task.duration
        if duration < 0:
            raise ValueError(f"task {task.id!r} has a negative duration")
        durations[task.id] = duration
        requires[task.id] = tuple(dict.fromkeys(task.depends_on))
    for task_id, needed in requires.items():
        for dependency in needed:
            if dependency not in durations:
                raise ValueError(f"task {task_id!r} depends on unknown task {dependency!r}")

    order = topological_order(requires)  # raises CycleError
    position = {task_id: index for index, task_id in enumerate(order)}

    earliest_start: dict[Hashable, Number] = {}
    earliest_finish: dict[Hashable, Number] = {}
    dependents: dict[Hashable, list[Hashable]] = {task_id: [] for task_id in order}
    for task_id in order:
        start = max((earliest_finish[dep] for dep in requires[task_id]), default=0)
        earliest_start[task_id] = start
        earliest_finish[task_id] = start + durations[task_id]
        for dependency in requires[task_id]:
            dependents[dependency].append(task_id)
    finish = max(earliest_finish.values(), default=0)

    latest_start: dict[Hashable, Number] = {}
    latest_finish: dict[Hashable, Number] = {}
    for task_id in reversed(order):
        end = min((latest_start[after] for after in dependents[task_id]), default=finish)
        latest_finish[task_id] = end
        latest_start[task_id] = end - durations[task_id]

    scheduled = []
    for task_id in order:
        slack = latest_start[task_id] - earliest_start[task_id]
        scheduled.append(
            ScheduledTask(
                id=task_id,
                duration=durations[task_id],
                depends_on=requires[task_id],
                earliest_start=earliest_start[task_id],
                earliest_finish=earliest_finish[task_id],
                latest_start=latest_start[task_id],
                latest_finish=latest_finish[task_id],
                slack=slack,
                critical=is_zero(slack),
            )
        )
    return Schedule(
        tasks=scheduled,
        critical_path=critical_path(order, position, requires, earliest_start, earliest_finish),
        earliest_finish=finish,
    )


def critical_path(
    order: list[Hashable],
    position: dict[Hashable, int],
    requires: dict[Hashable, tuple[Hashable, ...]],
    earliest_start: dict[Hashable, Number],
    earliest_finish: dict[Hashable, Number],
) -> list[Hashable]:
    """Return a chain of zero-slack tasks from a task with no dependencies to the last to finish.

    Walks back from the task that finishes last (the latest in dependency order, so trailing
    zero-duration milestones are kept) through a dependency that finishes exactly when the
    task starts. Such a dependency has zero slack, so no float comparison of slack is needed.
    """
    if not order:
        return []
    finish = max(earliest_finish.values())
    current = max(
        (task_id for task_id in order if earliest_finish[task_id] == finish),
        key=position.__getitem__,
    )
    path = [current]
    while True:
        tight = [
            dep for dep in requires[current] if earliest_finish[dep] == earliest_start[current]
        ]
        if not tight:
            break
        current = max(tight, key=position.__getitem__)
        path.append(current)
    path.reverse()
    return path


def is_zero(value: Number) -> bool:
    if isinstance(value, float):
        return abs(value) < 1e-9
    return value == 0
