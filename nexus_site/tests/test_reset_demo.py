"""manage.py reset_demo: a development or embedded instance goes back to a fresh seed (rows per
table, media files, cache); a production one is refused and nothing changes."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts.models import User
from accounts.tests.factories import UserFactory
from nexus_site.operations.environment import InstanceKind, instance_kind
from nexus_site.tests.instance_state import media_hashes, row_counts
from workspace.tests.files.factories import upload_file

ON_POSTGRESQL = connection.vendor == "postgresql"


def model_rows() -> dict[str, int]:
    """Rows of every model's table (SQLite's full-text index keeps internal tables whose row
    counts follow the index's history, not its content)."""
    with connection.cursor() as cursor:
        tables = sorted(connection.introspection.django_table_names(only_existing=True))
        return row_counts(cursor, connection.vendor, tables)


def seed() -> None:
    call_command("install_system_patterns", stdout=StringIO())
    call_command("seed_demo", "--force", stdout=StringIO())


@pytest.mark.parametrize(
    ("debug", "vendor", "kind"),
    [
        (True, "postgresql", InstanceKind.DEVELOPMENT),
        (True, "sqlite", InstanceKind.DEVELOPMENT),
        (False, "sqlite", InstanceKind.EMBEDDED),
        (False, "postgresql", InstanceKind.PRODUCTION),
        (False, "mysql", InstanceKind.PRODUCTION),
    ],
)
def test_the_instance_kind_follows_debug_and_the_database(debug, vendor, kind):
    assert instance_kind(debug=debug, vendor=vendor) == kind


@pytest.mark.django_db(transaction=True)  # seeding onboards each account on commit
def test_reset_brings_a_used_instance_back_to_a_fresh_seed(settings):
    settings.DEBUG = True
    seed()
    fresh_rows = model_rows()
    fresh_files = media_hashes(Path(settings.MEDIA_ROOT))
    assert fresh_files
    newcomer = UserFactory()
    upload_file(newcomer, b"not demo data\n", "mine.txt")
    cache.set("left-over", 1)
    assert model_rows() != fresh_rows

    call_command("reset_demo", "--no-input", stdout=StringIO())

    assert model_rows() == fresh_rows
    assert media_hashes(Path(settings.MEDIA_ROOT)) == fresh_files
    assert not User.objects.filter(pk=newcomer.pk).exists()
    assert cache.get("left-over") is None


@pytest.mark.django_db
def test_reset_asks_first_and_a_no_changes_nothing(settings, monkeypatch):
    settings.DEBUG = True
    user = UserFactory()
    questions = []

    def answer(question: str) -> str:
        questions.append(question)
        return "no"

    monkeypatch.setattr("builtins.input", answer)

    with pytest.raises(CommandError, match="Reset cancelled"):
        call_command("reset_demo", stdout=StringIO())

    [question] = questions
    assert str(settings.MEDIA_ROOT) in question
    assert User.objects.filter(pk=user.pk).exists()


@pytest.mark.skipif(not ON_POSTGRESQL, reason="production runs on PostgreSQL")
@pytest.mark.django_db
def test_reset_refuses_production_and_changes_nothing(settings):
    settings.DEBUG = False
    user = UserFactory()
    upload_file(user, b"customer contract\n", "contract.txt")
    files = media_hashes(Path(settings.MEDIA_ROOT))

    with pytest.raises(CommandError, match="This is a production instance") as error:
        call_command("reset_demo", "--no-input", stdout=StringIO())

    assert error.value.returncode != 0
    assert User.objects.filter(pk=user.pk).exists()
    assert media_hashes(Path(settings.MEDIA_ROOT)) == files


@pytest.mark.skipif(ON_POSTGRESQL, reason="the embedded default runs on SQLite")
@pytest.mark.django_db(transaction=True)
def test_reset_runs_on_the_embedded_default_with_debug_off(settings):
    settings.DEBUG = False
    UserFactory(email="someone@example.com")

    call_command("reset_demo", "--no-input", stdout=StringIO())

    assert not User.objects.filter(email="someone@example.com").exists()
    assert User.objects.filter(email="admin@nexus.local").exists()
