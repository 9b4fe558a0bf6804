"""Per-request cost of the projects endpoints, in process: CPU ms and queries per request.

Seeds one project of 200 tasks (with assignees, tags and dependencies) owned by one user and
shared with a member, then calls each endpoint N times through Django's test client, signed in
as the member (a session, as the pages use), with ``DJANGO_DEBUG=false``. It prints CPU ms per
request (``time.process_time``, so the database server's own time is left out), wall ms and
queries per request; ``--profile NAME`` also prints cProfile's top costs of that endpoint.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nexus_bench_h2 \
        .venv/bin/python bench/requests_profile.py --requests 200
    ... --profile list            # cProfile of the task list, top 40 by cumulative time

The database name must contain ``bench``: the script deletes its own project first.
"""

import argparse
import cProfile
import datetime
import io
import os
import pstats
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if p not in {str(Path(__file__).parent), ""}]

from bench.relations import configure_environment, ensure_database  # noqa: E402

NAME = "bench requests"
ENDPOINTS = ("healthz", "list", "detail", "patch", "board", "board_demo")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--requests", type=int, default=100, help="timed requests per endpoint")
    parser.add_argument("--only", choices=ENDPOINTS, action="append", help="endpoints to time")
    parser.add_argument("--profile", choices=ENDPOINTS, help="print cProfile's top costs")
    parser.add_argument("--queries", action="store_true", help="print each endpoint's SQL")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--allow-sqlite", action="store_true", help="smoke runs only")
    return parser.parse_args(argv)


def seed(tasks: int):
    """Return (member, project, a task, a small project) freshly built."""
    from django.utils import timezone

    from accounts.models import User
    from nexus_site.definitions.enums import MemberRole
    from projects import services
    from projects.models import Project, Task, TaskDependency, TaskStatus

    Project.objects.filter(name__startswith=NAME).delete()
    owner, _ = User.objects.get_or_create(
        email="bench-req-owner@nexus.local", defaults={"first_name": "Owner"}
    )
    member, _ = User.objects.get_or_create(
        email="bench-req-member@nexus.local", defaults={"first_name": "Member"}
    )
    project = services.project_create(actor=owner, name=f"{NAME} {tasks}")
    services.project_member_add(actor=owner, project=project, user=member, role=MemberRole.MEMBER)
    small = services.project_create(actor=owner, name=f"{NAME} small")
    services.project_member_add(actor=owner, project=small, user=member, role=MemberRole.MEMBER)
    rng = random.Random(1)
    statuses = list(TaskStatus.values)
    picked = [rng.choice(statuses) for _ in range(tasks + 6)]
    now = timezone.now()
    rows = Task.objects.bulk_create(
        [
            Task(
                project=project if n < tasks else small,
                title=f"task {n}",
                description="A task of the bench.",
                reporter=owner,
                assignee=rng.choice([owner, member, None]),
                status=picked[n],
                completed_at=now if picked[n] == TaskStatus.DONE else None,
                estimated_hours=Decimal(rng.randint(1, 16)),
                tags=["bench", f"t{n % 7}"],
                due_date=datetime.date(2027, 1, 1) + datetime.timedelta(days=n) if n % 3 else None,
            )
            for n in range(tasks + 6)
        ]
    )
    pairs = {(b, rng.randrange(0, b)) for b in rng.sample(range(1, tasks), tasks // 2)}
    TaskDependency.objects.bulk_create(
        [TaskDependency(task=rows[a], depends_on=rows[b]) for a, b in sorted(pairs)]
    )
    return member, project, rows[tasks // 2], small


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_environment()
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")  # the test client speaks HTTP
    ensure_database(os.environ["DATABASE_URL"], allow_sqlite=args.allow_sqlite)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", run_syncdb=True, interactive=False, verbosity=0)
    member, project, task, small = seed(args.tasks)
    client = Client()
    client.force_login(member)
    priorities = ["low", "high"]

    def patch(n: int):
        return client.patch(
            f"/api/v1/tasks/{task.pk}/",
            {"priority": priorities[n % 2]},
            content_type="application/json",
        )

    calls = {
        "healthz": lambda n: client.get("/healthz"),
        "list": lambda n: client.get("/api/v1/tasks/", {"limit": 50}),
        "detail": lambda n: client.get(f"/api/v1/tasks/{task.pk}/"),
        "patch": patch,
        "board": lambda n: client.get(f"/projects/{project.pk}/"),
        "board_demo": lambda n: client.get(f"/projects/{small.pk}/"),
    }
    labels = {
        "healthz": "GET /healthz (the floor: middleware)",
        "list": "GET /api/v1/tasks/?limit=50",
        "detail": "GET /api/v1/tasks/{id}/",
        "patch": "PATCH /api/v1/tasks/{id}/ (priority)",
        "board": f"board page, {args.tasks} tasks",
        "board_demo": "board page, 6 tasks",
    }
    print(f"database: {connection.vendor}; {args.requests} requests each, after 5 warm-up ones")
    print(f"{'endpoint':40} {'CPU ms p50':>10} {'CPU ms mean':>11} {'wall ms p50':>11} {'SQL':>4}")
    for name in args.only or ENDPOINTS:
        call = calls[name]
        for n in range(5):
            response = call(n)
            assert response.status_code == 200, (name, response.status_code, response.content)
        queries: list[str] = []

        def counted(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counted):
            call(5)  # odd: a PATCH that changes the priority the warm-up left
        if args.queries:
            print("\n".join(f"  {sql[:160]}" for sql in queries))
        cpu, wall = [], []
        for n in range(args.requests):
            started_cpu, started = time.process_time(), time.perf_counter()
            response = call(n)
            cpu.append((time.process_time() - started_cpu) * 1000)
            wall.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (name, response.status_code)
        print(
            f"{labels[name]:40} {statistics.median(cpu):10.2f} {statistics.mean(cpu):11.2f} "
            f"{statistics.median(wall):11.2f} {len(queries):4d}"
        )
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for n in range(args.requests):
            calls[args.profile](n)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
