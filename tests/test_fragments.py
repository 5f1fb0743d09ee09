"""Cards cached on their own (config.fragments): a rendered page reuses the cards of
questions and stories that did not change, and never shows one older than its question."""

import pytest

from forecasts import forecasting
from tests.client_helpers import text_of
from tests.factories import QuestionFactory, StoryFactory, StoryQuestionFactory, UserFactory

pytestmark = pytest.mark.django_db

CARD = "includes/question_card.html"


def cards_rendered(response):
    return sum(template.name == CARD for template in response.templates)


def test_a_page_rendered_again_reuses_its_cards_and_reads_the_same(client):
    QuestionFactory.create_batch(3)
    first = client.get("/questions/")
    again = client.get("/questions/")
    assert cards_rendered(first) == 3
    assert cards_rendered(again) == 0
    assert again.content == first.content


def test_a_forecast_remakes_only_its_own_questions_card(client):
    moved, still = QuestionFactory(options=["Returned", "Stayed"]), QuestionFactory()
    client.get("/questions/")
    returned, stayed = moved.options.all()
    forecasting.record_forecast(UserFactory(), moved.pk, {returned.pk: 0.9, stayed.pk: 0.1})
    response = client.get("/questions/")
    assert cards_rendered(response) == 1
    assert "90%" in text_of(response)
    assert still.title in text_of(response)


def test_an_editors_change_shows_at_once_on_every_page(client):
    story = StoryFactory(headline="Soldiers cross at Al-Qaim")
    question = StoryQuestionFactory(story=story).question
    for url in ("/", story.get_absolute_url(), "/questions/"):
        client.get(url)
    question.title = "Predominant reason cited by Syrian soldiers?"
    question.save()
    story.headline = "2,000 soldiers cross at Al-Qaim"
    story.save()
    assert "Predominant reason cited" in text_of(client.get("/questions/"))
    home = text_of(client.get("/"))
    assert "2,000 soldiers cross" in home
    assert "Predominant reason cited" in home


def test_a_title_that_looks_like_a_placeholder_is_shown_as_text(client):
    QuestionFactory(title="<!--fragment 0123456789abcdef 0--> Will it rain?")
    client.get("/questions/")
    page = client.get("/questions/").content.decode()
    assert "&lt;!--fragment 0123456789abcdef 0--&gt; Will it rain?" in page
