"""Liveness (/healthz) and readiness (/readyz) probes."""

import socket
import threading

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import Client, override_settings

from nexus_site.celery import app as celery_app


def closed_port() -> int:
    """Return a local TCP port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def database_down(django_db_blocker):
    """Point new connections at a database that cannot be reached, then restore them.

    Only connections opened from now on are affected, so the probe must run in a new thread
    (each thread has its own connection); this thread's test database stays intact.
    """
    original = connections.settings[DEFAULT_DB_ALIAS]
    broken = {**original, "OPTIONS": {**original.get("OPTIONS", {})}}
    if original["ENGINE"].endswith("sqlite3"):
        broken["NAME"] = "/nonexistent-nexus-dir/nexus.sqlite3"
    else:
        broken["OPTIONS"].pop("pool", None)
        broken["OPTIONS"]["connect_timeout"] = 2
        broken.update(HOST="127.0.0.1", PORT=str(closed_port()))
    connections.settings[DEFAULT_DB_ALIAS] = broken
    try:
        with django_db_blocker.unblock():  # the failure must come from the database itself
            yield
    finally:
        connections.settings[DEFAULT_DB_ALIAS] = original


def in_new_thread(func):
    """Run ``func`` in a new thread (with its own database connection); return its result."""
    outcome = {}

    def run():
        try:
            outcome["value"] = func()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    return outcome["value"]


@pytest.fixture
def cache_down():
    """Point the default cache at a Redis server that is not there."""
    location = f"redis://127.0.0.1:{closed_port()}/0"
    caches = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}
    }
    with override_settings(CACHES=caches):
        yield


@pytest.fixture
def broker_down(settings):
    """Stop running tasks eagerly and point the Celery broker at a closed port."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    original = celery_app.conf.broker_url
    celery_app.conf.broker_url = f"redis://127.0.0.1:{closed_port()}/0"
    yield
    celery_app.conf.broker_url = original


def test_healthz_answers_ok_while_the_process_runs():
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_every_dependency_and_an_eager_broker_on_the_embedded_default(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True

    response = Client().get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok", "broker": "eager"}


@pytest.mark.services
@pytest.mark.django_db
def test_readyz_reaches_the_real_broker_when_tasks_are_not_eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False

    response = Client().get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok", "broker": "ok"}


def test_readyz_is_unavailable_when_the_database_is_down(database_down, settings, caplog):
    settings.CELERY_TASK_ALWAYS_EAGER = True

    response = in_new_thread(lambda: Client().get("/readyz"))

    assert response.status_code == 503
    assert response.json() == {"database": "down", "cache": "ok", "broker": "eager"}
    [failure] = [record for record in caplog.records if record.name == "nexus_site.health"]
    assert failure.args[0] == "database"
    assert "not allowed" not in str(failure.args[1])  # a real connection failure


@pytest.mark.django_db
def test_readyz_is_unavailable_when_the_cache_is_down(cache_down, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True

    response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "cache": "down", "broker": "eager"}


@pytest.mark.django_db
def test_readyz_is_unavailable_when_the_broker_is_down(broker_down):
    response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json()["broker"] == "down"


def test_probes_are_never_cached():
    response = Client().get("/healthz")

    assert "no-cache" in response["Cache-Control"]
