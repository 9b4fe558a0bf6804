"""Production settings: refuse to start without a secret key, and pass Django's deploy check."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("entry_point", ["nexus_site.asgi", "nexus_site.wsgi"])
def test_production_web_refuses_to_start_without_a_secret_key(entry_point):
    result = run_python(f"import {entry_point}", DJANGO_DEBUG="false")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("process", [["worker", "--pool=solo"], ["beat"]])
def test_production_worker_and_beat_refuse_to_start_without_a_secret_key(process):
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "CELERY_"))
    }
    celery = Path(sys.executable).parent / "celery"
    # The broker port is closed: a process that got past the check would hang retrying it.
    env = {**clean, "DJANGO_DEBUG": "false", "CELERY_BROKER_URL": "redis://127.0.0.1:1/0"}

    result = subprocess.run(
        [str(celery), "-A", "nexus_site", *process, "-l", "warning"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stdout + result.stderr


def test_deploy_check_reports_a_missing_secret_key():
    result = run_manage("check", "--deploy", DJANGO_DEBUG="false")

    assert result.returncode != 0
    assert "nexus.E001" in result.stderr


def test_offline_commands_work_without_a_secret_key():
    result = run_manage("makemigrations", "--check", "--dry-run")

    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_deploy_check_is_clean_with_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="a-long-random-production-secret-" + "x" * 40,
        DJANGO_ALLOWED_HOSTS="nexus.example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_postgres_url_uses_psycopg_pool(tmp_path):
    code = (
        "from django.conf import settings as s; "
        "db = s.DATABASES['default']; "
        "print(db['ENGINE'], 'pool' in db['OPTIONS'], db['CONN_MAX_AGE'])"
    )
    result = run_manage(
        "shell",
        "-c",
        code,
        DJANGO_DEBUG="true",
        DATABASE_URL="postgres://nexus@db.invalid:5432/nexus",
    )

    assert result.stdout.strip().splitlines()[-1].split() == [
        "django.db.backends.postgresql",
        "True",
        "0",
    ], result.stderr
