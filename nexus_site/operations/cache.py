"""Emptying the cache without touching what shares its Redis database."""

import redis
from django.conf import settings
from django.core.cache import cache


def cache_empty() -> None:
    """Empty the default cache, and only it.

    Django's ``RedisCache.clear()`` is FLUSHDB: on the Redis database the cache shares with
    the Celery broker and the channel layer it would also drop queued tasks and socket
    groups. On Redis, delete the cache's own keys (``<KEY_PREFIX>:<version>:<key>``) instead.
    """
    config = settings.CACHES["default"]
    if not config["BACKEND"].endswith(".RedisCache"):
        cache.clear()
        return
    client = redis.Redis.from_url(config["LOCATION"])
    try:
        keys = list(client.scan_iter(match=f"{config.get('KEY_PREFIX', '')}:*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
    finally:
        client.close()
