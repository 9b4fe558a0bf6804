"""The request id: taken from a well-formed ``X-Request-ID`` or made up, answered in the same
header, kept in a contextvar for the logs, and carried into the Celery tasks a request sends
(a message header set at publish, restored before the task runs)."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from celery import signals as celery_signals
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"
TASK_HEADER = "nexus_request_id"
# Long enough for a UUID or a proxy's trace id, short and plain enough to log safely.
WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{8,128}")

current_request_id: ContextVar[str] = ContextVar("current_request_id", default="")


def get_request_id() -> str:
    """Return the id of the request (or task) being served; empty outside of one."""
    return current_request_id.get()


def request_id_from(raw: str | None) -> str:
    """Return ``raw`` when it is a well-formed request id, a new one otherwise."""
    raw = (raw or "").strip()
    return raw if WELL_FORMED.fullmatch(raw) else uuid.uuid4().hex


class RequestIdMiddleware:
    """Give each request an id, keep it for the logs and tasks, and answer it in a header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.META.get(META_KEY))
        request.request_id = request_id
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response[HEADER] = request_id
        return response


@celery_signals.before_task_publish.connect(dispatch_uid="nexus_request_id_publish")
def request_id_into_task(headers: dict | None = None, **kwargs) -> None:
    """Put the current request id in the message of a task sent while serving a request."""
    request_id = get_request_id()
    if request_id and headers is not None and TASK_HEADER not in headers:
        headers[TASK_HEADER] = request_id


_task_tokens: dict[str, object] = {}


@celery_signals.task_prerun.connect(dispatch_uid="nexus_request_id_prerun")
def request_id_from_task(task_id: str | None = None, task=None, **kwargs) -> None:
    """Restore the request id a task was sent with, so the worker's logs carry it."""
    request = getattr(task, "request", None)
    sent_with = getattr(request, TASK_HEADER, None) or (
        (getattr(request, "headers", None) or {}).get(TASK_HEADER)
    )
    if sent_with is None and getattr(request, "is_eager", False):
        sent_with = get_request_id() or None  # run inline: the caller's own id
    if task_id:
        _task_tokens[task_id] = current_request_id.set(request_id_from(sent_with))


@celery_signals.task_postrun.connect(dispatch_uid="nexus_request_id_postrun")
def request_id_after_task(task_id: str | None = None, **kwargs) -> None:
    token = _task_tokens.pop(task_id, None) if task_id else None
    if token is not None:
        with contextlib.suppress(ValueError):  # set in another context: leave it
            current_request_id.reset(token)
