"""Search: live stories and visible questions only; ranked full text on PostgreSQL."""

import pytest
from django.db import connection

from forecasts.models import Question
from news.models import Story
from tests.client_helpers import text_of
from tests.factories import (
    QuestionFactory,
    StoryFactory,
)

pytestmark = pytest.mark.django_db


def test_search_finds_live_stories_and_visible_questions_only(client):
    StoryFactory(headline="Soldiers cross at Al-Qaim")
    StoryFactory(headline="Soldiers cross again", draft=True)
    QuestionFactory(title="Will the soldiers return?")
    QuestionFactory(title="Will the soldiers stay?", status=Question.Status.DRAFT)
    page = text_of(client.get("/search/?q=soldiers"))
    assert "Soldiers cross at Al-Qaim" in page
    assert "Will the soldiers return?" in page
    assert "Soldiers cross again" not in page
    assert "Will the soldiers stay?" not in page


def test_search_without_matches_or_query_is_friendly(client):
    assert "No stories match." in text_of(client.get("/search/?q=zzzzqqq"))
    assert "Search stories and forecast questions" in text_of(client.get("/search/"))
    assert client.get("/search/?q=" + "x" * 5000).status_code == 200
    assert client.get("/search/?q=%22%27%28%29%26%7C%21").status_code == 200


@pytest.mark.postgres
def test_postgres_search_ranks_headline_matches_first_and_stems_words(client):
    StoryFactory(headline="Budget talks", body="Soldiers were mentioned in passing.")
    StoryFactory(headline="Soldiers surrender at the border", body="Nothing else.")
    page = text_of(client.get("/search/?q=soldier"))  # stemmed: soldier ~ soldiers
    assert page.index("Soldiers surrender") < page.index("Budget talks")


@pytest.mark.postgres
def test_postgres_search_uses_the_gin_index():

    for n in range(30):
        StoryFactory(headline=f"Story {n}")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = Story.objects.search("soldiers").query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "story_search_idx" in plan


def test_search_shows_counts_and_story_cards(client, django_assert_num_queries):
    for n in range(3):
        StoryFactory(headline=f"Soldiers cross, part {n}", summary="Troops reach Al-Qaim.")
    QuestionFactory(title="Will the soldiers return?")
    response = client.get("/search/?q=soldiers")
    page = text_of(response)
    assert "3 stories and 1 question" in page
    assert "Stories 3" in page
    assert "Questions 1" in page
    assert 'class="story-card story-card--result' in response.content.decode()
    assert "Troops reach Al-Qaim." in page  # the summary, not a bare headline
    # stories with their counts, their topics; questions with their counts (their cards,
    # options and all, from the cache)
    with django_assert_num_queries(3):
        client.get("/search/?q=soldiers&again")
