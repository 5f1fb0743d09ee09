"""Scoring resolved questions: every forecaster's standing forecast, and the community.

The forecast scored is the reader's last one made before the question closed; the
arithmetic (Brier, log score, calibration) is in forecasts.maths.
"""

from django.db import transaction

from forecasts import maths
from forecasts.models import Forecast, Question, Score, community_probabilities

MIN_QUESTIONS_FOR_LEADERBOARD = 3


def standing_forecasts(question):
    """{user id: the forecast that stood at close}, in one query plus one prefetch."""
    forecasts = (
        Forecast.objects.filter(question=question, created_at__lte=question.closes_at)
        .order_by("user_id", "-created_at", "-pk")
        .prefetch_related("probabilities")
    )
    standing = {}
    for forecast in forecasts:
        standing.setdefault(forecast.user_id, forecast)
    return standing


def score_question(question):
    """(Re)score a resolved question; an annulled or open one loses any scores."""
    with transaction.atomic():
        # Fresh from the database: the running sums move by F() updates, not on `question`.
        question = Question.objects.prefetch_related("options").get(pk=question.pk)
        Score.objects.filter(question=question).delete()
        if question.status != Question.Status.RESOLVED:
            return []
        outcome = question.resolved_option_id
        scores = []
        for user_id, forecast in standing_forecasts(question).items():
            probabilities = {p.option_id: p.probability for p in forecast.probabilities.all()}
            scores.append(_score(question, outcome, probabilities, user_id, forecast))
        options = list(question.options.all())
        community = community_probabilities(options, question.forecaster_count)
        # The aggregate the site shows; evaluate_aggregates compares both.
        # The community's 1/N before anyone forecast is scored too: it is what readers saw.
        community = {o.pk: max(p, maths.FLOOR) for o, p in zip(options, community, strict=True)}
        scores.append(_score(question, outcome, community, None, None))
        return Score.objects.bulk_create(scores)


def _score(question, outcome, probabilities, user_id, forecast):
    return Score(
        question=question,
        user_id=user_id,
        forecast=forecast,
        brier=min(2.0, maths.brier(probabilities, outcome)),
        log_score=min(0.0, maths.log_score(probabilities, outcome)),
        probabilities={str(k): v for k, v in probabilities.items()},
    )


def calibration(scores):
    """maths.calibration() of the given scores (each with its question)."""
    return maths.calibration(
        (score.probabilities, str(score.question.resolved_option_id)) for score in scores
    )
