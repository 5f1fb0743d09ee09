"""The CDN in front (config.cdn): Cache-Control and surrogate keys on public responses,
exactly the affected keys purged when something changes, one purge per transaction and
a debounced one per forecast burst, failures retried without failing the write, and the
purge requests each CDN's API documents. The real Varnish is tests/test_varnish.py."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult, get_date_max

from config import cdn
from config.cdn import purgers
from forecasts import events as question_events
from forecasts import forecasting, outcomes
from news import events as story_events
from tests.client_helpers import committed
from tests.factories import (
    QuestionFactory,
    StoryFactory,
    StoryQuestionFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


class RecordingPurger:
    calls = []

    def purge(self, keys):
        self.calls.append(sorted(keys))


class FailingPurger:
    attempts = 0

    def purge(self, keys):
        type(self).attempts += 1
        raise purgers.PurgeFailed("the CDN said no")


@pytest.fixture
def purged(settings, monkeypatch):
    """CDN_PURGER=varnish with a purger that records what it was asked to purge."""
    settings.CDN_PURGER = "varnish"
    settings.CDN_SURROGATE_HEADER = "xkey"
    settings.CDN_PURGE_URLS = ["http://127.0.0.1:9/"]
    RecordingPurger.calls = []
    monkeypatch.setitem(purgers.PURGERS, "varnish", RecordingPurger)
    return RecordingPurger.calls


def keys(response, header="xkey"):
    return set(response[header].split()) if response.has_header(header) else set()


# --- Headers ------------------------------------------------------------------------------


def test_without_a_purger_public_pages_keep_their_plain_max_age_and_no_keys(client):
    story = StoryFactory()
    response = client.get(story.get_absolute_url())
    assert response["Cache-Control"] == "public, max-age=60"
    assert not response.has_header("xkey")


def test_with_a_purger_a_story_page_carries_s_maxage_stale_directives_and_its_keys(client, purged):
    link = StoryQuestionFactory()
    response = client.get(link.story.get_absolute_url())
    directives = set(response["Cache-Control"].split(", "))
    assert directives == {
        "public",
        "max-age=60",  # browsers as before
        "s-maxage=3600",
        "stale-while-revalidate=30",
        "stale-if-error=86400",
    }
    assert keys(response) == {
        cdn.story_key(link.story.pk),
        cdn.question_key(link.question.pk),
        cdn.TOPICS,
    }


def test_lists_carry_their_list_key_and_every_record_they_show(client, purged):
    link = StoryQuestionFactory()
    soon = QuestionFactory()
    home = keys(client.get("/"))
    assert {cdn.LIST_STORIES, cdn.LIST_QUESTIONS, cdn.story_key(link.story.pk)} <= home
    assert cdn.question_key(link.question.pk) in home  # the story's featured question
    listed = keys(client.get("/questions/?state=open"))
    assert {cdn.LIST_QUESTIONS, cdn.question_key(soon.pk)} <= listed
    question = keys(client.get(link.question.get_absolute_url()))
    assert question == {cdn.question_key(link.question.pk), cdn.story_key(link.story.pk)}
    api = keys(client.get("/api/v1/questions/"))
    assert {cdn.LIST_QUESTIONS, cdn.question_key(soon.pk)} <= api
    detail = keys(client.get(f"/api/v1/questions/{soon.slug}/"))
    assert detail == {cdn.question_key(soon.pk)}
    history = keys(client.get(f"/api/v1/questions/{soon.slug}/history/"))
    assert history == {cdn.question_key(soon.pk)}


def test_signed_in_pages_get_no_s_maxage_and_no_keys(client, purged):
    story = StoryFactory()
    client.force_login(UserFactory())
    response = client.get(story.get_absolute_url())
    assert "s-maxage" not in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert not response.has_header("xkey")


def test_cloudflare_reads_comma_separated_cache_tags(client, purged, settings):
    settings.CDN_SURROGATE_HEADER = "Cache-Tag"
    link = StoryQuestionFactory()
    tags = client.get(link.story.get_absolute_url())["Cache-Tag"]
    assert " " not in tags
    assert cdn.story_key(link.story.pk) in tags.split(",")


# --- What a change purges -------------------------------------------------------------------


def test_publishing_a_story_purges_it_its_lists_and_its_questions_pages(purged):
    with committed():
        link = StoryQuestionFactory(story=StoryFactory(draft=True))
    purged.clear()
    with committed():
        link.story.publish()
    assert purged == [
        sorted(
            {cdn.story_key(link.story.pk), cdn.LIST_STORIES, cdn.question_key(link.question.pk)}
        )
    ]


def test_resolving_a_question_purges_it_its_lists_and_its_stories(purged):
    with committed():
        link = StoryQuestionFactory()
    question = link.question
    purged.clear()
    with committed():
        outcomes.resolve(question, question.options.first(), "Reported.")
    assert purged[0] == sorted(
        {cdn.question_key(question.pk), cdn.LIST_QUESTIONS, cdn.story_key(link.story.pk)}
    )


def test_renaming_a_topic_purges_the_pages_that_name_topics(purged):
    with committed():
        topic = TopicFactory()
    purged.clear()
    with committed():
        topic.name = "Borders"
        topic.save()
    assert purged == [[cdn.TOPICS]]


def test_one_transaction_sends_one_purge_and_a_rollback_none(purged):
    with committed():
        first, second = StoryFactory(), StoryFactory()
    purged.clear()
    with committed(), transaction.atomic():
        first.save()
        second.save()
        first.save()
    assert len(purged) == 1
    assert {cdn.story_key(first.pk), cdn.story_key(second.pk)} <= set(purged[0])
    purged.clear()
    with committed():
        try:
            with transaction.atomic():
                first.save()
                raise RuntimeError("the editor's save failed")
        except RuntimeError:
            pass
    assert purged == []


def test_a_forecast_burst_purges_the_question_at_most_twice_per_window(purged):
    with committed():
        question = QuestionFactory(binary=True)
    yes, no = (o.pk for o in question.options.all())
    purged.clear()
    for _ in range(20):
        with committed():
            forecasting.record_forecast(UserFactory(), question.pk, {yes: 0.6, no: 0.4})
    sent = [call for call in purged if cdn.question_key(question.pk) in call]
    # The first at once, one more for the rest of the window (deferred on a real
    # backend; the tests' immediate backend cannot wait, so it runs at once).
    assert len(sent) == 2
    assert all(call == [cdn.question_key(question.pk)] for call in sent)  # nothing else


def test_on_a_real_backend_the_second_purge_of_a_burst_waits_for_the_window(
    purged, database_tasks, settings
):
    settings.CDN_FORECAST_PURGE_SECONDS = 10
    with committed():
        question = QuestionFactory(binary=True)
    DBTaskResult.objects.all().delete()
    yes, no = (o.pk for o in question.options.all())
    for _ in range(5):
        with committed():
            forecasting.record_forecast(UserFactory(), question.pk, {yes: 0.6, no: 0.4})
    purges = DBTaskResult.objects.filter(task_path="config.cdn.tasks.purge_keys")
    at_once = [row for row in purges if row.run_after == get_date_max()]  # "no wait"
    later = [row for row in purges if row.run_after != get_date_max()]
    assert (len(at_once), len(later)) == (1, 1)  # the first forecast's, and the rest's
    waited = (later[0].run_after - later[0].enqueued_at).total_seconds()
    assert 9 < waited <= 11  # the rest's, at the end of the window


def test_a_failing_purge_is_retried_and_never_fails_the_write(settings, purged, monkeypatch):
    monkeypatch.setitem(purgers.PURGERS, "varnish", FailingPurger)
    FailingPurger.attempts = 0
    settings.CDN_PURGE_MAX_ATTEMPTS = 3
    with committed():
        story = StoryFactory()
    FailingPurger.attempts = 0
    with committed():
        story.headline = "Saved whatever the CDN says"
        story.save()
    story.refresh_from_db()
    assert story.headline == "Saved whatever the CDN says"
    assert FailingPurger.attempts == 3


def test_without_a_purger_nothing_is_sent(settings, monkeypatch):
    monkeypatch.setitem(purgers.PURGERS, "varnish", RecordingPurger)
    RecordingPurger.calls = []
    with committed():
        StoryFactory()
    assert RecordingPurger.calls == []


# --- The purge requests -----------------------------------------------------------------


class FakeAPI:
    """An HTTP server on 127.0.0.1 that records each request and answers 200 (or
    `status`)."""

    def __init__(self, status=200):
        self.requests = []
        recorded, code = self.requests, status

        class Handler(BaseHTTPRequestHandler):
            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorded.append((self.command, self.path, self.headers, body))
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"status": "ok"}')

            do_POST = do_PURGE = answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_api():
    api = FakeAPI()
    yield api
    api.close()


def test_the_varnish_purger_sends_purge_with_an_xkey_purge_header(settings, fake_api):
    settings.CDN_PURGER = "varnish"
    settings.CDN_PURGE_URLS = [fake_api.url + "/", fake_api.url + "/second/"]
    purgers.get_purger().purge(["story-1", "list-stories"])
    assert [(m, p, h["xkey-purge"]) for m, p, h, _ in fake_api.requests] == [
        ("PURGE", "/", "story-1 list-stories"),
        ("PURGE", "/second/", "story-1 list-stories"),
    ]


def test_the_fastly_purger_calls_the_batch_surrogate_key_purge(settings, fake_api):
    settings.CDN_PURGER = "fastly"
    settings.FASTLY_API_URL = fake_api.url
    settings.FASTLY_API_TOKEN = "fastly-token"
    settings.FASTLY_SERVICE_ID = "SU1Z0isxPaozGVKXdv0eY"
    keys = [f"story-{n}" for n in range(300)]
    purgers.get_purger().purge(keys)
    # POST /service/{service_id}/purge, Fastly-Key, {"surrogate_keys": [...]}, <= 256 each
    assert len(fake_api.requests) == 2
    sent = []
    for method, path, headers, body in fake_api.requests:
        assert (method, path) == ("POST", "/service/SU1Z0isxPaozGVKXdv0eY/purge")
        assert headers["Fastly-Key"] == "fastly-token"
        assert headers["Content-Type"] == "application/json"
        sent += json.loads(body)["surrogate_keys"]
    assert sent == keys


def test_the_cloudflare_purger_purges_cache_tags_by_zone(settings, fake_api):
    settings.CDN_PURGER = "cloudflare"
    settings.CLOUDFLARE_API_URL = fake_api.url + "/client/v4"
    settings.CLOUDFLARE_API_TOKEN = "cf-token"
    settings.CLOUDFLARE_ZONE_ID = "023e105f4ecef8ad9ca31a8372d0c353"
    keys = [f"question-{n}" for n in range(31)]
    purgers.get_purger().purge(keys)
    # POST /client/v4/zones/{zone_id}/purge_cache, a bearer token, {"tags": [...]}, <= 30
    assert [len(json.loads(body)["tags"]) for *_, body in fake_api.requests] == [30, 1]
    for method, path, headers, _ in fake_api.requests:
        assert (method, path) == (
            "POST",
            "/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/purge_cache",
        )
        assert headers["Authorization"] == "Bearer cf-token"


def test_a_refused_purge_raises_for_the_task_to_retry(settings):
    api = FakeAPI(status=403)
    try:
        settings.CDN_PURGER = "varnish"
        settings.CDN_PURGE_URLS = [api.url + "/"]
        with pytest.raises(purgers.PurgeFailed, match="403"):
            purgers.get_purger().purge(["story-1"])
    finally:
        api.close()


def test_the_clock_purges_a_scheduled_story_that_went_live_and_a_question_that_closed(
    purged,
):
    with committed():
        story = StoryFactory(scheduled=True)
        question = QuestionFactory()
    purged.clear()
    with committed():
        question_events.fire_due_question_events(now=question.closes_at + timedelta(hours=1))
        story_events.fire_due_story_events(now=story.published_at)
    sent = set().union(*purged)
    assert {cdn.story_key(story.pk), cdn.LIST_STORIES} <= sent
    assert {cdn.question_key(question.pk), cdn.LIST_QUESTIONS} <= sent
