"""The 24-hour and 7-day change of a question's options, from its snapshot history, on every
card, page and API answer; large moves marked on the chart."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from forecasts import outcomes
from forecasts.models import Option, Question
from tests.client_helpers import api_client, queries_for, text_of
from tests.factories import (
    ForecastSnapshotFactory,
    QuestionFactory,
    StoryFactory,
    StoryQuestionFactory,
)

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def set_community(question, *shares):
    """Make the community forecast `shares` (one reader) without going through forms."""
    for option, share in zip(question.options.all(), shares, strict=True):
        Option.objects.filter(pk=option.pk).update(forecast_sum=share)
    Question.objects.filter(pk=question.pk).update(forecaster_count=1)


def snapshot(question, hours_ago, *shares):
    options = list(question.options.all())
    ForecastSnapshotFactory(
        question=question,
        taken_at=NOW - timedelta(hours=hours_ago),
        forecaster_count=1,
        probabilities={str(o.pk): s for o, s in zip(options, shares, strict=True)},
    )


def loaded(question):
    return Question.objects.with_options().with_day_change().get(pk=question.pk)


@pytest.mark.usefixtures("mean_aggregate")  # numbers of the mean
def test_change_is_against_the_last_snapshot_a_day_ago_or_more():
    question = QuestionFactory(options=["Stay", "Leave"], opens_at=NOW - timedelta(days=5))
    snapshot(question, 50, 0.30, 0.70)
    snapshot(question, 30, 0.40, 0.60)  # the one that stood 24 hours ago
    snapshot(question, 2, 0.90, 0.10)  # within the day: not the baseline
    set_community(question, 0.55, 0.45)
    stay, leave = question.options.all()
    assert loaded(question).day_change == {stay.pk: 15, leave.pk: -15}
    row = loaded(question).leading_row
    assert (row.label, row.percent, row.change) == ("Stay", 55, 15)


@pytest.mark.usefixtures("mean_aggregate")  # numbers of the mean
def test_a_question_open_a_day_ago_without_forecasts_moved_from_an_even_split():
    question = QuestionFactory(options=["A", "B"], opens_at=NOW - timedelta(days=3))
    set_community(question, 0.8, 0.2)
    a, b = question.options.all()
    assert loaded(question).day_change == {a.pk: 30, b.pk: -30}


def test_no_change_for_new_settled_or_unloaded_questions():
    new = QuestionFactory(options=["A", "B"], opens_at=NOW - timedelta(hours=3))
    set_community(new, 0.8, 0.2)
    assert loaded(new).day_change == {}
    settled = QuestionFactory(options=["A", "B"], opens_at=NOW - timedelta(days=3))
    set_community(settled, 0.8, 0.2)
    outcomes.resolve(settled, settled.options.first())
    assert loaded(settled).day_change == {}
    assert Question.objects.get(pk=new.pk).day_change == {}  # not loaded: nothing claimed


@pytest.mark.usefixtures("mean_aggregate")  # numbers of the mean
def test_cards_show_the_leading_options_change(client):
    question = QuestionFactory(
        title="Will the crossing reopen?", binary=True, opens_at=NOW - timedelta(days=3)
    )
    snapshot(question, 26, 0.5, 0.5)
    set_community(question, 0.63, 0.37)
    story = StoryFactory()
    StoryQuestionFactory(story=story, question=question, position=0)
    for url in (story.get_absolute_url(), "/questions/", "/", "/search/?q=crossing"):
        page = text_of(client.get(url))
        assert "Yes 63% ▲ 13 points up in 24 hours" in page, url


@pytest.mark.usefixtures("mean_aggregate")  # numbers of the mean
def test_question_page_shows_every_options_change(client):
    question = QuestionFactory(options=["A", "B", "C"], opens_at=NOW - timedelta(days=3))
    snapshot(question, 25, 0.2, 0.3, 0.5)
    set_community(question, 0.5, 0.3, 0.2)
    page = text_of(client.get(question.get_absolute_url()))
    assert "A 50% ▲ 30 points up in 24 hours" in page
    assert "C 20% ▼ 30 points down in 24 hours" in page
    assert re.search(r"B 30% (?!▲|▼)", page)


def test_the_change_costs_no_query_on_lists_of_any_length(client):
    def questions_with_history(count):
        for _ in range(count):
            question = QuestionFactory(opens_at=NOW - timedelta(days=3))
            story = StoryFactory()
            StoryQuestionFactory(story=story, question=question, position=0)
            snapshot(question, 30, 0.1, 0.2, 0.3, 0.4)
            snapshot(question, 1, 0.4, 0.3, 0.2, 0.1)

    questions_with_history(2)
    urls = ["/", "/questions/", "/search/?q=event"]
    few = [queries_for(client, url) for url in urls]
    questions_with_history(12)
    cache.clear()
    assert [queries_for(client, url) for url in urls] == few


def test_story_page_with_the_change_keeps_its_query_count(client, django_assert_num_queries):
    story = StoryFactory()
    for position in range(6):
        question = QuestionFactory(opens_at=NOW - timedelta(days=3))
        snapshot(question, 30, 0.1, 0.2, 0.3, 0.4)
        StoryQuestionFactory(story=story, question=question, position=position)
    # story, its topics, its corrections, its linked questions; then, for the cards the
    # cache does not have, their options and their forecasts a day ago (one query each)
    with django_assert_num_queries(6):
        client.get(story.get_absolute_url())
    with django_assert_num_queries(4):  # every card from the cache
        client.get(story.get_absolute_url())


@pytest.mark.usefixtures("mean_aggregate")  # numbers of the mean
def test_cards_and_the_api_show_the_7_day_change_beside_the_24_hour_one(client):
    question = QuestionFactory(
        slug="crossing", options=["A", "B"], opens_at=NOW - timedelta(days=10)
    )
    snapshot(question, 24 * 8, 0.3, 0.7)  # a week ago and more: A at 30%
    snapshot(question, 25, 0.5, 0.5)  # a day ago: A at 50%
    set_community(question, 0.6, 0.4)
    page = text_of(client.get("/questions/"))
    assert "A 60% ▲ 10 points up in 24 hours ▲ 30 7d points up in 7 days" in page
    assert "B 40% ▼ 10 points down in 24 hours ▼ 30 7d points down in 7 days" in page
    [a, b] = api_client().get("/api/v1/questions/crossing/").json()["options"]
    assert (a["change_24h"], a["change_7d"]) == (10, 30)
    assert (b["change_24h"], b["change_7d"]) == (-10, -30)
    listed = api_client().get("/api/v1/questions/").json()["results"]
    assert [o["change_7d"] for o in listed[0]["options"]] == [30, -30]


@pytest.mark.usefixtures("mean_aggregate")  # numbers of the mean
def test_the_chart_marks_large_moves_and_lists_them(client):
    question = QuestionFactory(options=["A", "B"], opens_at=NOW - timedelta(days=3))
    snapshot(question, 30, 0.5, 0.5)
    snapshot(question, 20, 0.52, 0.48)  # 2 points: not large
    snapshot(question, 10, 0.75, 0.25)  # 23 points: large
    set_community(question, 0.75, 0.25)
    html = client.get(question.get_absolute_url()).content.decode()
    assert html.count('class="chart__move"') == 1
    page = text_of(client.get(question.get_absolute_url() + "?text"))
    assert "Large moves" in page
    assert re.search(r": A up 23 points, B down 23 points", page)
