"""X-Request-ID: taken or made up, answered, logged with the request, carried into tasks."""

from __future__ import annotations

import json
import logging
import re
import sys

import pytest
from celery import shared_task
from rest_framework.test import APIClient

from nexus_site.logs import JsonFormatter
from nexus_site.request_id import (
    TASK_HEADER,
    current_request_id,
    get_request_id,
    request_id_into_task,
)

pytestmark = pytest.mark.django_db

GENERATED = re.compile(r"[0-9a-f]{32}")


@shared_task(name="nexus_site.tests.test_request_id.seen_request_id")
def seen_request_id() -> str:
    return get_request_id()


def test_a_well_formed_request_id_is_answered_back():
    response = APIClient().get("/healthz", HTTP_X_REQUEST_ID="edge-7f3a:9c1b.42_x")
    assert response["X-Request-ID"] == "edge-7f3a:9c1b.42_x"


def test_a_request_without_an_id_gets_a_new_one_each_time():
    first = APIClient().get("/healthz")["X-Request-ID"]
    second = APIClient().get("/healthz")["X-Request-ID"]
    assert GENERATED.fullmatch(first)
    assert GENERATED.fullmatch(second)
    assert first != second


@pytest.mark.parametrize(
    "raw", ["short", "x" * 129, "has space 123", "inject\r\nSet-Cookie: a=b", "<script>1</script>"]
)
def test_a_malformed_request_id_is_replaced(raw):
    response = APIClient().get("/healthz", HTTP_X_REQUEST_ID=raw)
    assert GENERATED.fullmatch(response["X-Request-ID"])


def test_an_error_answer_carries_the_request_id_too():
    response = APIClient().get("/api/v1/no-such-endpoint/", HTTP_X_REQUEST_ID="req-404-abcdef")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "req-404-abcdef"


def test_the_request_id_is_not_left_behind_after_the_request():
    APIClient().get("/healthz", HTTP_X_REQUEST_ID="req-gone-after")
    assert get_request_id() == ""


def test_the_request_is_logged_with_route_status_duration_user_and_id(caplog, auth_client, user):
    with caplog.at_level(logging.INFO, logger="nexus.requests"):
        auth_client.get("/api/v1/auth/me/", HTTP_X_REQUEST_ID="req-logged-1234")
    (record,) = [r for r in caplog.records if r.name == "nexus.requests"]
    assert record.route == "/api/v1/auth/me/"
    assert record.status == 200
    assert record.method == "GET"
    assert record.duration_ms >= 0
    assert record.user_id == str(user.pk)
    assert record.request_id == "req-logged-1234"


def test_an_anonymous_request_is_logged_without_a_user(caplog):
    with caplog.at_level(logging.INFO, logger="nexus.requests"):
        APIClient().get("/healthz")
    (record,) = [r for r in caplog.records if r.name == "nexus.requests"]
    assert record.user_id is None


def test_a_task_sent_while_serving_a_request_carries_its_id():
    headers: dict = {}
    token = current_request_id.set("req-into-task-1")
    try:
        request_id_into_task(headers=headers)
    finally:
        current_request_id.reset(token)
    assert headers == {TASK_HEADER: "req-into-task-1"}


def test_a_task_without_a_request_sends_no_id():
    headers: dict = {}
    request_id_into_task(headers=headers)
    assert headers == {}


def test_a_worker_runs_a_task_under_the_id_it_was_sent_with():
    assert seen_request_id.apply(headers={TASK_HEADER: "req-from-web-77"}).get() == (
        "req-from-web-77"
    )
    assert get_request_id() == ""  # restored after the task


def test_an_eager_task_runs_under_the_callers_id():
    token = current_request_id.set("req-eager-caller")
    try:
        assert seen_request_id.delay().get() == "req-eager-caller"
    finally:
        current_request_id.reset(token)


def test_a_task_sent_by_no_request_gets_an_id_of_its_own():
    assert GENERATED.fullmatch(seen_request_id.delay().get())


def test_json_logs_carry_the_request_id_and_extra_fields():
    record = logging.LogRecord("nexus.requests", logging.INFO, __file__, 1, "GET %s", ("/x",), None)
    record.route = "/x"
    token = current_request_id.set("req-json-0001")
    try:
        line = JsonFormatter().format(record)
    finally:
        current_request_id.reset(token)
    entry = json.loads(line)
    assert entry["message"] == "GET /x"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "nexus.requests"
    assert entry["route"] == "/x"
    assert entry["request_id"] == "req-json-0001"
    assert "\n" not in line


def test_json_logs_keep_the_exception():
    try:
        raise ValueError("broken")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    entry = json.loads(JsonFormatter().format(record))
    assert "ValueError: broken" in entry["exception"]
