"""Readers follow questions: one email per event per reader, with a link to their score and
a one-click unsubscribe; My forecasts shows their scores against the community's."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from forecasts import forecasting, outcomes
from forecasts.models import Follow
from forecasts.tasks import score_resolved_question
from tests.client_helpers import committed
from tests.factories import QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db


def follower(client, question, username="amal"):
    user = UserFactory(username=username, email=f"{username}@example.com")
    client.force_login(user)
    response = client.post(reverse("forecasts:follow", args=[question.slug]))
    assert response.status_code == 302
    return user


def test_a_follower_gets_one_email_when_the_question_resolves_with_their_score(client):
    question = QuestionFactory(binary=True)
    reader = follower(client, question)
    yes, no = (o.pk for o in question.options.all())
    forecasting.record_forecast(reader, question.pk, {yes: 0.8, no: 0.2})
    mail.outbox.clear()
    with committed():
        outcomes.resolve(question, question.options.get(label="Yes"))
    [message] = mail.outbox
    assert message.to == ["amal@example.com"]
    assert "Your Brier score: 0.080" in message.body
    assert "/accounts/forecasts/" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with committed():  # the scoring task runs again (a retry): no second email
        score_resolved_question.call(question.pk)
    assert len(mail.outbox) == 1


def test_a_sharp_move_emails_each_follower_once_a_day(client, settings):
    settings.WEBHOOK_FORECAST_MOVE_POINTS = 10
    question = QuestionFactory(binary=True)
    follower(client, question, "amal")
    follower(client, question, "badr")
    yes, no = (o.pk for o in question.options.all())
    for share in (0.5, 0.95, 0.05):
        with committed():
            forecasting.record_forecast(UserFactory(), question.pk, {yes: share, no: 1 - share})
    assert sorted(m.to[0] for m in mail.outbox) == ["amal@example.com", "badr@example.com"]
    assert all(m.subject.startswith("Moved:") for m in mail.outbox)


def test_unsubscribe_asks_on_get_and_stops_on_a_one_click_post(client):
    question = QuestionFactory(binary=True)
    reader = follower(client, question)
    token = Follow.objects.get(user=reader).token
    url = reverse("readers:unsubscribe", args=[token])
    client.logout()
    page = client.get(url)
    assert page.status_code == 200
    assert "Stop following this question?" in page.content.decode()
    assert Follow.objects.filter(user=reader).exists()  # a link scanner's GET changes nothing
    done = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert not Follow.objects.filter(user=reader).exists()
    assert client.get(url).status_code == 404


def test_the_page_offers_follow_and_stop_following(client):
    question = QuestionFactory(binary=True)
    client.force_login(UserFactory())
    assert "Follow this question" in client.get(question.get_absolute_url()).content.decode()
    client.post(reverse("forecasts:follow", args=[question.slug]))
    page = client.get(question.get_absolute_url() + "?again").content.decode()
    assert "Stop following" in page
    client.post(reverse("forecasts:follow", args=[question.slug]), {"unfollow": "1"})
    assert not Follow.objects.exists()


def test_my_forecasts_shows_scores_against_the_community(client):
    question = QuestionFactory(binary=True)
    reader = follower(client, question)
    yes, no = (o.pk for o in question.options.all())
    forecasting.record_forecast(reader, question.pk, {yes: 0.9, no: 0.1})
    forecasting.record_forecast(UserFactory(), question.pk, {yes: 0.3, no: 0.7})
    with committed():
        outcomes.resolve(question, question.options.get(label="Yes"))
    page = re.sub(r"\s+", " ", client.get(reverse("readers:my_forecasts")).content.decode())
    assert "Brier 0.020" in page
    assert "the community: Brier" in page
    assert "you beat it" in page
