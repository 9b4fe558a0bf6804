"""The patterns executor: runs an execution's steps on a worker, crash-safely.

Crash safety rests on two facts. A step's work, its ``StepRun`` row and its events commit
together or not at all, so a crash never leaves a step half-applied. And a step runs only
after its row is locked and found still pending, so two workers that both believe they own
a run (one slow, one that reclaimed it) never apply the same step twice.

One job per module:

- ``rows``: the raw statements on the hot path (lock a step's row, save succeeded rows, load
  a run);
- ``commits``: the engine's transactions and their durability setting;
- ``timeouts``: a step's time limit;
- ``leases``: which worker drives a run, renewing, giving it back, reclaiming dead runs;
- ``runner``: the run loop (steps, batches, retries, compensation, cancel, finish).

Queueing a run for a worker is ``patterns.dispatch``; the Celery tasks are ``patterns.tasks``.
"""

from patterns.executor.commits import engine_transaction
from patterns.executor.leases import acquire, executions_to_reclaim
from patterns.executor.runner import Runner, Turn, execution_run, execution_run_inline

__all__ = [
    "Runner",
    "Turn",
    "acquire",
    "engine_transaction",
    "execution_run",
    "execution_run_inline",
    "executions_to_reclaim",
]
