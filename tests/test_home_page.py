"""The home page: latest stories with their featured questions, closing soon, resolved."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from forecasts import outcomes
from forecasts.models import Question, with_featured_question
from news.models import Story
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


def test_home_shows_latest_stories_closing_soon_resolved_and_topics(client):
    story = StoryFactory(headline="Border reopens", topics=[TopicFactory(name="Iraq")])
    StoryQuestionFactory(story=story, question=QuestionFactory(title="Featured one?"))
    QuestionFactory(title="Closes tomorrow?", closes_at=NOW + timedelta(days=1))
    QuestionFactory(title="Closes next month?", closes_at=NOW + timedelta(days=40))
    settled = QuestionFactory(title="Settled already?")
    outcomes.resolve(settled, settled.options.first(), "Done.")
    page = text_of(client.get("/"))
    assert "Border reopens" in page
    assert "Featured one?" in page
    closing = page[page.index("Closing soon") : page.index("Recently resolved")]
    assert "Closes tomorrow?" in closing
    assert "Closes next month?" not in closing
    assert "Settled already?" in page[page.index("Recently resolved") :]
    assert "Iraq" in page[page.index("Topics") :]


def test_story_lists_show_each_storys_first_visible_question_only(client):
    topic = TopicFactory()
    story = StoryFactory(headline="Border reopens", topics=[topic])
    draft = QuestionFactory(title="Not yet public?", status=Question.Status.DRAFT)
    StoryQuestionFactory(story=story, question=draft, position=0)
    StoryQuestionFactory(story=story, question=QuestionFactory(title="Featured one?"), position=1)
    StoryQuestionFactory(story=story, question=QuestionFactory(title="Related one?"), position=2)
    other = StoryFactory(headline="Talks resume", topics=[topic])
    StoryQuestionFactory(story=other, question=QuestionFactory(title="Other featured?"))
    for url in ("/", topic.get_absolute_url()):
        page = text_of(client.get(url)).split("Closing soon")[0]  # the stories, not the sidebar
        assert "Featured one?" in page, url
        assert "Other featured?" in page, url
        assert "Related one?" not in page, url
        assert "Not yet public?" not in page, url
    # Only the featured question is loaded, not the related ones to be hidden.
    listed = with_featured_question(Story.objects.all()).get(pk=story.pk)
    assert [link.question.title for link in listed.featured_links] == ["Featured one?"]


def test_home_costs_the_same_queries_whatever_it_shows(client):
    def one_of_each():
        QuestionFactory(closes_at=NOW + timedelta(days=2))
        resolved = QuestionFactory()
        outcomes.resolve(resolved, resolved.options.first())

    newsroom(stories=1, questions_per_story=1)
    one_of_each()
    few = queries(client, "/")
    newsroom(stories=8, questions_per_story=5)
    for _ in range(4):
        one_of_each()
    cache.clear()
    assert queries(client, "/") == few


def test_home_query_count(client, django_assert_num_queries):
    newsroom(stories=4, questions_per_story=2)
    QuestionFactory(closes_at=NOW + timedelta(days=2))
    resolved = QuestionFactory()
    outcomes.resolve(resolved, resolved.options.first())
    # Stories, their topics (each card's topic kicker), their featured links with their
    # questions; closing soon; recently resolved; the topics rail. Then, for every card
    # the cache did not have, at once: their options, their forecasts a day ago.
    with django_assert_num_queries(8):
        client.get("/")
    with django_assert_num_queries(6):  # every card from the cache
        client.get("/")


def test_home_leads_with_the_newest_story_and_its_question(client):
    older = StoryFactory(headline="Older story", published_at=NOW - timedelta(days=2))
    newest = StoryFactory(headline="Newest story", published_at=NOW - timedelta(hours=1))
    StoryQuestionFactory(story=newest, question=QuestionFactory(title="Lead question?"))
    StoryQuestionFactory(story=older, question=QuestionFactory(title="River question?"))
    html = client.get("/").content.decode()
    lead = html[html.index('class="lead"') : html.index('id="latest-heading"')]
    assert "Newest story" in lead
    assert "story-card--lead" in lead
    assert "question-card--featured" in lead
    assert "Lead question?" in lead
    assert "Older story" not in lead
