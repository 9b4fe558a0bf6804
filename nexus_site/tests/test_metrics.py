"""/metrics: each metric family appears after the action it counts; the endpoint's token."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from conftest import SOCKET_ORIGIN, access_token
from nexus_site.asgi import application
from nexus_site.beat import record_tick
from nexus_site.events.retention import register_retention_floor
from nexus_site.events.services import publish
from nexus_site.tasks import ping
from patterns.models import Execution
from patterns.services import execution_start
from patterns.tasks import reclaim_executions
from patterns.tests.conftest import FAIL, RECORD, test_steps  # noqa: F401 - a fixture
from patterns.tests.factories import make_pattern
from workspace.ai_usage import services as ai_services

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-0123456789"


@pytest.fixture(autouse=True)
def _metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN


def scrape() -> str:
    client = APIClient()
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def value(text: str, name: str, **labels: str) -> float:
    """Return the sample ``name`` with ``labels`` in an exposition (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def has_sample(text: str, name: str, **labels: str) -> bool:
    return any(
        sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    )


# --- the endpoint ------------------------------------------------------------------------------


def test_metrics_answer_404_when_no_token_is_configured(settings):
    settings.METRICS_TOKEN = ""
    response = APIClient().get("/metrics", HTTP_AUTHORIZATION="Bearer anything")
    assert response.status_code == 404
    assert b"nexus_" not in response.content


@pytest.mark.parametrize(
    "header", [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer "]
)
def test_metrics_refuse_a_missing_or_wrong_token_alike(header):
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    response = APIClient().get("/metrics", **extra)
    assert response.status_code == 401
    assert response.content == b""
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'


def test_metrics_refuse_writes():
    response = APIClient().post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 405


# --- HTTP --------------------------------------------------------------------------------------


def test_requests_are_counted_by_route_template_not_raw_path(auth_client):
    task_id = uuid.uuid4()
    route = "/api/v1/tasks/<uuid:task_id>/"
    before = scrape()
    assert auth_client.get(f"/api/v1/tasks/{task_id}/").status_code == 404
    after = scrape()
    assert value(after, "nexus_http_requests_total", route=route, method="GET", status="404") == (
        value(before, "nexus_http_requests_total", route=route, method="GET", status="404") + 1
    )
    assert (
        value(after, "nexus_http_request_duration_seconds_count", route=route, method="GET")
        == value(before, "nexus_http_request_duration_seconds_count", route=route, method="GET") + 1
    )
    assert value(after, "nexus_http_request_db_queries_count", route=route) == (
        value(before, "nexus_http_request_db_queries_count", route=route) + 1
    )
    assert value(after, "nexus_http_request_db_queries_sum", route=route) > value(
        before, "nexus_http_request_db_queries_sum", route=route
    )  # the task lookup ran at least one query
    assert str(task_id) not in after


def test_unknown_paths_share_one_label():
    before = scrape()
    APIClient().get(f"/no/such/{uuid.uuid4()}/")
    after = scrape()
    labels = {"route": "<unmatched>", "method": "GET", "status": "404"}
    assert value(after, "nexus_http_requests_total", **labels) == (
        value(before, "nexus_http_requests_total", **labels) + 1
    )


def test_unusual_methods_share_one_label():
    APIClient().generic("BREW", "/healthz")
    assert has_sample(scrape(), "nexus_http_requests_total", route="/healthz", method="other")


# --- pattern runs ------------------------------------------------------------------------------


def start_run(user, steps, capture):
    pattern = make_pattern(user, steps=steps)
    with capture(execute=True):
        execution, _created = execution_start(actor=user, pattern=pattern, input={})
    execution.refresh_from_db()
    return pattern, execution


def record_step(step_id: str) -> dict:
    return {"id": step_id, "type": RECORD, "parameters": {"label": step_id}, "depends_on": []}


@pytest.mark.usefixtures("test_steps")
def test_a_succeeded_run_counts_its_start_success_and_step_durations(
    user, django_capture_on_commit_callbacks
):
    before = scrape()
    pattern, execution = start_run(user, [record_step("a")], django_capture_on_commit_callbacks)
    assert execution.status == "succeeded"
    after = scrape()
    assert value(after, "nexus_pattern_runs_started_total", pattern=pattern.key) == 1
    assert value(after, "nexus_pattern_runs_succeeded_total", pattern=pattern.key) == 1
    assert value(after, "nexus_pattern_runs_failed_total", pattern=pattern.key) == 0
    steps = "nexus_pattern_step_duration_seconds_count"
    assert value(after, steps, step_type=RECORD) == value(before, steps, step_type=RECORD) + 1
    assert value(after, "nexus_events_written_total", type="pattern_executed") == (
        value(before, "nexus_events_written_total", type="pattern_executed") + 1
    )


@pytest.mark.usefixtures("test_steps")
def test_a_failed_run_counts_as_failed(user, django_capture_on_commit_callbacks):
    failing = {"id": "x", "type": FAIL, "depends_on": []}
    pattern, execution = start_run(user, [failing], django_capture_on_commit_callbacks)
    assert execution.status == "failed"
    after = scrape()
    assert value(after, "nexus_pattern_runs_failed_total", pattern=pattern.key) == 1
    assert value(after, "nexus_pattern_runs_succeeded_total", pattern=pattern.key) == 0


def test_events_of_a_rolled_back_transaction_are_not_counted(django_capture_on_commit_callbacks):
    from django.db import transaction

    before = value(scrape(), "nexus_events_written_total", type="metrics_probe")
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                publish("metrics_probe", {})
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        publish("metrics_probe", {})
    assert value(scrape(), "nexus_events_written_total", type="metrics_probe") == before + 1


@pytest.mark.usefixtures("test_steps")
def test_runs_waiting_and_reclaims(user):
    pattern = make_pattern(user, steps=[record_step("a")])
    execution, _created = execution_start(actor=user, pattern=pattern, input={})  # not enqueued
    Execution.objects.filter(pk=execution.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=1)
    )
    before = scrape()
    assert value(before, "nexus_pattern_runs_waiting") == 1
    assert reclaim_executions.delay().get() == 1  # eager: re-queued and run to its end
    after = scrape()
    assert value(after, "nexus_pattern_runs_waiting") == 0
    assert value(after, "nexus_pattern_lease_reclaims_total") == (
        value(before, "nexus_pattern_lease_reclaims_total") + 1
    )


# --- Celery, beat, outbox ----------------------------------------------------------------------


def test_an_eager_task_is_timed_and_queues_read_zero():
    name = "nexus_site.tasks.ping"
    before = scrape()
    ping.delay(uuid.uuid4().hex)
    after = scrape()
    count = "nexus_celery_task_duration_seconds_count"
    assert value(after, count, task=name, state="SUCCESS") == (
        value(before, count, task=name, state="SUCCESS") + 1
    )
    assert has_sample(after, "nexus_celery_queue_depth", queue="nexus")
    assert value(after, "nexus_celery_queue_depth", queue="nexus") == 0


def test_seconds_since_the_last_beat_tick():
    assert not has_sample(scrape(), "nexus_beat_seconds_since_last_tick")
    record_tick(at=timezone.now().timestamp() - 300)
    assert 300 <= value(scrape(), "nexus_beat_seconds_since_last_tick") < 3600


def test_outbox_lag_is_the_distance_to_the_slowest_cursor(monkeypatch):
    first = publish("metrics_probe", {})
    for _ in range(3):
        last = publish("metrics_probe", {})
    monkeypatch.setattr("nexus_site.events.retention._floors", {})
    register_retention_floor("probe", lambda: first.id + 1)  # read the first one only
    assert value(scrape(), "nexus_events_outbox_lag") == last.id - first.id


# --- accounts ----------------------------------------------------------------------------------


def test_failed_logins_and_the_lockout_are_counted(django_capture_on_commit_callbacks):
    account = UserFactory()
    before = scrape()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            response = APIClient().post(
                "/api/v1/auth/token/",
                {"email": account.email, "password": "wrong password"},
                format="json",
            )
            assert response.status_code in (401, 403)
    after = scrape()
    assert value(after, "nexus_login_failures_total") == (
        value(before, "nexus_login_failures_total") + 5
    )
    assert value(after, "nexus_login_lockouts_total") == (
        value(before, "nexus_login_lockouts_total") + 1
    )


# --- AI usage ----------------------------------------------------------------------------------


def test_ai_cost_is_counted_by_model(user, django_capture_on_commit_callbacks):
    model = f"model-{uuid.uuid4().hex[:8]}"
    with django_capture_on_commit_callbacks(execute=True):
        ai_services.interaction_record(
            user=user, module="chat", model=model, usage={"input": 1}, cost=Decimal("0.25")
        )
    after = scrape()
    assert value(after, "nexus_ai_cost_total", model=model) == 0.25
    assert value(after, "nexus_ai_interactions_total", model=model) == 1


# --- WebSockets --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_channel_layer")
def test_socket_connections_and_frames_are_counted(user):
    async_to_sync(socket_session)(user)


async def socket_session(user) -> None:
    route = "/ws/events/"
    token = await database_sync_to_async(access_token)(user)
    await database_sync_to_async(publish)("metrics_probe", {}, user_ids=[user.id])
    before = await database_sync_to_async(scrape)()
    communicator = WebsocketCommunicator(
        application, f"/ws/events/?token={token}&after=0", headers=[SOCKET_ORIGIN]
    )
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from(timeout=3))["type"] == "metrics_probe"
    during = await database_sync_to_async(scrape)()
    await communicator.send_to(text_data="ignored")
    await communicator.disconnect()  # after the frame: both are read before the app ends
    after = await database_sync_to_async(scrape)()
    open_now = "nexus_websocket_connections"
    assert value(during, open_now, route=route) == value(before, open_now, route=route) + 1
    assert value(after, open_now, route=route) == value(before, open_now, route=route)
    opened = "nexus_websocket_connections_opened_total"
    assert value(after, opened, route=route) == value(before, opened, route=route) + 1
    frames = "nexus_websocket_messages_total"
    for direction in ("in", "out"):
        assert value(after, frames, route=route, direction=direction) == (
            value(before, frames, route=route, direction=direction) + 1
        )


