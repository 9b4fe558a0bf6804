"""The quick start (`make run`): the app's own error pages, never Django's debug 404 listing
every URL pattern, and e-mail links to the HOST and PORT it serves on."""

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IGNORED_ENV = ("DJANGO_", "DATABASE_", "REDIS_URL", "NEXUS_", "SITE_URL", "HOST", "PORT")


def clean_env(**env: str) -> dict[str, str]:
    kept = {key: value for key, value in os.environ.items() if not key.startswith(IGNORED_ENV)}
    return {**kept, **env}


def make_run_environment(*make_args: str) -> str:
    """Return the environment assignments `make run` starts its server with (a dry run)."""
    dry_run = subprocess.run(
        ["make", "--dry-run", "--no-print-directory", "run", *make_args],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    server = next(line for line in dry_run.stdout.splitlines() if "daphne" in line)
    return server.split(" exec ")[0]


def python_under(environment: str, code: str) -> str:
    """Run ``code`` in a fresh Python process started with ``environment``; return its output."""
    command = f"{environment} {shlex.quote(sys.executable)} -c {shlex.quote(code)}"
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=ROOT,
        env=clean_env(DJANGO_SECRET_KEY="quick-start-test-key", DJANGO_SETTINGS_MODULE=""),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


PAGE_OF_404 = """
import os
os.environ["DJANGO_SETTINGS_MODULE"] = "nexus_site.settings"
import django
django.setup()
from django.test import Client
response = Client(HTTP_HOST="127.0.0.1").get("/no-such-page/")
print(response.status_code)
print(response.content.decode())
"""


@pytest.mark.skipif(not Path("/usr/bin/make").exists(), reason="make is not installed")
def test_make_run_answers_a_missing_page_with_the_apps_own_404_page():
    output = python_under(make_run_environment(), PAGE_OF_404)

    status, page = output.split("\n", 1)
    assert status == "404"
    assert "The page you asked for does not exist or has moved." in page
    assert "URLconf" not in page  # Django's debug page lists the URL patterns it tried


@pytest.mark.skipif(not Path("/usr/bin/make").exists(), reason="make is not installed")
def test_make_run_on_another_port_sends_e_mail_links_to_that_port():
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'nexus_site.settings'; "
        "from django.conf import settings; print(settings.SITE_URL)"
    )

    site_url = python_under(make_run_environment("PORT=9123", "HOST=0.0.0.0"), code).strip()

    assert site_url == "http://127.0.0.1:9123"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "http://127.0.0.1:8000"),
        ({"HOST": "localhost", "PORT": "8080"}, "http://localhost:8080"),
        ({"HOST": "::1", "PORT": "8080"}, "http://[::1]:8080"),
        (
            {"HOST": "0.0.0.0", "PORT": "8080", "SITE_URL": "https://nexus.example.com/"},
            "https://nexus.example.com",
        ),
    ],
)
def test_site_url_follows_host_and_port_unless_it_is_set(env, expected):
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'nexus_site.settings'; "
        "from django.conf import settings; print(settings.SITE_URL)"
    )
    assignments = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items())

    assert python_under(assignments, code).strip() == expected
