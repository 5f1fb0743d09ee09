"""Webhooks: Standard Webhooks signatures (checked here with the spec's algorithm and its
reference library), where they may be sent, the owner-only API, delivery with retries
and a log, disabling after repeated failures, replay, and the events the site fires."""

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
import standardwebhooks
from django.core import mail
from django.core.exceptions import ValidationError
from django_tasks_db.models import DBTaskResult

from config.webhooks import signing, tasks, transport
from config.webhooks.models import Attempt, Delivery, Endpoint, Event, EventType
from forecasts import events as question_events
from forecasts import forecasting, outcomes
from news import events as story_events
from tests.client_helpers import api_client, committed
from tests.factories import QuestionFactory, StoryFactory, UserFactory
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def local_receivers(settings):
    """Tests post to receivers on 127.0.0.1, which production refuses."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_RETRY_SECONDS = 30
    settings.WEBHOOK_DISABLE_AFTER = 5
    settings.SITE_URL = "https://news.example.com"


def endpoint_for(url, **fields):
    return Endpoint.objects.create(owner=UserFactory(), url=url, **fields)


# Signing ---------------------------------------------------------------------------


def test_signature_is_the_spec_hmac_over_id_timestamp_and_body():
    secret = signing.new_secret()
    assert secret.startswith("whsec_")
    body = b'{"type":"question.resolved"}'
    headers = signing.headers(secret, "msg_1", body, timestamp=1_700_000_000)
    # The spec's algorithm, written out independently of the code under test.
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = hmac.new(key, b"msg_1.1700000000." + body, hashlib.sha256).digest()
    assert headers == {
        "webhook-id": "msg_1",
        "webhook-timestamp": "1700000000",
        "webhook-signature": "v1," + base64.b64encode(expected).decode(),
    }
    # And the spec's reference library agrees (its verify() checks the time against now).
    fresh = signing.headers(secret, "msg_2", body)
    assert standardwebhooks.Webhook(secret).verify(body, fresh) == {"type": "question.resolved"}


def test_verify_refuses_a_replayed_or_forged_message():
    secret = signing.new_secret()
    body = b"{}"
    now = time.time()
    signing.verify(secret, signing.headers(secret, "msg_1", body, timestamp=now), body, now=now)
    stale = signing.headers(secret, "msg_1", body, timestamp=now - 6 * 60)
    with pytest.raises(signing.InvalidSignature, match="tolerance"):
        signing.verify(secret, stale, body, now=now)
    with pytest.raises(signing.InvalidSignature, match="no signature"):
        signing.verify(secret, signing.headers(secret, "msg_1", body, timestamp=now), b"{ }")
    with pytest.raises(signing.InvalidSignature, match="no signature"):
        signing.verify(signing.new_secret(), signing.headers(secret, "msg_1", body), body)


# Where webhooks may go ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hooks",
        "https://127.0.0.1/hooks",
        "https://10.0.0.5/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks",
        "https://localhost/hooks",
        "https://user:pw@example.com/hooks",
    ],
)
def test_production_refuses_plain_http_and_private_addresses(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError):
        transport.check_url(url)


def test_a_name_that_resolves_to_a_private_address_is_not_posted_to(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError, match="non-public"):
        transport.resolve_public("localhost", 443)
    outcome = transport.post("https://localhost/hooks", b"{}", {})
    assert outcome.status_code is None
    assert "not public" in outcome.error


def test_public_https_is_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    transport.check_url("https://hooks.example.com/forecasts")


# The API ------------------------------------------------------------------------------


def test_clients_manage_their_own_endpoints_and_nobody_elses(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    owner, other = api_client(UserFactory()), api_client(UserFactory())
    created = owner.post(
        "/api/v1/webhooks/",
        {"url": "https://hooks.example.com/a", "event_types": ["question.resolved"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["is_active"] is True
    assert body["disabled_reason"] == ""
    url = f"/api/v1/webhooks/{body['id']}/"
    assert other.get(url).status_code == 404
    assert other.get("/api/v1/webhooks/").json()["results"] == []
    assert api_client().get("/api/v1/webhooks/").status_code == 401
    refused = owner.post("/api/v1/webhooks/", {"url": "http://example.com/x"}, format="json")
    assert refused.status_code == 400
    assert "url" in refused.json()["error"]["fields"]
    bad_type = owner.post(
        "/api/v1/webhooks/",
        {"url": "https://hooks.example.com/b", "event_types": ["question.exploded"]},
        format="json",
    )
    assert bad_type.status_code == 400
    assert owner.get(f"{url}deliveries/").json() == []
    assert owner.delete(url).status_code == 204


# Delivery -------------------------------------------------------------------------------


def test_a_delivery_is_signed_retried_until_it_succeeds_and_logged():
    question = QuestionFactory()
    with Receiver(statuses=[500, 503, 200]) as receiver:
        endpoint = endpoint_for(receiver.url)
        with committed():
            question_events.question_closed(question)
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.SUCCEEDED
    assert delivery.attempts == 3
    log = list(delivery.log.order_by("number"))
    assert [a.status_code for a in log] == [500, 503, 200]
    assert log[-1].response_excerpt == "answered 200"
    assert all(a.latency_ms >= 0 for a in log)
    assert len(receiver.received) == 3
    ids = {headers["webhook-id"] for headers, _ in receiver.received}
    assert ids == {Event.objects.get().message_id}  # one message, delivered at least once
    for headers, body in receiver.received:
        signing.verify(endpoint.secret, headers, body)
        assert json.loads(body)["type"] == "question.closed"
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0


def test_failed_attempts_wait_longer_each_time(database_tasks):
    """On the database backend the next attempt is a task that runs after a backoff."""
    with Receiver(statuses=[500]) as receiver:
        endpoint_for(receiver.url)
        event = Event.objects.create(type=EventType.QUESTION_CLOSED, subject="q", data={})
        delivery = Delivery.objects.create(event=event, endpoint=Endpoint.objects.get())
        tasks.deliver.call(delivery.pk)
        tasks.deliver.call(delivery.pk, attempt=2)
    retries = DBTaskResult.objects.filter(task_path="config.webhooks.tasks.deliver")
    waits = sorted((r.run_after - r.enqueued_at).total_seconds() for r in retries)
    assert waits == [pytest.approx(30, abs=2), pytest.approx(60, abs=2)]
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.next_attempt_at


def test_an_endpoint_that_keeps_failing_is_disabled_with_a_notice(settings):
    settings.WEBHOOK_DISABLE_AFTER = 4
    questions = [QuestionFactory(), QuestionFactory()]
    with Receiver(statuses=[500]) as receiver:
        endpoint = endpoint_for(receiver.url)
        with committed():
            question_events.question_closed(questions[0])
        with committed():
            question_events.question_closed(questions[1])
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert "4 failed attempts" in endpoint.disabled_reason
    assert Attempt.objects.count() == 4  # three for the first, one before it was switched off
    statuses = set(Delivery.objects.values_list("status", flat=True))
    assert statuses == {Delivery.Status.FAILED}
    shown = api_client(endpoint.owner).get(f"/api/v1/webhooks/{endpoint.pk}/").json()
    assert shown["is_active"] is False
    assert "failed attempts" in shown["disabled_reason"]
    assert "disabled" in mail.outbox[0].subject
    turned_on = api_client(endpoint.owner).patch(
        f"/api/v1/webhooks/{endpoint.pk}/", {"is_active": True}, format="json"
    )
    assert turned_on.json()["consecutive_failures"] == 0
    assert turned_on.json()["disabled_reason"] == ""


def test_the_admin_replays_a_delivery_with_the_same_id_and_a_new_signature(admin_client):
    question = QuestionFactory()
    with Receiver(statuses=[200]) as receiver:
        endpoint_for(receiver.url)
        with committed():
            question_events.question_closed(question)
        delivery = Delivery.objects.get()
        response = admin_client.post(
            "/admin/webhooks/delivery/",
            {"action": "replay", "_selected_action": [delivery.pk]},
        )
        assert response.status_code == 302
    assert len(receiver.received) == 2
    first, second = (headers for headers, _ in receiver.received)
    assert first["webhook-id"] == second["webhook-id"]
    assert list(delivery.log.values_list("replay", flat=True).order_by("number")) == [
        False,
        True,
    ]
    assert admin_client.get(f"/admin/webhooks/delivery/{delivery.pk}/change/").status_code == 200


def test_only_subscribed_active_endpoints_get_an_event():
    question = QuestionFactory()
    with Receiver() as receiver:
        wanted = endpoint_for(receiver.url, event_types=["question.annulled"])
        endpoint_for(receiver.url, event_types=["story.published"])
        endpoint_for(receiver.url, is_active=False)
        with committed():
            outcomes.annul(question, "Void.")
    assert list(Delivery.objects.values_list("endpoint", flat=True)) == [wanted.pk]


# The events -------------------------------------------------------------------------------


def bodies(receiver):
    return [json.loads(body) for _, body in receiver.received]


@pytest.mark.usefixtures("mean_aggregate")  # numbers of the mean
def test_question_events_publish_close_resolve_with_scores_and_fire_once():
    with Receiver() as receiver:
        endpoint_for(receiver.url)
        with committed():
            question = QuestionFactory(options=["A", "B"])
        reader = UserFactory()
        ids = list(question.options.values_list("pk", flat=True))
        forecasting.record_forecast(reader, question.pk, {ids[0]: 0.8, ids[1]: 0.2})
        with committed():
            question.save()  # saving it again announces nothing new
        with committed():
            outcomes.close(question)
        with committed():
            outcomes.resolve(question, question.options.get(label="A"), "A won.")
    types = [b["type"] for b in bodies(receiver)]
    assert types == ["question.published", "question.closed", "question.resolved"]
    resolved = bodies(receiver)[-1]["data"]
    assert resolved["outcome"]["label"] == "A"
    assert resolved["url"] == f"https://news.example.com/questions/{question.slug}/"
    assert resolved["scores"]["forecasters_scored"] == 1
    assert resolved["scores"]["mean_brier"] == pytest.approx(0.08)
    assert resolved["scores"]["community_brier"] == pytest.approx(0.08)


def test_story_published_fires_once_and_a_correction_every_time():
    with Receiver() as receiver:
        endpoint_for(receiver.url)
        with committed():
            story = StoryFactory()
        with committed():
            story.save()
        with committed():
            story_events.story_corrected(story, "The date was wrong.")
        with committed():
            StoryFactory(scheduled=True)  # not live yet: nothing
    assert [b["type"] for b in bodies(receiver)] == ["story.published", "story.corrected"]
    assert bodies(receiver)[1]["data"]["note"] == "The date was wrong."


def test_clock_events_for_questions_closed_and_stories_gone_live_meanwhile():
    with Receiver() as receiver:
        endpoint_for(receiver.url)
        question = QuestionFactory()
        story = StoryFactory(scheduled=True)
        later = question.closes_at + timedelta(hours=1)
        with committed():
            assert question_events.fire_due_question_events(now=later) == 1
            assert story_events.fire_due_story_events(now=story.published_at) == 1
        with committed():
            assert question_events.fire_due_question_events(now=later) == 0
    assert {b["type"] for b in bodies(receiver)} == {"question.closed", "story.published"}
    assert {b["data"]["id"] for b in bodies(receiver)} == {question.pk, story.pk}


def test_a_big_move_in_the_community_forecast_fires_forecast_moved(settings):
    settings.WEBHOOK_FORECAST_MOVE_POINTS = 10
    with Receiver() as receiver:
        endpoint_for(receiver.url, event_types=["forecast.moved"])
        question = QuestionFactory(options=["A", "B"])
        a, b = question.options.values_list("pk", flat=True)
        with committed():
            forecasting.record_forecast(UserFactory(), question.pk, {a: 0.5, b: 0.5})
        with committed():
            forecasting.record_forecast(UserFactory(), question.pk, {a: 0.55, b: 0.45})
        assert receiver.received == []  # 2.5 points: not news
        with committed():
            forecasting.record_forecast(UserFactory(), question.pk, {a: 0.99, b: 0.01})
    moved = bodies(receiver)
    assert [m["type"] for m in moved] == ["forecast.moved"]
    assert moved[0]["data"]["moved_points"][str(a)] > 10
