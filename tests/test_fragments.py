"""Cards and API list items cached on their own (config.fragments, config.api.items): a
rendered page or list reuses the parts whose question or story did not change, and never
shows one older than it."""

import pytest

from forecasts import forecasting
from forecasts.api.serializers import QuestionSerializer
from news.api import StorySerializer
from tests.client_helpers import api_client, text_of
from tests.factories import (
    EditorFactory,
    QuestionFactory,
    StoryFactory,
    StoryQuestionFactory,
    UserFactory,
)

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


def test_a_forecast_remakes_only_its_own_questions_card(client, mean_aggregate):
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


@pytest.fixture
def serialised(monkeypatch):
    """The slugs of the questions and stories serialised, as they are."""
    done = []
    for serializer in (QuestionSerializer, StorySerializer):
        real = serializer.to_representation

        def counted(self, item, real=real):
            done.append(item.slug)
            return real(self, item)

        monkeypatch.setattr(serializer, "to_representation", counted)
    return done


def test_an_api_list_asked_again_serialises_nothing_and_answers_the_same(client, serialised):
    StoryQuestionFactory.create_batch(3)
    for url in ("/api/v1/questions/", "/api/v1/stories/"):
        first = client.get(url).json()
        serialised.clear()
        assert client.get(url).json() == first
        assert serialised == []


def test_a_forecast_reserialises_only_its_own_question(client, serialised, mean_aggregate):
    moved, still = QuestionFactory(options=["Returned", "Stayed"]), QuestionFactory()
    client.get("/api/v1/questions/")
    returned, stayed = moved.options.all()
    forecasting.record_forecast(UserFactory(), moved.pk, {returned.pk: 0.9, stayed.pk: 0.1})
    serialised.clear()
    items = {item["slug"]: item for item in client.get("/api/v1/questions/").json()["results"]}
    assert serialised == [moved.slug]
    assert [o["percent"] for o in items[moved.slug]["options"]] == [90, 10]
    assert still.slug in items


def test_an_editor_and_a_reader_each_get_their_own_view_of_a_cached_question(client):
    question = QuestionFactory()
    StoryQuestionFactory(question=question, story=StoryFactory(slug="live-story"))
    StoryQuestionFactory(question=question, story=StoryFactory(slug="draft-story", draft=True))

    def stories_seen(api):
        return sorted(api.get("/api/v1/questions/").json()["results"][0]["stories"])

    assert stories_seen(api_client(EditorFactory())) == ["draft-story", "live-story"]
    assert stories_seen(client) == ["live-story"]
    assert stories_seen(api_client(EditorFactory())) == ["draft-story", "live-story"]


def test_an_item_carries_the_address_it_was_asked_at(client, settings):
    settings.ALLOWED_HOSTS = ["news.example.com", "other.example.org"]
    QuestionFactory(slug="crossing")
    for host in ("news.example.com", "other.example.org", "news.example.com"):
        item = client.get("/api/v1/questions/", HTTP_HOST=host).json()["results"][0]
        assert item["url"] == f"http://{host}/questions/crossing/"