# --- the docs ----------------------------------------------------------------------------------


def test_the_dashboard_and_alert_rules_use_only_metrics_that_exist():
    import json
    import re
    from pathlib import Path

    from django.conf import settings

    record_tick()
    exposed = {family.name for family in text_string_to_metric_families(scrape())}
    docs = Path(settings.BASE_DIR) / "docs"
    dashboard = json.loads((docs / "grafana" / "nexus.json").read_text())
    expressions = " ".join(
        target["expr"] for panel in dashboard["panels"] for target in panel["targets"]
    )
    operations = (docs / "OPERATIONS.md").read_text()
    section = operations[operations.index("## Metrics and alerts") :]
    used = set(re.findall(r"\bnexus_[a-z_]+\b(?!/)", expressions + section))
    assert len(used) > 15
    families = {re.sub(r"(_bucket|_sum|_count|_total)$", "", name) for name in used}
    assert families - exposed == set()


# --- multiprocess mode -------------------------------------------------------------------------

COUNT_IN_A_PROCESS = """
import django, sys
django.setup()
from nexus_site import metrics
if sys.argv[1].startswith("count"):
    metrics.login_failures.inc()
    metrics.websocket_connections.labels("/ws/events/").inc()
    if sys.argv[1] == "count-and-end":  # as a prefork child ends
        metrics.worker_child_exited(pid=None)
else:
    sys.stdout.write(metrics.exposition().decode())
"""


def test_multiprocess_mode_adds_up_every_process_and_drops_an_ended_ones_live_gauges(tmp_path):
    import os
    import subprocess
    import sys

    from django.conf import settings

    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "nexus_site.settings",
        "NEXUS_VAR_DIR": str(tmp_path / "var"),
    }

    def run(*args: str) -> str:
        return subprocess.run(
            [sys.executable, "-c", COUNT_IN_A_PROCESS, *args],
            env=env,
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout

    run("count")  # a process still alive, as far as the directory knows
    run("count-and-end")
    text = run("scrape")
    assert value(text, "nexus_login_failures_total") == 2
    assert value(text, "nexus_websocket_connections", route="/ws/events/") == 1
