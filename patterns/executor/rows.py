"""The engine's raw row I/O: statements the ORM took longer to compile than the database
to run, on the paths every step takes (lock a step's row, write succeeded rows, load a run).
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from patterns.models import Execution, Pattern, PatternVersion, StepRun

SUCCESS_FIELDS = [  # what a succeeded step's row changes
    "status",
    "attempts",
    "parameters",
    "output",
    "error",
    "next_attempt_at",
    "started_at",
    "finished_at",
    "finished_seq",
]


# One statement for the rows of succeeded steps, one or a whole batch (PostgreSQL). Only
# placeholders are repeated into it, one row of them per step; Django's bulk_update builds a
# CASE per field and row, and even a one-row save compiles for longer than it runs.
BATCH_UPDATE = """
UPDATE patterns_steprun AS run SET
    status = batch.status, attempts = batch.attempts, parameters = batch.parameters,
    output = batch.output, error = NULL, next_attempt_at = NULL,
    started_at = batch.started_at, finished_at = batch.finished_at,
    finished_seq = batch.finished_seq
FROM (VALUES {rows}) AS batch(id, status, attempts, parameters, output, started_at,
    finished_at, finished_seq)
WHERE run.id = batch.id
"""
BATCH_ROW = (
    "(%s::uuid, %s, %s::integer, %s::jsonb, %s::jsonb, %s::timestamptz, %s::timestamptz,"
    " %s::integer)"
)


def save_succeeded(runs: list[StepRun]) -> None:
    """Write the rows of succeeded steps (``SUCCESS_FIELDS``): one statement on PostgreSQL,
    one per row elsewhere."""
    if connection.vendor != "postgresql":
        for run in runs:
            StepRun.objects.filter(pk=run.pk).update(
                **{name: getattr(run, name) for name in SUCCESS_FIELDS}
            )
        return
    from psycopg.types.json import Jsonb

    values: list[Any] = []
    for run in runs:
        values += [
            run.pk,
            run.status,
            run.attempts,
            Jsonb(run.parameters),
            Jsonb(run.output),
            run.started_at,
            run.finished_at,
            run.finished_seq,
        ]
    sql = BATCH_UPDATE.format(rows=", ".join([BATCH_ROW] * len(runs)))
    with connection.cursor() as cursor:
        cursor.execute(sql, values)


# The row of one step, locked, with its run's cancel flag: the first statement of every step's
# transaction, raw because compiling it through the ORM cost more than running it.
LOCK_STEP_RUN = """
SELECT run.*, execution.cancel_requested AS cancel_requested
FROM patterns_steprun AS run
JOIN patterns_execution AS execution ON execution.id = run.execution_id
WHERE run.id = %s
"""

# A run's step rows, raw for the same reason.
LOAD_STEP_RUNS = "SELECT * FROM patterns_steprun WHERE execution_id = %s"


def db_value(model, pk: Any) -> Any:
    """Return ``pk`` as the database stores it, for a raw statement (SQLite keeps UUIDs as hex)."""
    return model._meta.pk.get_db_prep_value(pk, connection)


def lock_step_run(pk: Any) -> StepRun:
    """Return the step row ``pk`` locked until the transaction ends, with ``cancel_requested``."""
    sql = LOCK_STEP_RUN
    if connection.features.has_select_for_update_of:
        sql += "FOR UPDATE OF run"
    return next(iter(StepRun.objects.raw(sql, [db_value(StepRun, pk)])))


# A run with what a worker needs of its pattern and version, in one statement that the ORM
# took longer to compile than PostgreSQL to run (a worker starts every run with it).
LOAD_RUN = """
SELECT execution.*, pattern.key AS pattern_key, version.number AS version_number,
    version.checksum AS version_checksum
FROM patterns_execution AS execution
JOIN patterns_pattern AS pattern ON pattern.id = execution.pattern_id
JOIN patterns_patternversion AS version ON version.id = execution.version_id
WHERE execution.id = %s
"""


def load_run(execution_id: Any) -> Execution | None:
    """Return the execution locked until the transaction ends, its pattern and version loaded
    as far as a run reads them (the rest loads on first use); None when there is none."""
    sql = LOAD_RUN
    if connection.features.has_select_for_update_of:
        sql += "FOR UPDATE OF execution"
    found = list(Execution.objects.raw(sql, [db_value(Execution, execution_id)]))
    if not found:
        return None
    execution = found[0]
    execution.pattern = Pattern.from_db(
        connection.alias, ["id", "key"], [execution.pattern_id, execution.pattern_key]
    )
    execution.version = PatternVersion.from_db(
        connection.alias,
        ["id", "pattern_id", "number", "checksum"],
        [
            execution.version_id,
            execution.pattern_id,
            execution.version_number,
            execution.version_checksum,
        ],
    )
    return execution


def load_step_runs(execution_id: Any) -> dict[str, StepRun]:
    """Return a run's step rows by step id."""
    rows = StepRun.objects.raw(LOAD_STEP_RUNS, [db_value(Execution, execution_id)])
    return {run.step_id: run for run in rows}
