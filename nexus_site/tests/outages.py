"""Real outages for tests: the cache or the Celery broker pointed at a port nobody listens on."""

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from django.test import override_settings

from nexus_site.celery import app as celery_app


def closed_port() -> int:
    """Return a local TCP port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def cache_unreachable() -> Iterator[None]:
    """Point the default cache at a Redis server that is not there."""
    location = f"redis://127.0.0.1:{closed_port()}/0"
    caches = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}
    }
    with override_settings(CACHES=caches):
        yield


@contextmanager
def broker_unreachable() -> Iterator[None]:
    """Send tasks to a broker that is not there instead of running them in this process."""
    conf = celery_app.conf
    previous = conf.broker_url, conf.task_always_eager
    forget_connections()
    conf.broker_url, conf.task_always_eager = f"redis://127.0.0.1:{closed_port()}/0", False
    try:
        with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
            yield
    finally:
        forget_connections()
        conf.broker_url, conf.task_always_eager = previous


def forget_connections() -> None:
    """Drop every pooled broker connection, producers' included, so the next task is sent
    over a new connection to whatever ``broker_url`` says then.

    ``app.close()`` drops the connection pool, but the producer pool built on it is kept by
    ``app.amqp`` (a cached property): once an earlier test has sent a task, it would still
    reach the real broker. Deleting the cached property makes the next use build both again.
    """
    celery_app.close()
    celery_app.__dict__.pop("amqp", None)
