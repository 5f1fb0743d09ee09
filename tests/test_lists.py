"""Question lists and topic pages: filters by state and topic, paging at a fixed cost."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from config import versions
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


def test_question_tabs_show_counts_and_awaiting_resolution(client):
    QuestionFactory(title="Open one?")
    QuestionFactory(title="Soon one?", closes_at=NOW + timedelta(days=2))
    closed = QuestionFactory(title="Closed one?")
    outcomes.close(closed)
    resolved = QuestionFactory(title="Resolved one?")
    outcomes.resolve(resolved, resolved.options.first())
    html = client.get("/questions/").content.decode()
    tabs = dict(re.findall(r'state=(\w+)"[^>]*>([^<]+?) <span class="tab__count">', html))
    assert list(tabs.values()) == [
        "Open", "Closing soon", "Awaiting resolution", "Resolved", "Annulled", "All",
    ]  # fmt: skip
    counts = re.findall(r'<span class="tab__count">(\d+)</span>', html)
    assert counts == ["2", "1", "1", "1", "0", "4"]
    awaiting = text_of(client.get("/questions/?state=closed"))
    assert "Closed one?" in awaiting
    assert "Open one?" not in awaiting
    assert "Resolved one?" not in awaiting


def test_question_list_never_opens_on_an_empty_tab(client):
    resolved = QuestionFactory(title="Only resolved?")
    outcomes.resolve(resolved, resolved.options.first())
    page = client.get("/questions/").content.decode()
    assert 'href="?state=resolved" aria-current="page"' in page
    assert "Only resolved?" in text_of(client.get("/questions/"))
    # Asked for explicitly, an empty tab is shown, empty.
    assert "Only resolved?" not in text_of(client.get("/questions/?state=open"))


def test_question_tabs_count_within_a_topic(client):
    topic = TopicFactory(slug="syria", name="Syria")
    StoryQuestionFactory(story=StoryFactory(topics=[topic]), question=QuestionFactory())
    QuestionFactory()
    html = client.get("/questions/?topic=syria").content.decode()
    assert re.findall(r'<span class="tab__count">(\d+)</span>', html)[0] == "1"


def test_question_list_query_count(client, django_assert_num_queries, monkeypatch):
    monkeypatch.setattr(versions, "clock_bucket", lambda: 1)  # no slice ends mid-test
    for _ in range(25):
        QuestionFactory()
    # the tab counts (one grouped query), the page of questions, the topics; for the
    # cards the cache did not have, their options and their forecasts a day ago
    with django_assert_num_queries(5):
        client.get("/questions/")
    # Within the same editorial version and clock slice the counts come from the cache.
    with django_assert_num_queries(4):
        client.get("/questions/?page=2")
    with django_assert_num_queries(2):  # and so do the cards
        client.get("/questions/?page=2")
