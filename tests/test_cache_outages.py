"""Redis stopped or hung: requests stay fast, security counters keep counting, one warning
per outage, and no page or API answer older than an edit made meanwhile survives it.

Every test runs against a redis-server of its own (the `redis_server` fixture), stopped
(connections refused) or frozen with SIGSTOP (connections accepted, never answered).
"""

import logging
import time

import pytest
import redis
from django.urls import reverse
from rest_framework.test import APIClient

from config import counters, versions
from tests.client_helpers import api_client
from tests.factories import StoryFactory, StoryQuestionFactory, UserFactory

pytestmark = pytest.mark.django_db

FAULTS = ["stopped", "hung"]


def break_redis(server, fault):
    server.stop() if fault == "stopped" else server.freeze()


@pytest.fixture
def one_process(settings):
    """As if the site ran in one process: while Redis is down it allows the whole limit.

    The API's limits count in fixed minute windows: a test that crossed into the next
    minute would start counting again halfway, so it starts well inside one."""
    settings.WEB_CONCURRENCY = 1
    settings.APP_SERVERS = 1
    if (left := 60 - time.time() % 60) < 15:
        time.sleep(left + 0.1)


def log_in(client, password):
    page = client.post(reverse("login"), {"username": "amira", "password": password})
    if page.status_code == 302:
        return "in"
    text = page.content.decode()
    if "Too many failed attempts" in text:
        return "refused"
    assert "Please enter a correct username and password" in text
    return "checked"


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


@pytest.mark.parametrize("fault", FAULTS)
def test_the_login_lockout_keeps_counting_when_redis_fails(
    client, settings, own_redis_cache, redis_server, one_process, fault
):
    settings.LOGIN_ATTEMPTS = 3
    UserFactory(username="amira", password="right password 2026")
    assert log_in(client, "wrong") == "checked"  # counted in Redis
    break_redis(redis_server, fault)
    answers = [log_in(client, "wrong") for _ in range(4)]
    # Counted in the process from the outage on (at most twice the limit in all).
    assert answers == ["checked", "checked", "checked", "refused"]
    assert log_in(client, "right password 2026") == "refused"


def test_while_redis_is_down_each_process_allows_its_share_of_the_limit(
    client, settings, own_redis_cache, redis_server
):
    settings.LOGIN_ATTEMPTS = 5
    settings.WEB_CONCURRENCY = 2
    settings.APP_SERVERS = 1
    assert counters.local_share(5) == 2  # strict: 2 each in 2 processes, 4 in all
    UserFactory(username="amira", password="right password 2026")
    redis_server.stop()
    assert [log_in(client, "wrong") for _ in range(3)] == ["checked", "checked", "refused"]
    settings.WEB_CONCURRENCY = 9  # more processes than attempts: still one each
    assert counters.local_share(5) == 1


@pytest.mark.parametrize("fault", FAULTS)
def test_the_token_endpoint_keeps_counting_when_redis_fails(
    settings, own_redis_cache, redis_server, one_process, fault
):
    settings.LOGIN_ATTEMPTS = 2
    UserFactory(username="amira", password="right password 2026")
    break_redis(redis_server, fault)
    api = APIClient()
    codes = [
        api.post(
            "/api/v1/auth/token/", {"username": "amira", "password": password}, format="json"
        ).status_code
        for password in ("wrong", "wrong", "wrong", "right password 2026")
    ]
    assert codes == [401, 401, 429, 429]


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("response_cache", [False, True])
def test_api_limits_keep_counting_when_redis_fails(
    settings, own_redis_cache, redis_server, one_process, fault, response_cache
):
    settings.PUBLIC_RESPONSE_CACHE = response_cache  # counted ahead of the view, or by it
    settings.API_ANON_RATE = "3/minute"
    settings.API_USER_RATE = "2/minute"
    break_redis(redis_server, fault)
    anonymous = APIClient()
    assert [anonymous.get("/api/v1/topics/").status_code for _ in range(4)] == [
        200,
        200,
        200,
        429,
    ]
    refused = anonymous.get("/api/v1/topics/")
    assert refused.json()["error"]["status"] == 429
    assert "Retry-After" in refused
    reader = api_client(UserFactory())
    assert [reader.get("/api/v1/topics/").status_code for _ in range(3)] == [200, 200, 429]


@pytest.mark.parametrize("url_of", ["page", "api"])
def test_an_edit_made_while_redis_hangs_is_served_after_it_and_no_stored_answer_outlives_it(
    client, settings, own_redis_cache, redis_server, url_of
):
    settings.PUBLIC_RESPONSE_CACHE = True
    story = StoryFactory(headline="Before the outage")
    url = story.get_absolute_url() if url_of == "page" else f"/api/v1/stories/{story.slug}/"
    before = client.get(url)
    assert client.get(url).content == before.content  # stored whole in Redis
    redis_server.freeze()
    assert client.get(url).status_code == 200  # times out: the breaker opens
    story.headline = "Edited during the outage"
    story.save()  # its version bump never reaches Redis, which keeps the old versions
    assert "Edited during the outage" in client.get(url).content.decode()
    redis_server.thaw()  # Redis comes back with everything it had, stored answers too
    time.sleep(settings.CACHE_RETRY_SECONDS + 0.1)
    after = client.get(url)
    assert "Edited during the outage" in after.content.decode()
    assert "Before the outage" not in after.content.decode()
    revalidated = client.get(url, headers={"If-None-Match": before["ETag"]})
    assert revalidated.status_code == 200
    assert "Edited during the outage" in revalidated.content.decode()
    assert client.get(url).content == after.content  # and stored again


def test_an_idle_process_renews_the_versions_by_itself_when_redis_returns(
    settings, own_redis_cache, redis_server
):
    before = versions.editorial_version()["version"]
    raw = redis.Redis.from_url(redis_server.url)
    stored = raw.get(own_redis_cache.make_key(versions.EDITORIAL_KEY))
    redis_server.freeze()
    assert own_redis_cache.get("anything") is None  # times out: the breaker opens
    StoryFactory()  # so this bump is not even sent
    redis_server.thaw()
    deadline = time.monotonic() + 5
    while raw.get(own_redis_cache.make_key(versions.EDITORIAL_KEY)) == stored:
        assert time.monotonic() < deadline, "no renewal without a request"
        time.sleep(0.05)
    assert versions.editorial_version()["version"] != before


def test_a_redis_counter_never_outlives_its_window(own_redis_cache, redis_server):
    raw = redis.Redis.from_url(redis_server.url)
    key = own_redis_cache.make_key("hits")
    raw.set(key, 7)  # as if it lost its expiry (expired between two commands, say)
    assert own_redis_cache.count("hits", 60) == 8
    assert 0 < raw.ttl(key) <= 60
    raw.expire(key, 30)
    own_redis_cache.count("hits", 60)
    assert raw.ttl(key) <= 30  # a running window is not stretched


def test_readiness_says_degraded_but_ready_while_redis_is_down(
    client, own_redis_cache, redis_server
):
    assert client.get("/readyz").json() == {"status": "ready", "database": "ok", "cache": "ok"}
    redis_server.freeze()
    started = time.monotonic()
    response = client.get("/readyz")
    assert time.monotonic() - started < 1.5
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "cache": "unreachable"}
    assert "no-cache" in response["Cache-Control"]
