"""What an operator watches: Prometheus metrics at /metrics, JSON log lines with the
request id (config/metrics.py, DJANGO_LOG_FORMAT)."""

import json
import os
import secrets
import signal
import subprocess
import sys
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from forecasts import forecasting
from tests.client_helpers import ROOT, committed, in_fresh_process
from tests.conftest import free_port
from tests.factories import QuestionFactory, StoryFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "scraper-token-for-tests"


@pytest.fixture
def scrape(client, settings):
    """/metrics as Prometheus reads it: {(name, labels as a sorted tuple): value}."""
    settings.METRICS_TOKEN = TOKEN

    def scrape():
        response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain")
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples
        }

    return scrape


def requests_of(samples, view, status):
    labels = (("method", "GET"), ("status", status), ("view", view))
    return samples.get(("forecastdesk_http_requests_total", labels), 0)


def test_requests_are_counted_by_view_and_status_and_timed(client, scrape):
    story = StoryFactory()
    before = scrape()
    for _ in range(2):
        assert client.get(story.get_absolute_url()).status_code == 200
    assert client.get("/stories/no-such-story/").status_code == 404
    assert client.get("/no/such/address/").status_code == 404
    after = scrape()

    assert requests_of(after, "news:story", "200") - requests_of(before, "news:story", "200") == 2
    assert requests_of(after, "news:story", "404") - requests_of(before, "news:story", "404") == 1
    assert requests_of(after, "<unmatched>", "404") - requests_of(
        before, "<unmatched>", "404"
    ) == 1  # fmt: skip
    # The latency histogram: buckets up to +Inf, a count and a sum per view.
    count = ("forecastdesk_http_request_duration_seconds_count", (("view", "news:story"),))
    assert after[count] - before.get(count, 0) == 3
    infinity = (
        "forecastdesk_http_request_duration_seconds_bucket",
        (("le", "+Inf"), ("view", "news:story")),
    )
    assert after[infinity] == after[count]
    # SQL statements, timed by database.
    statements = ("forecastdesk_db_query_duration_seconds_count", (("database", "default"),))
    assert after[statements] > before.get(statements, 0)


def test_forecasts_and_the_task_queue_are_counted(scrape):
    question = QuestionFactory(binary=True)
    yes, no = question.options.all()
    before = scrape()
    with committed():
        forecasting.record_forecast(UserFactory(), question.pk, {yes.pk: 0.6, no.pk: 0.4})
    after = scrape()
    forecasts = ("forecastdesk_forecasts_total", ())
    assert after[forecasts] - before[forecasts] == 1
    assert ("forecastdesk_task_queue_depth", (("backend", "database"),)) in after


def test_cache_calls_are_timed(client, scrape, redis_cache):
    story = StoryFactory()
    client.get(story.get_absolute_url())
    timed = {
        labels[0][1]: count
        for (name, labels), count in scrape().items()
        if name == "forecastdesk_cache_call_duration_seconds_count" and count
    }
    assert "get_many" in timed  # the versions the page is keyed on, at least


def test_metrics_are_off_without_a_token_and_refused_with_a_wrong_one(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401
    assert wrong["WWW-Authenticate"].startswith("Bearer")
    assert "no-cache" in wrong["Cache-Control"]


def test_json_log_lines_carry_the_request_id_of_the_response_header():
    """Settings as production reads them (DJANGO_LOG_FORMAT=json), in a process of its
    own: the request's log line on standard error, the response's header on standard
    output."""
    code = (
        "import django; django.setup(); from django.test import Client; "
        "response = Client(HTTP_HOST='localhost').get('/healthz'); "
        "print(response.status_code, response['X-Request-ID'])"
    )
    result = in_fresh_process(
        code, DJANGO_DEBUG="1", DATABASE_URL="sqlite:///:memory:", DJANGO_LOG_FORMAT="json"
    )
    assert result.returncode == 0, result.stderr
    status, request_id = result.stdout.split()
    assert status == "200"
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    (line,) = [line for line in lines if line["logger"] == "config.requests"]
    assert line["request_id"] == request_id
    assert line["level"] == "INFO"
    assert line["message"].startswith("GET /healthz 200")
    assert (line["method"], line["path"], line["status"], line["view"]) == (
        "GET",
        "/healthz",
        200,
        "healthz",
    )
    assert isinstance(line["duration_ms"], float)
    assert "time" in line


def test_the_log_format_is_text_or_json():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "1",
            "DJANGO_LOG_FORMAT": "xml",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert "DJANGO_LOG_FORMAT must be text or json" in result.stderr


def test_gunicorn_workers_are_added_up_even_after_one_exits(tmp_path):
    """Under gunicorn (config/gunicorn.conf.py, PROMETHEUS_MULTIPROC_DIR): /metrics,
    whichever worker answers it, counts the requests of every worker, including one
    that has since exited."""
    port = free_port()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"left by an earlier run")
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--config", "config/gunicorn.conf.py",
         "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_SECURE_SSL": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_LOG_LEVEL": "ERROR",
            "DATABASE_URL": "sqlite:///:memory:",  # the queue depth is then left out
            "METRICS_TOKEN": TOKEN,
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        },
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    site = f"http://127.0.0.1:{port}"

    def get(path, **headers):
        return httpx.get(site + path, headers=headers, timeout=10).raise_for_status().text

    def served():
        scraped = get("/metrics", Authorization=f"Bearer {TOKEN}")
        return sum(
            sample.value
            for family in text_string_to_metric_families(scraped)
            for sample in family.samples
            if sample.name == "forecastdesk_http_requests_total"
            and sample.labels["view"] == "healthz"
        )

    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                get("/healthz")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        for _ in range(19):
            get("/healthz")
        assert served() == 20
        workers = {int(path.stem.rsplit("_", 1)[1]) for path in metrics_dir.glob("*.db")}
        assert len(workers) >= 1
        os.kill(workers.pop(), signal.SIGTERM)  # gunicorn starts another in its place
        time.sleep(1)
        get("/healthz")
        assert served() == 21
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(10)
