"""Signatures of outgoing deliveries, Stripe style, and their check as a receiver makes it.

The header ``X-Nexus-Signature: t=<unix seconds>,v1=<hex>`` carries the time of sending and
the HMAC-SHA256, keyed with the subscription's secret, of ``"<t>.<body>"``. Signing the time
with the body lets a receiver refuse a captured request replayed later: it checks the HMAC
(in constant time) and that ``t`` is within its tolerance of its own clock.
"""

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Nexus-Signature"
EVENT_HEADER = "X-Nexus-Event"
EVENT_TYPE_HEADER = "X-Nexus-Event-Type"
DELIVERY_HEADER = "X-Nexus-Delivery"
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(Exception):
    """The signature is missing, malformed, wrong or too old."""


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """Return the hex HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with ``secret``."""
    message = str(int(timestamp)).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """Return the value of the signature header for ``body`` sent now (or at ``timestamp``)."""
    sent_at = int(time.time() if timestamp is None else timestamp)
    return f"t={sent_at},v1={signature(secret, body, sent_at)}"


def parse_header(header: str) -> tuple[int, list[str]]:
    """Return the time and the v1 signatures of a signature header."""
    timestamp, signatures = None, []
    for part in (header or "").split(","):
        key, _sep, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise SignatureError("The signature header is malformed.")
    return timestamp, signatures


def verify(
    secret: str,
    body: bytes,
    header: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> int:
    """Check ``header`` against ``body`` as a receiver does; return its time, or raise
    SignatureError (wrong signature, or sent more than ``tolerance`` seconds from ``now``)."""
    timestamp, signatures = parse_header(header)
    expected = signature(secret, body, timestamp)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise SignatureError("The signature does not match the body.")
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise SignatureError("The signature is too old (or from the future).")
    return timestamp
