"""Anti-anchoring: a question may hide its community forecast until enough readers have
forecast or until a time; every surface that shows it respects that, and shows it at close."""

import csv
import io
import json
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.utils import timezone

from config.versions import content_version
from forecasts import events, forecasting, live
from forecasts.models import Question
from tests.client_helpers import api_client, committed
from tests.factories import QuestionFactory, UserFactory
from tests.test_webhooks import endpoint_for
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.django_db


def hidden_question(**fields):
    """An open question that hides its forecast until 3 readers, with 1 reader's 80/20."""
    question = QuestionFactory(slug="crossing", options=["Yes", "No"], reveal_forecasters=3,
                               **fields)  # fmt: skip
    yes, no = (o.pk for o in question.options.all())
    forecasting.record_forecast(UserFactory(), question.pk, {yes: 0.8, no: 0.2})
    return Question.objects.with_options().get(pk=question.pk)


def more_forecasts(question, n):
    yes, no = (o.pk for o in question.options.all())
    for _ in range(n):
        forecasting.record_forecast(UserFactory(), question.pk, {yes: 0.8, no: 0.2})


def percents(html):
    return re.findall(r'class="option__percent">(\d+)%', html)


def test_the_rule_counts_forecasters_waits_for_the_time_and_gives_way_at_close():
    question = hidden_question()
    assert not question.reveals_community()
    more_forecasts(question, 2)
    question.refresh_from_db()
    assert question.reveals_community()
    later = timezone.now() + timedelta(days=1)
    question.reveal_at = later
    assert not question.reveals_community()
    assert question.reveals_community(now=later)
    assert question.reveals_community(now=question.closes_at)  # closed: always shown


def test_the_page_card_and_embed_hide_the_numbers_and_say_until_when(client):
    question = hidden_question()
    page = client.get(question.get_absolute_url()).content.decode()
    assert percents(page) == []
    assert "The community forecast is hidden until 3 readers have forecast" in page
    assert "data-live-stream" not in page
    assert "Yes 89%" not in page  # nor in the page's description
    cards = client.get("/questions/").content.decode()
    assert "crossing" in cards
    assert percents(cards) == []
    embed = client.get(f"/questions/{question.slug}/embed/").content.decode()
    assert percents(embed) == []
    assert "hidden until 3 readers" in embed
    more_forecasts(question, 2)
    assert percents(client.get(question.get_absolute_url() + "?now").content.decode()) == [
        "89",
        "11",
    ]


def test_a_reader_sees_their_own_forecast_and_the_form_starts_from_equal_shares(client):
    question = hidden_question()
    reader = UserFactory()
    client.force_login(reader)
    page = client.get(question.get_absolute_url()).content.decode()
    assert re.findall(r'name="option_\d+" value="([\d.]+)"', page) == ["50.0", "50.0"]
    yes, no = (o.pk for o in question.options.all())
    forecasting.record_forecast(reader, question.pk, {yes: 0.65, no: 0.35})
    page = client.get(question.get_absolute_url() + "?again").content.decode()
    assert re.findall(r'name="option_\d+" value="([\d.]+)"', page) == ["65.0", "35.0"]
    assert percents(page) == []


def test_the_api_gives_null_probabilities_and_no_history_until_revealed_but_editors_see():
    question = hidden_question()
    body = api_client().get("/api/v1/questions/crossing/").json()
    assert body["community_hidden"] is True
    assert body["reveal_forecasters"] == 3
    assert {o["probability"] for o in body["options"]} == {None}
    assert {o["pooled_probability"] for o in body["options"]} == {None}
    listed = api_client().get("/api/v1/questions/").json()["results"]
    assert {o["percent"] for q in listed for o in q["options"]} == {None}
    history = api_client().get("/api/v1/questions/crossing/history/").json()
    assert history["points"] == []
    editor = UserFactory()
    editor.user_permissions.add(Permission.objects.get(codename="change_question"))
    seen = api_client(editor).get("/api/v1/questions/crossing/").json()
    assert seen["community_hidden"] is False
    assert [o["percent"] for o in seen["options"]] == [89, 11]
    more_forecasts(question, 2)
    body = api_client().get("/api/v1/questions/crossing/?revealed").json()
    assert body["community_hidden"] is False
    assert [o["percent"] for o in body["options"]] == [89, 11]


def test_feeds_and_exports_leave_the_numbers_out(client):
    question = hidden_question()
    feed = client.get("/feeds/questions/").content.decode()
    assert "The community forecast is hidden for now" in feed
    assert "Yes 89%" not in feed
    rows = list(csv.DictReader(io.StringIO(b"".join(
        api_client().get("/api/v1/exports/questions.csv", {"state": "all"}).streaming_content
    ).decode())))  # fmt: skip
    assert [r for r in rows if r["question_slug"] == "crossing"] == []
    lines = b"".join(
        api_client().get("/api/v1/exports/questions.jsonl", {"state": "all"}).streaming_content
    ).decode()
    [record] = [json.loads(line) for line in lines.splitlines() if '"crossing"' in line]
    assert record["history"] == []
    assert question.snapshots.exists()


def test_live_streams_send_the_count_but_not_the_numbers():
    question = hidden_question()
    state = live.state_of(question)
    assert state["hidden"] is True
    assert state["forecaster_count"] == 1
    assert {o["percent"] for o in state["options"]} == {None}


def test_webhooks_carry_no_numbers_and_no_move_while_hidden(settings):
    settings.WEBHOOK_FORECAST_MOVE_POINTS = 10
    question = hidden_question(reveal_at=timezone.now() + timedelta(days=1))
    data = events.question_data(question)
    assert data["community_hidden"] is True
    assert {o["probability"] for o in data["options"]} == {None}
    with Receiver() as receiver:
        endpoint_for(receiver.url, event_types=["forecast.moved"])
        yes, no = (o.pk for o in question.options.all())
        for share in (0.5, 0.99, 0.01):
            with committed():
                forecasting.record_forecast(
                    UserFactory(), question.pk, {yes: share, no: 1 - share}
                )
    assert receiver.received == []


def test_a_reveal_by_the_clock_renews_cached_pages(client):
    hidden_question(reveal_at=timezone.now() - timedelta(seconds=30))
    before = content_version()["version"]
    out = StringIO()
    call_command("fire_due_events", stdout=out)
    assert "1 community forecasts revealed" in out.getvalue()
    assert content_version()["version"] != before
