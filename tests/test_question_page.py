"""The question page: state, options, counts, criteria, stories; drafts are 404; embeds."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from forecasts import outcomes
from forecasts.models import Question
from tests.client_helpers import text_of
from tests.factories import (
    ForecastSnapshotFactory,
    QuestionFactory,
    StoryFactory,
    StoryQuestionFactory,
)

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def test_question_page_shows_state_options_count_criteria_times_and_stories(client):
    question = QuestionFactory(
        title="Will Iraq close Al-Qaim?", binary=True, closes_at=NOW + timedelta(days=3)
    )
    StoryQuestionFactory(question=question, story=StoryFactory(headline="Live story"))
    StoryQuestionFactory(question=question, story=StoryFactory(headline="Draft", draft=True))
    page = text_of(client.get(question.get_absolute_url()))
    assert "Open · closes in 2 days" in page or "Open · closes in 3 days" in page
    assert "Yes 50%" in page
    assert "No 50%" in page
    assert "0 forecasters" in page
    assert "Reports from interviews or official statements" in page
    assert "Opens" in page
    assert "Closes" in page
    assert "Live story" in page
    assert "Draft" not in page.split("Stories")[-1]


@pytest.mark.parametrize(
    ("change", "phrase"),
    [
        (lambda q: outcomes.close(q), "Closed · awaiting resolution"),
        (
            lambda q: outcomes.resolve(q, q.options.get(label="No"), "It stayed open."),
            "Resolved: No",
        ),
        (lambda q: outcomes.annul(q, "Question was unclear."), "Annulled · no outcome"),
    ],
)
def test_question_page_says_what_state_it_is_in(client, change, phrase):
    question = QuestionFactory(binary=True)
    change(question)
    page = client.get(question.get_absolute_url())
    assert phrase in text_of(page)
    html = page.content.decode()
    if "Resolved" in phrase:
        assert re.search(r"No\s*<strong[^>]*>Outcome</strong>", html)
    else:
        assert "Outcome</strong>" not in html  # annulled is not "No"; closed is not resolved


def test_question_page_costs_fixed_queries(client, django_assert_num_queries):
    question = QuestionFactory(options=[f"Option {i}" for i in range(10)])
    for _ in range(30):
        ForecastSnapshotFactory(question=question)
    for _ in range(5):
        StoryQuestionFactory(question=question)
    with django_assert_num_queries(4):
        client.get(question.get_absolute_url())


def test_draft_questions_are_404_everywhere(client):
    draft = QuestionFactory(title="Secret draft?", status=Question.Status.DRAFT)
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(f"/questions/{draft.slug}/embed/").status_code == 404
    for url in ["/questions/?state=all", "/", "/search/?q=Secret", "/feeds/questions/",
                "/feeds/questions/atom/", "/sitemap.xml"]:  # fmt: skip
        assert "Secret draft" not in client.get(url).content.decode(), url


def test_only_the_embed_view_may_be_framed(client):
    question = QuestionFactory()
    embed = client.get(f"/questions/{question.slug}/embed/")
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed
    assert "frame-ancestors *" in embed["Content-Security-Policy"]
    page = client.get(question.get_absolute_url())
    assert page["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]


def test_the_embed_shows_forecasters_and_close_date(client):
    question = QuestionFactory(closes_at=timezone.datetime(2030, 6, 30, tzinfo=timezone.UTC))
    Question.objects.filter(pk=question.pk).update(forecaster_count=7)
    question.options.update(forecast_sum=7 / 4)
    page = text_of(client.get(f"/questions/{question.slug}/embed/"))
    assert "7 forecasters" in page
    assert "Closes 30 Jun 2030" in page


def test_the_question_page_offers_the_embed_code_as_selectable_text(client):
    question = QuestionFactory()
    html = client.get(question.get_absolute_url()).content.decode()
    code = re.search(r'<code id="embed-code">(.*?)</code>', html, re.S)[1]
    assert f"http://testserver/questions/{question.slug}/embed/" in code
    assert code.startswith("&lt;iframe ")
    assert "js/copy.js" in html  # the copy button is added by JavaScript


def test_open_cards_carry_a_forecast_call_to_action(client):
    open_question = QuestionFactory(title="Still open?")
    closed = QuestionFactory(title="Closed already?")
    outcomes.close(closed)
    html = client.get("/questions/?state=all").content.decode()
    assert f'href="{open_question.get_absolute_url()}#forecast">Forecast' in html
    assert f'href="{closed.get_absolute_url()}#forecast"' not in html


def test_annulled_cards_say_annulled_not_no(client):
    question = QuestionFactory(binary=True)
    outcomes.annul(question, "Unclear.")
    page = text_of(client.get("/questions/?state=annulled"))
    assert "Annulled · no outcome" in page
    assert "Outcome" not in page.replace("no outcome", "")
