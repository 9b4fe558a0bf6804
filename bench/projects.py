"""Projects bench: a project of 10,000 tasks and 20,000 dependencies, and its schedule endpoint.

Times ``GET /api/v1/projects/{id}/schedule/`` end to end (access check, two queries, the pure
critical-path engine, JSON), the engine alone, and networkx computing the same longest path on
the same graph in the same run. ``make bench-projects`` runs it on PostgreSQL; figures and the
command are in docs/PERFORMANCE.md (Projects).
"""

import argparse
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if p not in {str(Path(__file__).parent), ""}]

from bench.relations import configure_environment, ensure_database  # noqa: E402

NAME = "bench schedule"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--dependencies", type=int, default=20_000)
    parser.add_argument("--samples", type=int, default=30, help="timed calls per operation")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="keep a project of this size")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument("--allow-sqlite", action="store_true", help="smoke runs only")
    args = parser.parse_args(argv)
    if args.tasks < 2 or not 0 <= args.dependencies <= args.tasks * (args.tasks - 1) // 2:
        parser.error("need at least 2 tasks and at most tasks*(tasks-1)/2 dependencies")
    return args


def build(tasks: int, dependencies: int, seed: int, reuse: bool):
    """Return a project of ``tasks`` tasks linked by ``dependencies`` random forward edges.

    Rows are bulk-inserted (the services write one task at a time with its activity row and
    event; the bench needs the shape, not the history). Task i may depend only on tasks before
    it, so the graph is acyclic as the services would have kept it.
    """
    from accounts.models import User
    from projects.models import Project, Task, TaskDependency
    from projects.services import project_create

    name = f"{NAME} {tasks}x{dependencies} seed {seed}"
    existing = Project.objects.filter(name=name).first()
    if reuse and existing and existing.tasks.count() == tasks:
        return existing
    Project.objects.filter(name__startswith=NAME).delete()
    owner, _created = User.objects.get_or_create(
        email="bench-owner@nexus.local", defaults={"first_name": "Bench"}
    )
    project = project_create(actor=owner, name=name)
    rng = random.Random(seed)
    started = time.perf_counter()
    rows = Task.objects.bulk_create(
        [
            Task(
                project=project,
                title=f"task {n}",
                reporter=owner,
                estimated_hours=Decimal(rng.randint(1, 16)),
            )
            for n in range(tasks)
        ],
        batch_size=2_000,
    )
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < dependencies:
        later = rng.randrange(1, tasks)
        pairs.add((later, rng.randrange(0, later)))
    TaskDependency.objects.bulk_create(
        [TaskDependency(task=rows[a], depends_on=rows[b]) for a, b in sorted(pairs)],
        batch_size=5_000,
    )
    print(
        f"built {tasks} tasks, {dependencies} dependencies in {time.perf_counter() - started:.1f} s"
    )
    return project


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_environment()
    import os

    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")  # the test client speaks HTTP
    ensure_database(os.environ["DATABASE_URL"], allow_sqlite=args.allow_sqlite)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, interactive=False, verbosity=0)

    import networkx as nx
    from django.test import Client

    from bench.relations_measure import Report, compare, expect, machine
    from projects import schedule
    from projects.models import TaskDependency

    project = build(args.tasks, args.dependencies, args.seed, args.reuse)
    client = Client()
    client.force_login(project.owner)
    url = f"/api/v1/projects/{project.pk}/schedule/"

    tasks = list(project.tasks.values_list("pk", "estimated_hours"))
    requires: dict = {pk: [] for pk, _hours in tasks}
    for task_id, depends_on_id in TaskDependency.objects.filter(task__project=project).values_list(
        "task_id", "depends_on_id"
    ):
        requires[task_id].append(depends_on_id)
    inputs = [schedule.TaskInput(pk, hours, tuple(requires[pk])) for pk, hours in tasks]
    hours = dict(tasks)

    def peer(_case):
        graph = nx.DiGraph()
        graph.add_nodes_from(hours)
        graph.add_edges_from((before, after) for after, deps in requires.items() for before in deps)
        # Longest path with the weight on the edge into each task, plus the first task's own.
        finish: dict = {}
        for node in nx.topological_sort(graph):
            start = max((finish[p] for p in graph.predecessors(node)), default=Decimal(0))
            finish[node] = start + hours[node]
        return max(finish.values())

    expected = peer(None)

    def endpoint(_case):
        response = client.get(url)
        expect(response.status_code == 200, f"schedule answered {response.status_code}")
        return response

    def check_endpoint(_case, response):
        expect(Decimal(response.json()["earliest_finish"]) == expected, "earliest finish differs")

    def engine(_case):
        return schedule.compute_schedule(inputs)

    def check_engine(_case, plan):
        expect(plan.earliest_finish == expected, "earliest finish differs from networkx")

    cases = list(range(args.samples))
    report = Report()
    print("measuring", flush=True)
    report.rows.append(compare("schedule endpoint (HTTP, JSON)", cases, endpoint, check_endpoint))
    report.rows.append(compare("schedule engine (pure)", cases, engine, check_engine, peer))
    report.facts += [
        f"machine: {machine()}; database: {django.db.connection.vendor}",
        f"{args.tasks} tasks, {args.dependencies} dependencies; earliest finish {expected} h",
        "networkx: build the DiGraph, topological sort and the longest (critical) path, "
        "the same answer as the engine's forward pass",
    ]
    print(report.text())
    if args.markdown:
        args.markdown.write_text(report.markdown(command=" ".join(sys.argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
