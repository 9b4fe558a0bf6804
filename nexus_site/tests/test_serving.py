"""Serving: overload answers 503 with Retry-After (never 500), sessions live in Redis when it is
configured, the bench's bare view exists only on the bench's server, gunicorn's threads fit the
database pool."""

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.contrib.sessions.backends.cached_db import KEY_PREFIX as CACHED_SESSION_PREFIX
from django.core.cache import cache
from django.db import OperationalError, connection
from django.test import Client, RequestFactory, override_settings
from psycopg_pool import PoolTimeout

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from nexus_site.outages import RETRY_AFTER_SECONDS, outage_error, server_error_view

ROOT = Path(__file__).resolve().parents[2]


def settings_value(name: str, **env: str) -> str:
    """Return a setting as a fresh process configured by ``env`` alone sees it."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_URL", "NEXUS_"))
    }
    code = f"from django.conf import settings; print(settings.{name})"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "nexus_site.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip()


# --- overload: the database pool is busy ------------------------------------------------------


def test_a_pool_timeout_wrapped_by_django_is_a_503_with_retry_after():
    try:
        try:
            raise PoolTimeout("couldn't get a connection after 0.50 sec")
        except PoolTimeout as exc:
            raise OperationalError(str(exc)) from exc
    except OperationalError as wrapped:
        error = outage_error(wrapped)

    assert error is not None
    assert (error.status, error.code) == (503, "service_unavailable")
    assert error.details == {"retry_after_seconds": RETRY_AFTER_SECONDS}


def test_another_database_error_stays_unmapped():
    assert outage_error(OperationalError("relation does not exist")) is None


def handler500_answer(path: str, exc: Exception):
    """Answer ``path`` with the site's handler500 while ``exc`` is being handled, as Django does."""
    request = RequestFactory().get(path)
    try:
        raise exc
    except type(exc):
        return server_error_view(request)


def test_the_error_handler_answers_an_outage_met_outside_any_view_with_503():
    response = handler500_answer("/api/v1/tasks/", PoolTimeout("no connection"))

    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert json.loads(response.content)["error"]["code"] == "service_unavailable"


def test_the_error_handler_still_answers_any_other_error_with_500():
    api = handler500_answer("/api/v1/tasks/", RuntimeError("bug"))
    page = handler500_answer("/projects/", RuntimeError("bug"))

    assert json.loads(api.content)["error"]["code"] == "server_error"
    assert (api.status_code, page.status_code) == (500, 500)
    assert "Retry-After" not in page.headers


@pytest.fixture
def tiny_pool() -> Iterator[None]:
    """Give this process a pool of one connection that waits half a second for it."""
    options = connection.settings_dict["OPTIONS"]
    previous = options["pool"]
    connection.close()
    connection.close_pool()
    options["pool"] = {"min_size": 1, "max_size": 1, "timeout": 0.5}
    try:
        yield
    finally:
        connection.close()
        connection.close_pool()
        options["pool"] = previous


@contextmanager
def only_connection_held_by_another_thread() -> Iterator[None]:
    """Hold the pool's one connection in another thread (another request, as under load)."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        connection.ensure_connection()
        held.set()
        release.wait(30)
        connection.close()  # back to the pool

    connection.close()  # this thread gives its connection back first
    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(30)
    try:
        yield
    finally:
        release.set()
        holder.join(30)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_an_api_request_that_gets_no_database_connection_in_time_is_503_with_retry_after(
    tiny_pool,
):
    client = bearer_client(UserFactory())

    with only_connection_held_by_another_thread():
        response = client.get("/api/v1/auth/me/")

    assert response.status_code == 503, response.content
    error = response.json()["error"]
    assert error["code"] == "service_unavailable"
    assert error["details"]["retry_after_seconds"] == RETRY_AFTER_SECONDS
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_page_that_gets_no_database_connection_in_time_is_a_503_page_with_retry_after(
    tiny_pool,
):
    # As in production: an unhandled error becomes the handler's answer, not a test failure.
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory())

    with only_connection_held_by_another_thread():
        response = client.get("/")

    assert response.status_code == 503
    assert "text/html" in response["Content-Type"]
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_api_answers_again_once_the_connection_is_free(tiny_pool):
    client = bearer_client(UserFactory())
    with only_connection_held_by_another_thread():
        client.get("/api/v1/auth/me/")

    response = client.get("/api/v1/auth/me/")

    assert response.status_code == 200


# --- sessions -------------------------------------------------------------------------------


def test_sessions_are_cached_in_redis_when_it_is_configured():
    engine = settings_value("SESSION_ENGINE", REDIS_URL="redis://127.0.0.1:6379/0")

    assert engine == "django.contrib.sessions.backends.cached_db"


def test_the_embedded_default_keeps_sessions_in_the_database():
    assert settings_value("SESSION_ENGINE") == "django.contrib.sessions.backends.db"


def test_server_side_cursors_stay_on_unless_a_transaction_pooler_needs_them_off():
    url = "postgres://nexus@127.0.0.1:5432/nexus"
    name = 'DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"]'

    default = settings_value(name, DATABASE_URL=url)
    behind_pgbouncer = settings_value(name, DATABASE_URL=url, DATABASE_SERVER_SIDE_CURSORS="false")

    assert (default, behind_pgbouncer) == ("False", "True")


@pytest.mark.services
@pytest.mark.django_db
def test_a_page_session_is_held_in_the_cache():
    client = Client()
    client.force_login(UserFactory())

    assert cache.get(CACHED_SESSION_PREFIX + client.session.session_key) is not None


@pytest.mark.services
@pytest.mark.django_db
def test_logout_all_ends_a_cached_page_session():
    user = UserFactory()
    page = Client()
    page.force_login(user)
    assert page.get("/").status_code == 200

    bearer_client(user).post("/api/v1/auth/logout-all/")

    response = page.get("/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- the bench's bare view ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_bare_view_is_not_routed_in_production(client):
    assert client.get("/bench/bare/").status_code == 404


def test_the_bench_switch_selects_the_bench_urls():
    urlconf = settings_value("ROOT_URLCONF", NEXUS_BENCH_VIEWS="true")

    assert urlconf == "nexus_site.bench_urls"


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="nexus_site.bench_urls")
def test_the_bench_urls_answer_the_bare_view_and_the_site(client):
    assert client.get("/bench/bare/").json() == {"status": "ok"}
    assert client.get("/healthz").status_code == 200


# --- gunicorn -------------------------------------------------------------------------------


def gunicorn_config(**env: str) -> subprocess.CompletedProcess:
    """Load gunicorn.conf.py as gunicorn does and print its sizing."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("WEB_", "DATABASE_"))}
    code = (
        "import runpy; c = runpy.run_path('gunicorn.conf.py'); "
        "print(c['worker_class'], c['workers'], c['threads'], c['wsgi_app'])"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_gunicorn_runs_gthread_workers_sized_by_the_environment():
    result = gunicorn_config(WEB_WORKERS="3", WEB_THREADS="6")

    assert result.stdout.split() == ["gthread", "3", "6", "nexus_site.wsgi:application"]


def test_gunicorn_threads_default_to_no_more_than_the_database_pool():
    result = gunicorn_config(DATABASE_POOL_MAX="2")

    assert result.stdout.split()[2] == "2"


def test_gunicorn_refuses_more_threads_than_the_database_pool_holds():
    result = gunicorn_config(WEB_THREADS="12", DATABASE_POOL_MAX="10")

    assert result.returncode != 0
    assert "WEB_THREADS (12) must not exceed DATABASE_POOL_MAX (10)" in result.stderr
