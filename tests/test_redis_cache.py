"""The Redis cache backend: counts and lookups in one round trip."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_redis_cache_works_when_redis_is_up(redis_cache):
    redis_cache.set("probe", {"a": 1})
    assert redis_cache.get("probe") == {"a": 1}
    assert redis_cache.add("counter", 1)
    assert redis_cache.incr("counter") == 2
    assert [redis_cache.count("hits", 60) for _ in range(3)] == [1, 2, 3]
    # The response cache's one round trip: a count, and the entries asked for that exist.
    assert redis_cache.count_and_get_many("hits", 60, ["probe", "absent"]) == (
        4,
        {"probe": {"a": 1}},
    )
    raw = redis_cache._cache.get_client()
    assert 0 < raw.ttl(redis_cache.make_key("hits")) <= 60  # the window ends on its own
    redis_cache.clear()
