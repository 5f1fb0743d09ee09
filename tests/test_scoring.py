"""Scores on resolution, hand-computed; leaderboard and calibration on a known dataset."""

import math
from datetime import timedelta

import pytest
from django.utils import timezone

from forecasts import forecasting, outcomes, scoring
from forecasts.models import Forecast, ForecastProbability, Question, Score
from tests.client_helpers import committed, text_of
from tests.factories import QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db


def shares(question, *values):
    return dict(zip([o.pk for o in question.options.all()], values, strict=True))


@pytest.mark.usefixtures("mean_aggregate")  # numbers of the mean
def test_resolution_scores_every_forecaster_and_the_community():
    question = QuestionFactory(options=["A", "B", "C"])
    first, second = UserFactory(), UserFactory()
    forecasting.record_forecast(first, question.pk, shares(question, 0.7, 0.2, 0.1))
    forecasting.record_forecast(second, question.pk, shares(question, 0.2, 0.5, 0.3))
    with committed():
        outcomes.resolve(question, question.options.get(label="A"), "A happened.")
    mine = Score.objects.get(user=first)
    assert mine.brier == pytest.approx(0.09 + 0.04 + 0.01)
    assert mine.log_score == pytest.approx(math.log(0.7))
    theirs = Score.objects.get(user=second)
    assert theirs.brier == pytest.approx(0.64 + 0.25 + 0.09)
    assert theirs.log_score == pytest.approx(math.log(0.2))
    # The community: the mean forecast (0.45, 0.35, 0.2).
    community = Score.objects.get(user__isnull=True)
    assert community.brier == pytest.approx(0.3025 + 0.1225 + 0.04)
    assert community.log_score == pytest.approx(math.log(0.45))


def test_the_forecast_that_stood_at_close_is_the_one_scored():
    question = QuestionFactory(options=["Yes", "No"])
    reader = UserFactory()
    forecasting.record_forecast(reader, question.pk, shares(question, 0.3, 0.7))
    forecasting.record_forecast(reader, question.pk, shares(question, 0.8, 0.2))
    # A forecast stamped after the close (as if it slipped in late) is not scored.
    late = Forecast.objects.create(
        user=reader, question=question, created_at=question.closes_at + timedelta(hours=1)
    )
    for option, value in zip(question.options.all(), (0.01, 0.99), strict=True):
        ForecastProbability.objects.create(forecast=late, option=option, probability=value)
    with committed():
        outcomes.resolve(question, question.options.get(label="Yes"))
    score = Score.objects.get(user=reader)
    assert score.brier == pytest.approx(0.04 + 0.04)


def test_annulled_questions_score_nothing():
    question = QuestionFactory(binary=True)
    forecasting.record_forecast(UserFactory(), question.pk, shares(question, 0.6, 0.4))
    outcomes.annul(question, "Unclear wording.")
    assert not Score.objects.exists()
    # Rescoring an annulled question (say, after a stray score) leaves none behind.
    Score.objects.create(question=question, brier=0.5, log_score=-0.5, probabilities={})
    scoring.score_question(question)
    assert not Score.objects.filter(question=question).exists()


def test_a_question_nobody_forecast_scores_the_communitys_even_split():
    question = QuestionFactory(options=["A", "B", "C", "D"])
    with committed():
        outcomes.resolve(question, question.options.first())
    community = Score.objects.get()
    assert community.user is None
    assert community.brier == pytest.approx(0.75)  # (0.75)² + 3 * (0.25)²


def resolved_with(forecasts, outcome=0, options=("A", "B")):
    """A resolved question; `forecasts` maps readers to their probabilities."""
    question = QuestionFactory(options=list(options))
    for reader, values in forecasts.items():
        forecasting.record_forecast(reader, question.pk, shares(question, *values))
    with committed():
        outcomes.resolve(question, list(question.options.all())[outcome])
    return question


def test_leaderboard_ranks_by_mean_brier_and_needs_the_minimum(client):
    sharp = UserFactory(username="sharp", first_name="Amira", last_name="Haddad")
    vague = UserFactory(username="vague")
    newcomer = UserFactory(username="newcomer")
    for n in range(scoring.MIN_QUESTIONS_FOR_LEADERBOARD):
        readers = {sharp: (0.9, 0.1), vague: (0.5, 0.5)}
        if n < scoring.MIN_QUESTIONS_FOR_LEADERBOARD - 1:
            readers[newcomer] = (0.99, 0.01)  # excellent, but one question short
        resolved_with(readers)
    page = client.get("/leaderboard/").content.decode()
    assert page.index("Amira Haddad") < page.index("vague")
    assert "newcomer" not in page
    assert "0.020" in page  # (0.1)² + (0.1)²
    assert "0.500" in page  # (0.5)² + (0.5)²


