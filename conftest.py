"""Test fixtures shared by every app, and the rule for tests that need services or a browser:
on a developer's machine they skip with a one-line reason; in CI (CI=true) they fail."""

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest
from rest_framework.test import APIClient

from nexus_site.tests.isolation import clear_cache

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port), timeout=2):
            return True
    except (OSError, TypeError):
        return False


def services_problem() -> str | None:
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres") or not redis_url:
        return "needs DATABASE_URL (PostgreSQL) and REDIS_URL"
    if not reachable(database_url):
        return f"PostgreSQL at {urlparse(database_url).hostname} does not answer"
    if not reachable(redis_url):
        return f"Redis at {urlparse(redis_url).hostname} does not answer"
    return None


def chromium_path() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured if os.path.exists(configured) else None
    for candidate in CHROMIUM_CANDIDATES:
        if os.path.exists(candidate):
            return candidate
    return shutil.which("chromium")


def browser_problem() -> str | None:
    if chromium_path() is None:
        return "needs the system Chromium (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "needs the playwright Python package"
    return None


@pytest.fixture(autouse=True)
def _require_marked_resources(request):
    """Skip (locally) or fail (CI) a test whose marked service or browser is missing."""
    for marker, check in (("services", services_problem), ("browser", browser_problem)):
        if request.node.get_closest_marker(marker) is None:
            continue
        problem = check()
        if problem:
            if IN_CI:
                pytest.fail(f"{marker} test in CI: {problem}")
            pytest.skip(problem)


@pytest.fixture(autouse=True)
def _isolated_cache_and_media(settings, tmp_path):
    """Give every test an empty cache (throttles, lockouts) and its own media folder."""
    clear_cache()
    settings.MEDIA_ROOT = tmp_path / "media"
    yield
    clear_cache()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    from accounts.tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def other_user(db):
    from accounts.tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def staff_user(db):
    from accounts.tests.factories import UserFactory
    from nexus_site.definitions.enums import Role

    return UserFactory(role=Role.ADMIN)


# The Origin header of a WebSocket test: the test host, as AllowedHostsOriginValidator wants.
SOCKET_ORIGIN = (b"origin", b"http://testserver")


def access_token(user) -> str:
    """Return a fresh access token (JWT) for ``user``."""
    from accounts.authentication import VersionedRefreshToken

    return str(VersionedRefreshToken.for_user(user).access_token)


def bearer_client(user) -> APIClient:
    """Return an API client that sends a fresh access token for ``user``."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token(user)}")
    return client


@pytest.fixture
def auth_client(user) -> APIClient:
    return bearer_client(user)


@pytest.fixture
def staff_client(staff_user) -> APIClient:
    client = bearer_client(staff_user)
    client.credentials(
        HTTP_AUTHORIZATION=client._credentials["HTTP_AUTHORIZATION"], HTTP_X_SOURCE="admin"
    )
    return client


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Hash passwords cheaply in tests; production keeps Django's PBKDF2 default."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _eager_celery_unless_services(request):
    """Run tasks in-process, except in `services` tests, which bring a real worker."""
    from nexus_site.celery import app

    if request.node.get_closest_marker("services") is not None:
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def fresh_channel_layer(settings):
    """Give the test its own channel layer: a fresh in-memory one, or its own Redis prefix."""
    import uuid

    from channels.layers import get_channel_layer

    layers = {key: dict(value) for key, value in settings.CHANNEL_LAYERS.items()}
    if "redis" in layers["default"]["BACKEND"]:
        config = dict(layers["default"]["CONFIG"])
        config["prefix"] = f"{config.get('prefix', 'nexus')}-test-{uuid.uuid4().hex[:12]}"
        layers["default"]["CONFIG"] = config
    settings.CHANNEL_LAYERS = layers
    return get_channel_layer()
