"""gunicorn for Nexus's HTTP (Procfile ``web``, ``make serve``, bench/http.py).

gthread workers: ``WEB_WORKERS`` processes (default one per core) of ``WEB_THREADS`` threads
each (default 4). A thread serves one request at a time, so a process has at most
``WEB_THREADS`` requests in flight; each needs one database connection from the process's pool
(``DATABASE_POOL_MAX``, default 10). The rule is threads <= pool: then no request waits on
another one of its own process for a connection, and a request that still gets none within
``DATABASE_POOL_TIMEOUT`` (PostgreSQL itself is out of connections) answers 503 with
Retry-After. This file refuses more threads than the pool holds. Connections beyond the threads
wait in gunicorn's queue, not in the pool. WebSockets (``/ws/``) are daphne's (Procfile ``ws``).
"""

import os


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


wsgi_app = "nexus_site.wsgi:application"
bind = [f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"]  # noqa: S104
worker_class = "gthread"
workers = env_int("WEB_WORKERS", cores())
DATABASE_POOL_MAX = env_int("DATABASE_POOL_MAX", 10)
threads = env_int("WEB_THREADS", min(4, DATABASE_POOL_MAX))
if threads > DATABASE_POOL_MAX:
    raise SystemExit(
        f"WEB_THREADS ({threads}) must not exceed DATABASE_POOL_MAX ({DATABASE_POOL_MAX}): "
        "each thread serves one request, and each request needs one pooled connection."
    )
# Keep-alive behind a reverse proxy; a worker stuck longer than this is restarted.
keepalive = env_int("WEB_KEEPALIVE", 5)
timeout = env_int("WEB_TIMEOUT", 60)
graceful_timeout = 30
# Access log to stdout when set (e.g. WEB_ACCESS_LOG=-); the proxy usually keeps one already.
accesslog = os.environ.get("WEB_ACCESS_LOG") or None
# gunicorn's control socket is one per user by default, so a second server on the machine
# (another checkout, the bench) would take it over; nothing here uses it.
control_socket_disable = True


def child_exit(server, worker) -> None:
    """Multiprocess metrics (PROMETHEUS_MULTIPROC_DIR): forget a dead worker's live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
