"""Live updates: two app servers (uvicorn, the ASGI app) share Redis and PostgreSQL; a
client streams from one while a reader forecasts through the other, and the new
community forecast arrives within a second. Skipped, with the reason, when Redis or
the servers cannot be had."""

import json
import os
import queue
import secrets
import socket
import subprocess
import sys
import threading
import time
from http.client import HTTPConnection
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from rest_framework.authtoken.models import Token

from forecasts import forecasting
from tests.client_helpers import committed
from tests.conftest import database_url, free_port
from tests.factories import QuestionFactory, UserFactory

LIVE_REDIS_URL = os.environ.get("TEST_LIVE_REDIS_URL", "redis://127.0.0.1:6379/10")


@pytest.fixture
def two_servers():
    where = urlsplit(LIVE_REDIS_URL)
    try:
        socket.create_connection((where.hostname, where.port or 6379), timeout=0.2).close()
    except OSError:
        pytest.skip(f"needs Redis at {LIVE_REDIS_URL} (set TEST_LIVE_REDIS_URL)")
    env = {
        **os.environ,
        "DATABASE_URL": database_url(settings.DATABASES["default"]),
        "DATABASE_CONN_MAX_AGE": "0",
        "REDIS_URL": LIVE_REDIS_URL,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_SECURE_SSL": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "TASKS_BACKEND": "immediate",
        "PUBLIC_RESPONSE_CACHE": "0",
    }
    servers = []
    for _ in range(2):
        port = free_port()
        process = subprocess.Popen(  # noqa: S603 (our own server, fixed arguments)
            [
                sys.executable,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        servers.append((process, port))
    try:
        for process, port in servers:
            deadline = time.monotonic() + 20
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        error = process.stderr.read().decode()[-500:] if process.poll() else ""
                        pytest.skip(f"uvicorn did not start on port {port}: {error}")
                    time.sleep(0.1)
        yield [port for _, port in servers]
    finally:
        for process, _ in servers:
            process.terminate()
        for process, _ in servers:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()


def stream(port, path, events):
    """Read Server-Sent Events from `path` into `events` as (arrival time, payload)."""
    connection = HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Accept": "text/event-stream"})
    response = connection.getresponse()
    assert response.status == 200
    assert response.getheader("Content-Type").startswith("text/event-stream")
    try:
        for raw in response:
            line = raw.decode().strip()
            if line.startswith("data: "):
                events.put((time.monotonic(), json.loads(line[6:])))
    except (OSError, ValueError):
        pass
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_forecast_on_one_server_reaches_a_stream_on_the_other_within_a_second(two_servers):
    streaming, forecasting = two_servers
    question = QuestionFactory(slug="crossing", options=["A", "B"])
    a, b = question.options.values_list("pk", flat=True)
    token = Token.objects.create(user=UserFactory()).key
    one, every = queue.Queue(), queue.Queue()
    for path, events in (("/live/questions/crossing/", one), ("/live/questions/", every)):
        threading.Thread(target=stream, args=(streaming, path, events), daemon=True).start()
    _, first = one.get(timeout=10)  # the current state, once subscribed
    assert first["forecaster_count"] == 0
    assert [o["percent"] for o in first["options"]] == [50, 50]
    time.sleep(0.3)  # the all-questions stream subscribes too

    connection = HTTPConnection("127.0.0.1", forecasting, timeout=10)
    connection.request("GET", "/api/v1/questions/crossing/")  # a warm server, as in use
    connection.getresponse().read()
    connection.request(
        "POST",
        "/api/v1/questions/crossing/forecasts/",
        body=json.dumps({"probabilities": {str(a): 0.8, str(b): 0.2}}),
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    response = connection.getresponse()
    assert response.status == 201, response.read()
    recorded = time.monotonic()
    connection.close()

    for events in (one, every):
        arrived, update = events.get(timeout=5)
        assert arrived - recorded < 1.0
        assert update["question"] == question.pk
        assert update["forecaster_count"] == 1
        # The pooled aggregate the site shows: odds 4:1 extremized to 8:1.
        assert [o["percent"] for o in update["options"]] == [89, 11]


@pytest.mark.django_db
def test_an_open_question_page_points_its_bars_at_the_stream(client):
    question = QuestionFactory(slug="crossing")
    page = client.get("/questions/crossing/").content.decode()
    assert 'data-live-stream="/live/questions/crossing/"' in page
    assert "js/live.js" in page
    assert f'data-option="{question.options.first().pk}"' in page
    assert client.get("/live/questions/no-such-question/").status_code == 404


def sse_payloads(chunks):
    return [
        json.loads(line[6:])
        for chunk in chunks
        for line in chunk.decode().splitlines()
        if line.startswith("data: ")
    ]


@pytest.mark.django_db
@pytest.mark.usefixtures("mean_aggregate")  # numbers of the mean
def test_without_redis_a_stream_polls_the_database(client, settings):
    """`make run` has no Redis, and runserver is WSGI: the stream still follows."""
    settings.LIVE_REDIS_URL = ""
    settings.LIVE_POLL_SECONDS = 0.05
    settings.LIVE_STREAM_SECONDS = 1
    question = QuestionFactory(slug="crossing", options=["A", "B"])
    a, b = question.options.values_list("pk", flat=True)
    response = client.get("/live/questions/crossing/")
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-cache"
    chunks = iter(response.streaming_content)
    assert next(chunks) == b"retry: 2000\n\n"
    assert sse_payloads([next(chunks)])[0]["forecaster_count"] == 0
    forecasting.record_forecast(UserFactory(), question.pk, {a: 0.3, b: 0.7})
    updates = sse_payloads(chunks)  # until the stream ends, after LIVE_STREAM_SECONDS
    assert [u["forecaster_count"] for u in updates] == [1]  # the start is not sent again
    assert [o["percent"] for o in updates[-1]["options"]] == [30, 70]


@pytest.mark.django_db
@pytest.mark.usefixtures("mean_aggregate")  # numbers of the mean
def test_with_redis_a_wsgi_stream_gets_the_published_update(client, settings):
    where = urlsplit(LIVE_REDIS_URL)
    try:
        socket.create_connection((where.hostname, where.port or 6379), timeout=0.2).close()
    except OSError:
        pytest.skip(f"needs Redis at {LIVE_REDIS_URL} (set TEST_LIVE_REDIS_URL)")
    settings.LIVE_REDIS_URL = LIVE_REDIS_URL
    question = QuestionFactory(slug="crossing", options=["A", "B"])
    a, b = question.options.values_list("pk", flat=True)
    chunks = iter(client.get("/live/questions/").streaming_content)
    assert next(chunks) == b"retry: 2000\n\n"  # subscribed from here on
    with committed():
        forecasting.record_forecast(UserFactory(), question.pk, {a: 0.9, b: 0.1})
    update = sse_payloads([next(chunks)])[0]
    assert update["slug"] == "crossing"
    assert [o["percent"] for o in update["options"]] == [90, 10]


@pytest.mark.django_db
def test_a_dead_redis_never_fails_or_slows_a_forecast(settings):
    settings.LIVE_REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
    question = QuestionFactory(options=["A", "B"])
    a, b = question.options.values_list("pk", flat=True)
    started = time.monotonic()
    for _ in range(3):
        with committed():
            forecasting.record_forecast(UserFactory(), question.pk, {a: 0.5, b: 0.5})
    assert time.monotonic() - started < 2  # one failed connection, then quiet
