"""Celery: the app's delivery guarantees, and a real worker running a task from the queue."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings

from nexus_site.celery import app as celery_app
from nexus_site.definitions import constants
from nexus_site.events.models import Event
from nexus_site.tasks import PING_EVENT_TYPE, ping

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")
WORKER_DEADLINE_SECONDS = 60
# The longest countdown any task is scheduled with (retry backoff caps stay below this).
LONGEST_COUNTDOWN_SECONDS = 60 * 60


def database_url() -> str:
    """Return a URL for the database this test run uses (the test database)."""
    db = django_settings.DATABASES["default"]
    credentials = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = f"{credentials}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
    return f"postgres://{host}/{quote(str(db['NAME']), safe='')}"


@pytest.fixture
def not_eager(settings):
    """Send tasks to the broker instead of running them in this process."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def worker_queue(tmp_path):
    """Start a real worker on a queue of its own (others may share this Redis); stop it after."""
    queue = f"nexus-test-{uuid.uuid4().hex[:12]}"
    log_path = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DATABASE_POOL_MIN": "0",
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        str(CELERY), "-A", "nexus_site", "worker", "--pool=solo", "-Q", queue,
        "--concurrency=1", "-l", "info", "-n", f"{queue}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    with log_path.open("w") as log:
        worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield queue, worker, log_path
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_a_queued_task_against_the_database(not_eager, worker_queue):
    queue, worker, log_path = worker_queue
    token = uuid.uuid4().hex

    ping.apply_async(args=[token], queue=queue)

    deadline = time.monotonic() + WORKER_DEADLINE_SECONDS
    event = None
    while event is None and time.monotonic() < deadline:
        assert worker.poll() is None, f"the worker stopped:\n{log_path.read_text()}"
        event = Event.objects.filter(type=PING_EVENT_TYPE, payload__token=token).first()
        if event is None:
            time.sleep(0.5)
    assert event is not None, f"no result in {WORKER_DEADLINE_SECONDS}s:\n{log_path.read_text()}"
    assert event.audience_users == []
    assert event.audience_node == ""
    log = log_path.read_text()
    assert "Task nexus_site.tasks.ping[" in log  # this worker ran it, not an eager call
    assert "] received" in log


@pytest.mark.django_db
def test_ping_is_idempotent():
    token = uuid.uuid4().hex

    first, again = ping(token), ping(token)

    assert first == again
    assert Event.objects.filter(type=PING_EVENT_TYPE).count() == 1


def test_ping_is_registered_under_its_dotted_name():
    assert celery_app.tasks["nexus_site.tasks.ping"].name == ping.name


def test_messages_are_json_only():
    conf = celery_app.conf

    assert conf.task_serializer == "json"
    assert conf.result_serializer == "json"
    assert list(conf.accept_content) == ["json"]


def test_a_task_is_acknowledged_only_after_it_ran():
    conf = celery_app.conf

    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1


def test_tasks_have_time_limits_within_the_visibility_timeout():
    conf = celery_app.conf
    visibility_timeout = conf.broker_transport_options["visibility_timeout"]

    assert 0 < conf.task_soft_time_limit < conf.task_time_limit
    assert visibility_timeout > conf.task_time_limit
    assert visibility_timeout > LONGEST_COUNTDOWN_SECONDS
    assert visibility_timeout == constants.CELERY_VISIBILITY_TIMEOUT_SECONDS


def test_beat_uses_the_database_scheduler_and_tasks_go_to_the_nexus_queue():
    conf = celery_app.conf

    from celery.utils.imports import symbol_by_name
    from django_celery_beat.schedulers import DatabaseScheduler

    assert issubclass(symbol_by_name(conf.beat_scheduler), DatabaseScheduler)
    assert conf.task_default_queue == "nexus"
