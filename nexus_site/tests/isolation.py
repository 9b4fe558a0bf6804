"""What keeps one test from another: a cache emptied without touching the broker."""


def clear_cache() -> None:
    """Empty the default cache, and only it.

    Django's ``RedisCache.clear()`` is FLUSHDB: on the Redis database the cache shares with
    the Celery broker and the channel layer it would also drop queued tasks and socket
    groups, those of a worker another test (or another pytest process) is waiting on. On
    Redis, delete the cache's own keys (``<KEY_PREFIX>:<version>:<key>``) instead.
    """
    from django.conf import settings
    from django.core.cache import cache

    config = settings.CACHES["default"]
    if not config["BACKEND"].endswith(".RedisCache"):
        cache.clear()
        return
    import redis

    client = redis.Redis.from_url(config["LOCATION"])
    try:
        keys = list(client.scan_iter(match=f"{config.get('KEY_PREFIX', '')}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
