"""Readers' reasons for their forecasts: plain text, shown without names after close (or at
once), hidden by editors from the admin's moderation list."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from forecasts import forecasting
from forecasts.models import RATIONALE_MAX_LENGTH, Forecast, Question
from tests.client_helpers import api_client
from tests.factories import QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db


def post_forecast(client, question, rationale, *percents):
    data = {f"option_{o.pk}": p for o, p in zip(question.options.all(), percents, strict=True)}
    data["rationale"] = rationale
    return client.post(reverse("forecasts:forecast", args=[question.slug]), data)


def close(question):
    Question.objects.filter(pk=question.pk).update(
        opens_at=timezone.now() - timedelta(days=2), closes_at=timezone.now() - timedelta(days=1)
    )


def page_of(client, question, anonymous=True):
    if anonymous:
        client.logout()
    return unescape(client.get(question.get_absolute_url()).content.decode())


def test_a_reason_shows_without_a_name_once_the_question_closes(client):
    question = QuestionFactory(binary=True)
    reader = UserFactory(username="ahmad")
    client.force_login(reader)
    response = post_forecast(client, question, "The border reopened twice last year.", 70, 30)
    assert response.status_code == 302
    assert Forecast.objects.get(user=reader).rationale == "The border reopened twice last year."
    assert "The border reopened twice" not in page_of(client, question)
    close(question)
    page = page_of(client, question)
    assert "Readers' reasons" in page
    assert "The border reopened twice last year." in page
    assert "ahmad" not in page


def test_a_question_may_show_reasons_at_once_and_only_each_readers_latest():
    question = QuestionFactory(binary=True, rationales_at_once=True)
    yes, no = (o.pk for o in question.options.all())
    reader = UserFactory()
    forecasting.record_forecast(reader, question.pk, {yes: 0.6, no: 0.4}, rationale="First go")
    forecasting.record_forecast(reader, question.pk, {yes: 0.7, no: 0.3}, rationale="Second go")
    assert [text for text, _ in question.public_rationales()] == ["Second go"]


@pytest.mark.parametrize(
    ("rationale", "message"),
    [
        ("<b>Sure</b> thing", "plain text"),
        ("Tom &amp; Jerry", "plain text"),
        ("x" * (RATIONALE_MAX_LENGTH + 1), f"Keep your reason to {RATIONALE_MAX_LENGTH}"),
    ],
)
def test_html_or_a_long_reason_is_a_form_error_that_keeps_what_was_typed(
    client, rationale, message
):
    question = QuestionFactory(binary=True)
    client.force_login(UserFactory())
    response = post_forecast(client, question, rationale, 64, 36)
    assert response.status_code == 400
    page = unescape(response.content.decode())
    assert message in page
    assert rationale in page  # nothing lost: the textarea holds it
    assert re.findall(r'name="option_\d+" value="([\d.]+)"', page) == ["64", "36"]
    assert not Forecast.objects.exists()


def test_the_api_takes_a_reason_and_refuses_html_by_field():
    question = QuestionFactory(slug="crossing", binary=True)
    yes, no = (o.pk for o in question.options.all())
    api = api_client(UserFactory())
    url = "/api/v1/questions/crossing/forecasts/"
    body = {"probabilities": {str(yes): 0.6, str(no): 0.4}, "rationale": "<script>x</script>"}
    response = api.post(url, body, format="json")
    assert response.status_code == 400
    assert "plain text" in response.json()["error"]["fields"]["rationale"][0]
    body["rationale"] = "  Plain words.  "
    response = api.post(url, body, format="json")
    assert response.status_code == 201
    assert response.json()["rationale"] == "Plain words."


def test_editors_list_the_newest_reasons_and_hide_one(client, editor):
    question = QuestionFactory(binary=True, rationales_at_once=True)
    yes, no = (o.pk for o in question.options.all())
    for text in ("Calm and sourced", "Rude words here"):
        forecasting.record_forecast(UserFactory(), question.pk, {yes: 0.5, no: 0.5},
                                    rationale=text)  # fmt: skip
    forecasting.record_forecast(UserFactory(), question.pk, {yes: 0.5, no: 0.5})  # no reason
    listing = client.get(reverse("admin:forecasts_rationale_changelist")).content.decode()
    assert listing.index("Rude words here") < listing.index("Calm and sourced")  # newest first
    assert listing.count('name="_selected_action"') == 2
    rude = Forecast.objects.get(rationale="Rude words here")
    response = client.post(
        reverse("admin:forecasts_rationale_changelist"),
        {"action": "hide", "_selected_action": [rude.pk]},
    )
    assert response.status_code == 302
    page = page_of(client, question)
    assert "Calm and sourced" in page
    assert "Rude words here" not in page
