"""What keeps one test from another: a cache emptied without touching the broker."""

from nexus_site.operations.cache import cache_empty


def clear_cache() -> None:
    """Empty the default cache, and only it (its own keys on Redis: never FLUSHDB, which would
    drop the broker's queued tasks and the channel layer's groups of the same Redis database)."""
    cache_empty()
