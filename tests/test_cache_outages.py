"""Redis stopped or hung: requests stay fast, and the log gets one warning per outage.

Every test runs against a redis-server of its own (the `redis_server` fixture), stopped
(connections refused) or frozen with SIGSTOP (connections accepted, never answered).
"""

import logging
import time

import pytest
import redis

from tests.factories import StoryQuestionFactory

pytestmark = pytest.mark.django_db

FAULTS = ["stopped", "hung"]


def break_redis(server, fault):
    server.stop() if fault == "stopped" else server.freeze()


def test_a_hung_redis_costs_a_request_one_timeout_at_most(client, settings, own_redis_cache,
                                                          redis_server):  # fmt: skip
    settings.PUBLIC_RESPONSE_CACHE = True
    url = StoryQuestionFactory().story.get_absolute_url()
    assert client.get(url).status_code == 200
    redis_server.freeze()
    started = time.monotonic()
    assert client.get(url).status_code == 200
    first = time.monotonic() - started
    started = time.monotonic()
    for path in (url, "/questions/", "/api/v1/questions/"):
        assert client.get(path).status_code == 200
    then = time.monotonic() - started
    # Before the circuit breaker, every cache call waited 0.5 s: about 4 s per page.
    assert first < 1.5
    assert then < 1.5  # three requests, none waiting for Redis at all


@pytest.mark.parametrize("fault", FAULTS)
def test_one_warning_when_an_outage_starts_and_one_when_it_ends(
    client, settings, caplog, own_redis_cache, redis_server, fault
):
    settings.PUBLIC_RESPONSE_CACHE = True
    url = StoryQuestionFactory().story.get_absolute_url()
    caplog.set_level(logging.WARNING, logger="config.redis_cache")
    break_redis(redis_server, fault)
    for _ in range(2):
        assert client.get(url).status_code == 200
        time.sleep(settings.CACHE_RETRY_SECONDS)  # it tries again, and fails again
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 1
    assert "unreachable" in messages[0]
    redis_server.thaw() if fault == "hung" else redis_server.start()
    time.sleep(settings.CACHE_RETRY_SECONDS + 0.1)
    assert client.get(url).status_code == 200
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert "answers again" in messages[1]


def test_a_redis_counter_never_outlives_its_window(own_redis_cache, redis_server):
    raw = redis.Redis.from_url(redis_server.url)
    key = own_redis_cache.make_key("hits")
    raw.set(key, 7)  # as if it lost its expiry (expired between two commands, say)
    assert own_redis_cache.count("hits", 60) == 8
    assert 0 < raw.ttl(key) <= 60
    raw.expire(key, 30)
    own_redis_cache.count("hits", 60)
    assert raw.ttl(key) <= 30  # a running window is not stretched
