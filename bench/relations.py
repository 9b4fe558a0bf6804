"""Relations bench: build a big graph, time the engine on it, and time networkx on the same graph.

``make bench`` runs it on PostgreSQL; ``.venv/bin/python bench/relations.py --help`` lists the
options. docs/PERFORMANCE.md (Relations) holds the command, the figures and how to read them.
"""

import argparse
import os
import sys
from pathlib import Path

import dj_database_url
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/nexus_bench"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--relationships", type=int, default=1_000_000, help="graph size")
    parser.add_argument("--samples", type=int, default=300, help="timed calls per operation")
    parser.add_argument("--seed", type=int, default=1, help="seed of the graph and the samples")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the graph already built with this size and seed"
    )
    parser.add_argument(
        "--loader",
        choices=["copy", "orm"],
        default="copy",
        help="PostgreSQL COPY or Django bulk_create (SQLite always uses bulk_create)",
    )
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument(
        "--allow-sqlite", action="store_true", help="allow a SQLite database (smoke runs only)"
    )
    args = parser.parse_args(argv)
    if args.relationships < 1_000:
        parser.error("--relationships must be at least 1000")
    if args.samples < 1:
        parser.error("--samples must be at least 1")
    return args


def configure_environment() -> None:
    """Point Python at the project, and Django at the bench settings, before Django loads.

    Run as ``python bench/relations.py``, Python puts ``bench/`` first on the path, where
    ``relations`` would be this file instead of the app.
    """
    bench_dir = str(Path(__file__).resolve().parent)
    sys.path[:] = [str(ROOT)] + [entry for entry in sys.path if entry not in {bench_dir, ""}]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nexus_site.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-never-used-to-serve")
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ["NEXUS_GRAPH_LAB"] = "true"  # the lab models are the graph the bench builds


def ensure_database(url: str, *, allow_sqlite: bool) -> None:
    """Refuse databases the bench must not wipe, and create the PostgreSQL one if missing."""
    config = dj_database_url.parse(url)
    name = str(config["NAME"])
    if "bench" not in Path(name).name:
        sys.exit(f"refusing to run: the bench empties its database and {name!r} lacks 'bench'")
    if config["ENGINE"] == "django.db.backends.sqlite3":
        if not allow_sqlite:
            sys.exit("refusing to run on SQLite: pass --allow-sqlite for a smoke run")
        return
    if config["ENGINE"] != "django.db.backends.postgresql":
        sys.exit(f"unsupported database engine {config['ENGINE']}")
    server = {
        "dbname": "postgres",
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
    }
    with psycopg.connect(autocommit=True, **server) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_environment()
    ensure_database(os.environ["DATABASE_URL"], allow_sqlite=args.allow_sqlite)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, interactive=False, verbosity=0)

    # Imported once Django is set up: these modules import models.
    from bench.relations_graph import ensure_graph
    from bench.relations_measure import run

    built = ensure_graph(args.relationships, seed=args.seed, reuse=args.reuse, loader=args.loader)
    report = run(built, samples=args.samples, seed=args.seed)
    print(report.text())
    if args.markdown:
        args.markdown.write_text(report.markdown(command=" ".join(sys.argv)))
        print(f"wrote {args.markdown}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
