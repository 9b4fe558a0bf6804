"""``http.request``: call an HTTP endpoint from a run, through the same egress rules as
outgoing webhooks (``webhooks.egress``): http(s) only, no private, loopback or link-local
address unless the operator allows them, the checked address connected to (no DNS
rebinding), no redirects followed, timeouts and a cap on what is read.

The answer's status, a few headers and its body (parsed when it is JSON) are the step's
output. A 4xx or 5xx answer fails the step with ``http_error`` (``details.status`` says
which), so a retry policy can retry it; ``accept_statuses`` lists answers that are fine.
The call leaves Nexus: it cannot be undone, and a retried step calls again.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext_lazy as _

from patterns.steps import StepError, StepType, register
from patterns.steps.context import StepContext
from webhooks import egress

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
MAX_TIMEOUT_SECONDS = 30
MAX_BODY_BYTES = 256 * 1024
MAX_OUTPUT_TEXT = 64 * 1024
KEPT_HEADERS = ("content-type", "location", "etag", "retry-after")
FORBIDDEN_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})


def request_body(parameters: dict[str, Any]) -> tuple[bytes | None, dict[str, str]]:
    if "json" in parameters:
        body = json.dumps(parameters["json"], ensure_ascii=False).encode()
        kind = {"Content-Type": "application/json"}
    elif "body" in parameters:
        body, kind = str(parameters["body"]).encode(), {"Content-Type": "text/plain; charset=utf-8"}
    else:
        return None, {}
    if len(body) > MAX_BODY_BYTES:
        raise StepError(
            _("The request body is larger than %(limit)s bytes.") % {"limit": MAX_BODY_BYTES},
            code="invalid_parameters",
        )
    return body, kind


def answer_of(response: egress.EgressResponse) -> dict[str, Any]:
    output: dict[str, Any] = {
        "status": response.status,
        "headers": {
            name: value for name, value in response.headers.items() if name.lower() in KEPT_HEADERS
        },
        "elapsed_ms": response.elapsed_ms,
    }
    text = response.body.decode("utf-8", errors="replace")
    content_type = next(
        (value for name, value in response.headers.items() if name.lower() == "content-type"), ""
    )
    if "json" in content_type:
        try:
            output["json"] = json.loads(text)
            return output
        except ValueError:
            pass
    output["text"] = text[:MAX_OUTPUT_TEXT]
    return output


def run_http_request(context: StepContext, parameters: dict[str, Any]) -> dict[str, Any]:
    headers = {str(name): str(value) for name, value in (parameters.get("headers") or {}).items()}
    refused = sorted(name for name in headers if name.lower() in FORBIDDEN_HEADERS)
    if refused:
        raise StepError(
            _("These headers are set by Nexus: %(names)s") % {"names": ", ".join(refused)},
            code="invalid_parameters",
        )
    body, kind = request_body(parameters)
    method = parameters.get("method", "GET")
    timeout = float(parameters.get("timeout_seconds", 10))
    try:
        if context.dry_run:  # nothing leaves Nexus in a dry run: only the URL is checked
            egress.check_url(parameters["url"])
            return {"would_call": method, "url": parameters["url"]}
        response = egress.request(
            method,
            parameters["url"],
            headers={**kind, **headers, "User-Agent": "Nexus-Patterns/1"},
            body=body,
            timeout=(min(timeout, 5.0), timeout),
        )
    except egress.EgressError as exc:
        raise StepError(exc.message, code=exc.code) from exc
    output = answer_of(response)
    accepted = parameters.get("accept_statuses") or []
    if response.status >= 400 and response.status not in accepted:
        raise StepError(
            _("The server answered %(status)s.") % {"status": response.status},
            code="http_error",
            details={"status": response.status, "body": output.get("text", "")[:2000]},
        )
    return output


register(
    StepType(
        name="http.request",
        description=_(
            "Call an HTTP endpoint (no private addresses unless the operator allows them); "
            "its status and body are the output, and a 4xx or 5xx answer fails the step."
        ),
        schema={
            "type": "object",
            "properties": {
                "method": {"enum": METHODS},
                "url": {"type": "string", "minLength": 8, "maxLength": 2000},
                "headers": {
                    "type": "object",
                    "maxProperties": 20,
                    "additionalProperties": {"type": "string", "maxLength": 2000},
                },
                "json": {},
                "body": {"type": "string"},
                "timeout_seconds": {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "maximum": MAX_TIMEOUT_SECONDS,
                },
                "accept_statuses": {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 100, "maximum": 599},
                    "maxItems": 20,
                },
            },
            "required": ["url"],
            "not": {"required": ["json", "body"]},
            "additionalProperties": False,
        },
        run=run_http_request,
        changes_data=True,
    )
)
