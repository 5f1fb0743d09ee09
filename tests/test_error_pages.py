"""Error pages: friendly for readers, and the 500's promise is kept: every request has an
id, in the X-Request-ID header, in every log line, on the 500 page and in the API's 500
JSON, and on what the error tracker receives."""

import io
import logging

import pytest
from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext

from config.request_id import RequestIdFilter, tag_event
from news.api import TopicViewSet
from tests.client_helpers import in_fresh_process, text_of

pytestmark = pytest.mark.django_db


def test_not_found_pages_are_friendly(client):
    response = client.get("/stories/no-such-story/")
    assert response.status_code == 404
    assert "We could not find that page" in text_of(response)


def test_server_error_page_stands_alone():
    assert "Something went wrong on our side" in render_to_string("500.html")


def test_every_response_carries_a_request_id(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert len(first["X-Request-ID"]) == 32
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("req-7f3a9c", True),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", True),
        ("Root=1-5759e988-bd862e3fe1be46a994272793", True),
        ("bad id with spaces", False),
        ("x" * 200, False),
        ("<script>", False),
        ("", False),
    ],
)
def test_a_sane_incoming_request_id_is_kept_and_any_other_replaced(client, given, kept):
    response = client.get("/healthz", headers={"X-Request-ID": given})
    assert (response["X-Request-ID"] == given) is kept


def test_a_refused_request_carries_its_id_too(client):
    response = client.get("/search/?q=%00", headers={"X-Request-ID": "abc123"})
    assert response.status_code == 400
    assert response["X-Request-ID"] == "abc123"


def broken(*args, **kwargs):
    raise RuntimeError("the database melted")


@pytest.fixture
def failing_views(monkeypatch):
    """A page and an API list that fail with an unhandled error."""
    monkeypatch.setattr("news.views.get_object_or_404", broken)
    monkeypatch.setattr(TopicViewSet, "list", broken)
    return Client(raise_request_exception=False)


def server_errors(caplog):
    return [r for r in caplog.records if r.name == "django.request" and r.levelname == "ERROR"]


def test_a_500_page_shows_the_request_id_that_the_log_line_carries(failing_views, caplog):
    caplog.handler.addFilter(RequestIdFilter())
    response = failing_views.get("/topics/syria/", headers={"X-Request-ID": "req-500-page"})
    assert response.status_code == 500
    assert response["X-Request-ID"] == "req-500-page"
    page = text_of(response)
    assert "The newsroom has been told" in page
    assert "quote this reference: req-500-page" in page
    (record,) = server_errors(caplog)
    assert record.request_id == "req-500-page"
    assert record.exc_info[1].args == ("the database melted",)


def test_the_api_500_carries_the_request_id_in_its_json(failing_views, caplog):
    caplog.handler.addFilter(RequestIdFilter())
    response = failing_views.get("/api/v1/topics/")
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    error = response.json()["error"]
    assert error["code"] == "server_error"
    assert error["request_id"] == request_id
    assert f"quote request id {request_id}" in error["message"]
    (record,) = server_errors(caplog)
    assert record.request_id == request_id


def test_log_lines_name_their_request_as_configured(failing_views):
    """The console handler of settings.LOGGING, with its filter and format."""
    config = settings.LOGGING
    assert config["handlers"]["console"]["filters"] == ["request_id"]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter(config["formatters"]["with_request_id"]["format"]))
    logging.getLogger().addHandler(handler)
    try:
        failing_views.get("/topics/syria/", headers={"X-Request-ID": "req-in-log"})
    finally:
        logging.getLogger().removeHandler(handler)
    assert "[req-in-log] ERROR django.request: Internal Server Error: /topics/syria/" in (
        stream.getvalue()
    )


def test_the_error_tracker_event_is_tagged_with_the_request_id(failing_views, monkeypatch):
    events = []

    def report_then_fail(*args, **kwargs):
        events.append(tag_event({}, {}))  # what sentry-sdk's before_send does with an event
        broken()

    monkeypatch.setattr("news.views.get_object_or_404", report_then_fail)
    response = failing_views.get("/topics/syria/", headers={"X-Request-ID": "req-tracked"})
    assert response.status_code == 500
    assert events == [{"tags": {"request_id": "req-tracked"}}]
    assert tag_event({}, {}) == {}  # outside a request there is nothing to tag


def settings_in_subprocess(**env):
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "import sentry_sdk; client = sentry_sdk.get_client(); "
        "options = client.options; "
        "print(client.is_active(), options['environment'], options['send_default_pii'], "
        "getattr(options['before_send'], '__name__', '-'))"
    )
    return in_fresh_process(code, DJANGO_DEBUG="1", **env)


def test_the_error_tracker_is_used_only_when_configured():
    assert settings_in_subprocess().stdout.split()[0] == "False"
    result = settings_in_subprocess(
        SENTRY_DSN="https://public@sentry.example.com/1", SENTRY_ENVIRONMENT="staging"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "staging", "False", "tag_event"]


def test_a_response_replayed_from_the_cache_gets_its_own_request_id(client, settings):
    settings.PUBLIC_RESPONSE_CACHE = True
    made = client.get("/questions/")
    with CaptureQueriesContext(connection) as queries:
        replayed = client.get("/questions/")
    assert len(queries) == 0  # served whole from the cache
    assert replayed.content == made.content
    assert replayed["X-Request-ID"] != made["X-Request-ID"]