@pytest.mark.usefixtures("mean_aggregate")  # numbers of the mean
def test_track_record_shows_the_community_brier_and_calibration(client):
    reader = UserFactory()
    resolved_with({reader: (0.8, 0.2)}, outcome=0)
    resolved_with({reader: (0.8, 0.2)}, outcome=1)
    bins = scoring.calibration(Score.objects.filter(user__isnull=True))
    # Two questions, options at 0.8 and 0.2: the 0.8s happened once in two, so did the 0.2s.
    assert [(round(p, 2), observed, n) for _, p, observed, n in bins] == [
        (0.2, 0.5, 2),
        (0.8, 0.5, 2),
    ]
    page = client.get("/track-record/").content.decode()
    assert "Over 2 resolved questions" in page
    assert "0.680" in page  # mean of (0.04+0.04) and (0.64+0.64)
    assert "<svg" in page


def test_track_record_without_resolutions_says_so(client):
    assert "No question has been resolved yet." in client.get("/track-record/").content.decode()


def test_scores_are_kept_when_the_question_page_is_recomputed():
    question = resolved_with({UserFactory(): (0.6, 0.4)})
    before = list(Score.objects.values_list("brier", flat=True))
    scoring.score_question(question)
    assert list(Score.objects.values_list("brier", flat=True)) == before
    assert timezone.now() >= question.resolved_at


def test_reader_pages_cost_fixed_queries(client):
    from django.core.cache import cache

    from tests.client_helpers import queries_for

    reader = UserFactory(username="counted")
    others = [UserFactory() for _ in range(3)]

    def round_of_questions(count):
        for _ in range(count):
            resolved_with({reader: (0.7, 0.3), **dict.fromkeys(others, (0.4, 0.6))})
            open_question = QuestionFactory(options=["A", "B"])
            forecasting.record_forecast(reader, open_question.pk, shares(open_question, 0.5, 0.5))

    round_of_questions(scoring.MIN_QUESTIONS_FOR_LEADERBOARD)
    client.force_login(reader)
    counts = [queries_for(client, url) for url in ("/accounts/forecasts/",)]
    client.logout()
    counts += [queries_for(client, url) for url in ("/leaderboard/", "/track-record/")]
    round_of_questions(6)
    cache.clear()
    client.force_login(reader)
    again = [queries_for(client, "/accounts/forecasts/")]
    client.logout()
    again += [queries_for(client, url) for url in ("/leaderboard/", "/track-record/")]
    assert again == counts


def test_leaderboard_says_scored_where_it_means_scored(client):
    page = client.get("/leaderboard/").content.decode()
    assert "scored questions yet" in page
    assert "resolved questions yet" not in page


def test_track_record_counts_resolved_questions_even_before_they_are_scored(client):
    question = QuestionFactory(options=["A", "B"])
    with committed():  # scoring is a task, enqueued once the resolution commits
        outcomes.resolve(question, question.options.first())
    # Resolved without scoring (as if the scoring task had not run yet).
    unscored = QuestionFactory(options=["A", "B"])
    Question.objects.filter(pk=unscored.pk).update(
        status=Question.Status.RESOLVED,
        resolved_option=unscored.options.first(),
        resolved_at=timezone.now(),
    )
    page = text_of(client.get("/track-record/"))
    assert "2 resolved questions" in page
    assert "1 resolved question is not yet scored" in page
    assert "Over 1 resolved question," in page
    home = text_of(client.get("/"))
    assert question.title in home  # the home page lists both as resolved
    assert unscored.title in home


def test_track_record_of_resolved_but_unscored_questions_does_not_say_none(client):
    unscored = QuestionFactory(options=["A", "B"])
    Question.objects.filter(pk=unscored.pk).update(
        status=Question.Status.RESOLVED,
        resolved_option=unscored.options.first(),
        resolved_at=timezone.now(),
    )
    page = text_of(client.get("/track-record/"))
    assert "No question has been resolved yet." not in page
    assert "1 resolved question is not yet scored" in page
