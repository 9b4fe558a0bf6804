"""The pattern store: validated definitions cached in Redis by pattern key and version.

The database stays the truth. A version never changes once written, so a cached copy can
never be stale; the key also carries the checksum, so a copy from a deleted and re-created
pattern is never mistaken for the new one. When the cache is empty or down, the definition
comes from the database and execution goes on.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache

from patterns.engine.definition import PatternDefinition
from patterns.models import PatternVersion

logger = logging.getLogger(__name__)

STORE_TIMEOUT_SECONDS = 7 * 24 * 60 * 60


MEMO_SIZE = 512
_memo: dict[str, PatternDefinition] = {}  # parsed definitions of this process, by checksum


def store_key(pattern_key: str, number: int, checksum: str) -> str:
    return f"patterns:definition:{pattern_key}:{number}:{checksum}"


def store_put(pattern_key: str, number: int, checksum: str, definition: dict[str, Any]) -> None:
    """Cache a validated definition; a cache that is down is logged and ignored."""
    try:
        cache.set(store_key(pattern_key, number, checksum), definition, STORE_TIMEOUT_SECONDS)
    except Exception:  # the database holds the definition: a cache failure loses nothing
        logger.warning("Pattern store unavailable; %s v%s not cached", pattern_key, number)


def store_get(pattern_key: str, number: int, checksum: str) -> dict[str, Any] | None:
    """Return the cached definition, or None when it is missing or the cache is down."""
    try:
        return cache.get(store_key(pattern_key, number, checksum))
    except Exception:
        logger.warning(
            "Pattern store unavailable; reading %s v%s from the database", pattern_key, number
        )
        return None


def forget() -> None:
    """Drop this process's parsed definitions (tests of the store and of Redis outages)."""
    _memo.clear()


def definition_for(
    pattern_key: str, *, version_id: Any, number: int, checksum: str
) -> PatternDefinition:
    """Return the parsed definition of one version: from this process, Redis or the database.

    Versions are immutable and named by checksum, so no copy can be stale.
    """
    parsed = _memo.get(checksum)
    if parsed is not None:
        return parsed
    data = store_get(pattern_key, number, checksum)
    if data is None:
        data = PatternVersion.objects.values_list("definition", flat=True).get(pk=version_id)
        store_put(pattern_key, number, checksum, data)
    parsed = PatternDefinition.from_dict(data)
    if len(_memo) >= MEMO_SIZE:
        _memo.clear()
    _memo[checksum] = parsed
    return parsed
