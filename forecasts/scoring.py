"""Scoring resolved questions: every forecaster's standing forecast, and the community.

Multi-class Brier score: Σ over options of (p − o)², o = 1 for the outcome, else 0; from
0 (certain and right) to 2 (certain and wrong); lower is better. Log score: ln(p of the
outcome), from −6.9 (0.1%) to 0; higher is better. The forecast scored is the reader's
last one made before the question closed.
"""

import math

from django.db import transaction

from forecasts import aggregation
from forecasts.models import Forecast, Question, Score

MIN_QUESTIONS_FOR_LEADERBOARD = 3
CALIBRATION_BINS = 10


FLOOR = 1e-9  # an option added after a forecast counts as 0 there; ln(0) is minus infinity


def brier(probabilities, outcome_id):
    outcome_miss = 0.0 if outcome_id in probabilities else 1.0
    hits = sum((p - (1.0 if key == outcome_id else 0.0)) ** 2 for key, p in probabilities.items())
    return hits + outcome_miss


def log_score(probabilities, outcome_id):
    return math.log(max(probabilities.get(outcome_id, 0.0), FLOOR))


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
        community = aggregation.community_probabilities(
            [o.forecast_sum for o in options], question.forecaster_count
        )
        # The community's 1/N before anyone forecast is scored too: it is what readers saw.
        community = {o.pk: max(p, 1e-9) for o, p in zip(options, community, strict=True)}
        scores.append(_score(question, outcome, community, None, None))
        return Score.objects.bulk_create(scores)


def _score(question, outcome, probabilities, user_id, forecast):
    return Score(
        question=question,
        user_id=user_id,
        forecast=forecast,
        brier=min(2.0, brier(probabilities, outcome)),
        log_score=min(0.0, log_score(probabilities, outcome)),
        probabilities={str(k): v for k, v in probabilities.items()},
    )


def calibration(scores):
    """[(bin middle, mean predicted, observed frequency, count)] over every option of the
    given scores: how often things given ~p happened."""
    bins = [[0.0, 0, 0] for _ in range(CALIBRATION_BINS)]  # sum of p, hits, count
    for score in scores:
        outcome = str(score.question.resolved_option_id)
        for key, p in score.probabilities.items():
            index = min(int(p * CALIBRATION_BINS), CALIBRATION_BINS - 1)
            bins[index][0] += p
            bins[index][1] += 1 if key == outcome else 0
            bins[index][2] += 1
    return [
        ((i + 0.5) / CALIBRATION_BINS, total / n, hits / n, n)
        for i, (total, hits, n) in enumerate(bins)
        if n
    ]
