"""manage.py verify_setup: one line per check, a non-zero exit when any fails."""

import socket
import struct
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings

pytestmark = pytest.mark.django_db

EMPTY_CATALOGUE = struct.pack("<7I", 0x950412DE, 0, 0, 28, 28, 0, 28)  # a valid empty .mo


def closed_port() -> int:
    """Return a local TCP port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def locale_dir(settings, tmp_path):
    """Use an empty folder as the only locale path."""
    path = tmp_path / "locale"
    path.mkdir()
    settings.LOCALE_PATHS = [path]
    return path


@pytest.fixture
def compiled_catalogues(settings, locale_dir):
    """Give every language but English a compiled catalogue."""
    for code, _name in settings.LANGUAGES:
        if code != "en":
            folder = locale_dir / code / "LC_MESSAGES"
            folder.mkdir(parents=True)
            (folder / "django.mo").write_bytes(EMPTY_CATALOGUE)
    return locale_dir


@pytest.fixture
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


def verify_setup() -> tuple[list[str], int]:
    """Run the command; return its output lines and exit code."""
    out = StringIO()
    try:
        call_command("verify_setup", stdout=out)
    except CommandError as error:
        return out.getvalue().splitlines(), error.returncode
    return out.getvalue().splitlines(), 0


def test_passes_on_a_migrated_database_with_compiled_catalogues(compiled_catalogues, eager):
    lines, code = verify_setup()

    assert code == 0
    assert lines == [
        "database: ok",
        "migrations: ok",
        "cache: ok",
        "broker: eager",
        "beat: eager",
        "catalogues: ok",
    ]


def test_fails_when_a_language_has_no_compiled_catalogue(compiled_catalogues, eager):
    (compiled_catalogues / "de" / "LC_MESSAGES" / "django.mo").unlink()

    lines, code = verify_setup()

    assert code != 0
    assert lines[-1] == "catalogues: FAIL: no compiled catalogue (run compilemessages) for: de"
    assert lines[:4] == ["database: ok", "migrations: ok", "cache: ok", "broker: eager"]


def test_a_source_catalogue_alone_is_not_enough(locale_dir, eager):
    folder = locale_dir / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "django.po").write_text('msgid ""\nmsgstr ""\n')

    lines, code = verify_setup()

    assert code != 0
    assert "fr" in lines[-1]
    assert lines[-1].startswith("catalogues: FAIL:")


def test_catalogues_may_come_from_any_locale_path(settings, compiled_catalogues, tmp_path, eager):
    empty = tmp_path / "empty-locale"
    empty.mkdir()
    settings.LOCALE_PATHS = [empty, compiled_catalogues]

    _lines, code = verify_setup()

    assert code == 0


def test_fails_when_a_migration_is_not_applied(compiled_catalogues, eager):
    # The newest one: a migration whose successor is recorded counts as reached.
    latest = MigrationRecorder.Migration.objects.filter(app="events").order_by("-name").first()
    latest.delete()

    lines, code = verify_setup()

    assert code != 0
    assert f"migrations: FAIL: 1 unapplied migration: events.{latest.name}" in lines


def test_fails_when_the_cache_is_down(compiled_catalogues, eager):
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }
    with override_settings(CACHES=caches):
        lines, code = verify_setup()

    assert code != 0
    assert any(line.startswith("cache: FAIL: ") for line in lines)
    assert "catalogues: ok" in lines  # every check still runs


def test_fails_when_the_broker_is_down(compiled_catalogues, settings):
    from nexus_site.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    original = app.conf.broker_url
    app.conf.broker_url = f"redis://127.0.0.1:{closed_port()}/0"
    try:
        lines, code = verify_setup()
    finally:
        app.conf.broker_url = original

    assert code != 0
    assert any(line.startswith("broker: FAIL: ") for line in lines)


@pytest.fixture
def queued(settings):
    """Tasks go to a broker, so a beat must run (the broker itself is not reached here)."""
    settings.CELERY_TASK_ALWAYS_EAGER = False


def beat_line(lines: list[str]) -> str:
    [line] = [line for line in lines if line.startswith("beat: ")]
    return line


def test_fails_when_no_beat_has_ever_ticked(compiled_catalogues, queued):
    lines, code = verify_setup()

    assert code != 0
    assert beat_line(lines) == (
        "beat: FAIL: no beat has ever ticked: run exactly one beat process "
        "(celery -A nexus_site beat)"
    )


def test_fails_when_beat_last_ticked_long_ago(compiled_catalogues, queued):
    from nexus_site.beat import LATE_AFTER_SECONDS, record_tick

    record_tick(at=time.time() - LATE_AFTER_SECONDS - 60)

    lines, code = verify_setup()

    assert code != 0
    assert beat_line(lines).startswith("beat: FAIL: beat last ticked ")


@pytest.mark.django_db(transaction=True)  # the scheduler closes and reopens its connection
def test_beat_is_ok_after_the_scheduler_ticks(compiled_catalogues, queued):
    from nexus_site.beat import GuardedDatabaseScheduler
    from nexus_site.celery import app

    GuardedDatabaseScheduler(app=app).tick()

    lines, _code = verify_setup()

    assert beat_line(lines) == "beat: ok"
