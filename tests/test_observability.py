"""What an operator watches: Prometheus metrics at /metrics, JSON log lines with the
request id (config/metrics.py, DJANGO_LOG_FORMAT)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from forecasts import forecasting
from tests.client_helpers import committed
from tests.factories import QuestionFactory, StoryFactory, UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
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
    samples = scrape()
    assert samples[("forecastdesk_cache_call_duration_seconds_count", (("operation", "get"),))]


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
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "1",
            "DATABASE_URL": "sqlite:///:memory:",
            "DJANGO_LOG_FORMAT": "json",
        },
        capture_output=True,
        text=True,
        check=False,
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
