"""The suite's own isolation: emptying the cache between tests leaves the broker's keys."""

import pytest
from django.conf import settings
from django.core.cache import cache

from nexus_site.tests.isolation import clear_cache


@pytest.mark.services
def test_clearing_the_cache_keeps_the_other_keys_of_its_redis_database():
    import redis

    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    queue = "nexus-test-isolation-queue"  # as a Celery queue on the same database
    client.rpush(queue, "a queued task")
    cache.set("throttle", 1)
    try:
        clear_cache()

        assert cache.get("throttle") is None
        assert client.lrange(queue, 0, -1) == [b"a queued task"]
    finally:
        client.delete(queue)
        client.close()


def test_clearing_the_local_cache_empties_it():
    cache.set("throttle", 1)

    clear_cache()

    assert cache.get("throttle") is None
