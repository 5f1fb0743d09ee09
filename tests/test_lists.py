"""Question lists and topic pages: filters by state and topic, paging at a fixed cost."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from forecasts import outcomes
from tests.client_helpers import queries_for, text_of
from tests.factories import (
    QuestionFactory,
    StoryFactory,
    StoryQuestionFactory,
    TopicFactory,
    newsroom,
)

pytestmark = pytest.mark.django_db

NOW = timezone.now()
queries = queries_for


def test_question_list_filters_by_state_and_topic(client):
    topic = TopicFactory(slug="syria", name="Syria")
    StoryQuestionFactory(
        story=StoryFactory(topics=[topic]), question=QuestionFactory(title="On Syria?")
    )
    QuestionFactory(title="Elsewhere?")
    soon = QuestionFactory(title="Soon?", closes_at=NOW + timedelta(days=2))
    resolved = QuestionFactory(title="Done?")
    outcomes.resolve(resolved, resolved.options.first())
    assert "Elsewhere?" in text_of(client.get("/questions/"))
    assert "Done?" not in text_of(client.get("/questions/"))
    closing = text_of(client.get("/questions/?state=closing"))
    assert soon.title in closing
    assert "Elsewhere?" not in closing
    assert "Done?" in text_of(client.get("/questions/?state=resolved"))
    on_topic = text_of(client.get("/questions/?state=all&topic=syria"))
    assert "On Syria?" in on_topic
    assert "Elsewhere?" not in on_topic
    assert client.get("/questions/?topic=no-such-topic").status_code == 404
    assert client.get("/questions/?state=nonsense").status_code == 200


def test_question_list_paginates_at_fixed_query_cost(client):
    for _ in range(3):
        QuestionFactory()
    few = queries(client, "/questions/")
    for _ in range(45):
        QuestionFactory()
    cache.clear()
    assert queries(client, "/questions/") == few
    page = text_of(client.get("/questions/?page=3"))
    assert "Page 3 of 3" in page
    assert client.get("/questions/?page=999").status_code == 200  # the last page
    assert client.get("/questions/?page=abc").status_code == 200  # the first page


def test_topic_page_costs_fixed_queries(client):
    topic = TopicFactory()
    newsroom(stories=2, questions_per_story=1, topic=topic)
    few = queries(client, topic.get_absolute_url())
    newsroom(stories=10, questions_per_story=4, topic=topic)
    cache.clear()
    assert queries(client, topic.get_absolute_url()) == few
