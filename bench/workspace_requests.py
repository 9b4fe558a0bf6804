"""Per-request cost of the workspace endpoints, in process: CPU ms and queries per request.

Seeds a small team on its own database (users, projects with members, documents, a chat room,
the events their writes publish), then times N requests of each endpoint through Django's test
client with ``DJANGO_DEBUG=false``, as a project member (not the owner, not an admin), and
prints CPU ms (this process: Django, DRF, the driver; PostgreSQL's own time is not in it),
wall ms and queries per request. ``--profile NAME`` prints the top costs of one endpoint by
cProfile. Figures are in docs/PERFORMANCE.md ("Per request: workspace").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nexus_bench_h3 \
        .venv/bin/python bench/workspace_requests.py --requests 300
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if p not in {str(Path(__file__).parent), ""}]

from bench.relations import configure_environment, ensure_database  # noqa: E402

ENDPOINTS = (
    "document_detail",
    "document_save",
    "documents_page",
    "chat_post",
    "events_list",
    "dashboard",
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per endpoint")
    parser.add_argument("--only", nargs="*", choices=ENDPOINTS, help="these endpoints only")
    parser.add_argument("--profile", choices=ENDPOINTS, help="print cProfile's top costs of one")
    parser.add_argument("--top", type=int, default=30, help="rows of the profile")
    parser.add_argument("--allow-sqlite", action="store_true", help="smoke runs only")
    parser.add_argument("--queries", action="store_true", help="print each endpoint's SQL")
    return parser.parse_args(argv)


def word_content(blocks: int) -> dict:
    items = []
    for n in range(blocks):
        if n % 10 == 0:
            items.append({"type": "heading", "level": 2, "text": f"Section {n // 10}"})
        else:
            items.append(
                {"type": "paragraph", "text": f"Paragraph {n} of the bench document. " * 3}
            )
    return {"blocks": items}


def counted(connection, call) -> list[str]:
    """Return the statements one call of ``call`` runs."""
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        call()
    return queries


def seed():
    """Return (member, document, room) after creating the team once (idempotent)."""
    from accounts.models import User
    from projects import services as projects
    from projects.models import Project
    from workspace.chat import services as chat
    from workspace.chat.models import Room
    from workspace.documents import services as documents
    from workspace.documents.models import Document

    owner, _ = User.objects.get_or_create(
        email="h3-owner@nexus.local", defaults={"first_name": "Owen"}
    )
    member, _ = User.objects.get_or_create(
        email="h3-member@nexus.local", defaults={"first_name": "Mia"}
    )
    others = [User.objects.get_or_create(email=f"h3-user-{n}@nexus.local")[0] for n in range(1, 20)]
    if not Project.objects.filter(owner=owner).exists():
        for p in range(5):
            project = projects.project_create(actor=owner, name=f"Bench project {p}")
            projects.project_member_add(actor=owner, project=project, user=member)
            for user in others[p::5]:
                projects.project_member_add(actor=owner, project=project, user=user)
            for d in range(12):
                documents.document_create(
                    actor=owner,
                    title=f"Document {p}-{d}",
                    doc_type="word",
                    content=word_content(20),
                    project=project,
                )
        for d in range(10):
            documents.document_create(actor=others[d], title=f"Private {d}", doc_type="word")
        room = chat.room_create(
            actor=owner, kind="private", name="h3 bench room", members=[member, *others]
        )
        for n in range(30):
            chat.message_post(actor=others[n % len(others)], room=room, body=f"hello {n}")
    document = Document.objects.filter(project__owner=owner).order_by("created_at").first()
    room = Room.objects.get(name="h3 bench room")
    return member, document, room


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_environment()
    os.environ["NEXUS_GRAPH_LAB"] = "false"
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
    ensure_database(os.environ["DATABASE_URL"], allow_sqlite=args.allow_sqlite)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)

    from django.db import connection
    from django.test import Client

    from accounts.authentication import VersionedRefreshToken

    member, document, room = seed()
    token = str(VersionedRefreshToken.for_user(member).access_token)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT="application/json")
    pages = Client()
    pages.force_login(member)
    state = {"version": None, "n": 0}

    def document_save():
        if state["version"] is None:
            state["version"] = api.get(f"/api/v1/documents/{document.pk}/").json()["version"]
        state["n"] += 1
        body = json.dumps({"version": state["version"], "title": f"Document {state['n']}"})
        response = api.patch(
            f"/api/v1/documents/{document.pk}/", body, content_type="application/json"
        )
        state["version"] = response.json()["version"]
        return response

    def chat_post():
        state["n"] += 1
        return api.post(
            f"/api/v1/chat/rooms/{room.pk}/messages/",
            json.dumps({"body": f"bench message {state['n']}"}),
            content_type="application/json",
        )

    calls = {
        "document_detail": lambda: api.get(f"/api/v1/documents/{document.pk}/"),
        "document_save": document_save,
        "documents_page": lambda: pages.get("/documents/"),
        "chat_post": chat_post,
        "events_list": lambda: api.get("/api/v1/events/"),
        "dashboard": lambda: pages.get("/"),
    }
    expected = {"chat_post": 201}
    print(f"database {connection.vendor}, {args.requests} requests each, DJANGO_DEBUG=false")
    print(f"{'endpoint':<18} {'CPU ms/req':>10} {'wall ms/req':>11} {'queries/req':>11}")
    for name in args.only or ENDPOINTS:
        call = calls[name]
        for _ in range(10):
            response = call()
            status = expected.get(name, 200)
            if response.status_code != status:
                sys.exit(f"{name}: {response.status_code} {response.content[:300]!r}")
        queries = counted(connection, call)
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(args.requests):
            call()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(
            f"{name:<18} {cpu * 1000 / args.requests:>10.2f} {wall * 1000 / args.requests:>11.2f}"
            f" {len(queries):>11}",
            flush=True,
        )
        if args.queries:
            for sql in queries:
                print(f"    {sql[:300]}")
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.requests):
            calls[args.profile]()
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
