"""Recording readers' forecasts: the write path of the community forecast.

`record_forecast` is the one way a forecast is stored, for the site's form and the API
alike: it checks the probabilities, stores them, moves the running sums in O(options)
under a row lock, and keeps the question's snapshots. The arithmetic of what readers see
is in forecasts.maths; rebuilding the sums from scratch is forecasts.recompute.
"""

import math
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, FloatField, Subquery, Value, When
from django.utils import timezone

from config.versions import bump_forecasts
from forecasts.maths import community_probabilities
from forecasts.models import (
    PROBABILITY_MAX,
    PROBABILITY_MIN,
    Forecast,
    ForecastProbability,
    ForecastSnapshot,
    Option,
    Question,
)

SNAPSHOTS_PER_HOUR = 12
TOTAL_TOLERANCE = 0.0005  # 100% ± 0.05 points: what two-decimal inputs can miss by


def clean_probabilities(question, probabilities, normalise=False):
    """Check a reader's {option id: probability} for `question`; returns it as floats.

    Raises ValidationError with a message a reader understands: every option of this
    question and no other, each within [0.1%, 99.9%], summing to 100% (or rescaled to it
    when `normalise`).
    """

    option_ids = [option.pk for option in question.options.all()]
    try:
        given = {int(key): float(value) for key, value in probabilities.items()}
    except (TypeError, ValueError, AttributeError):
        raise ValidationError("Give a number for every option.") from None
    if any(math.isnan(v) or math.isinf(v) for v in given.values()):
        raise ValidationError("Give a number for every option.")
    unknown = set(given) - set(option_ids)
    if unknown:
        raise ValidationError("Some of those options are not this question's.")
    missing = set(option_ids) - set(given)
    if missing:
        raise ValidationError("Give a probability for every option.")
    total = sum(given.values())
    if normalise:
        if total <= 0:
            raise ValidationError("Give at least one option a probability above zero.")
        given = {key: value / total for key, value in given.items()}
    elif abs(total - 1) > TOTAL_TOLERANCE:
        raise ValidationError(
            f"Your probabilities add up to {total * 100:.1f}%, not 100%. "
            "Adjust them, or ask to have them normalised (“Normalise for me”; "
            '"normalise": true in the API).'
        )
    low, high = PROBABILITY_MIN, PROBABILITY_MAX
    out_of_bounds = [key for key, value in given.items() if not low <= value <= high]
    if out_of_bounds:
        raise ValidationError(
            f"Each option needs between {low:.1%} and {high:.1%}: nothing is certain."
        )
    return given


def record_forecast(user, question_id, probabilities, normalise=False, now=None):
    """Store a reader's forecast and update the community forecast, in one transaction.

    The question row is locked (SELECT … FOR UPDATE) so concurrent forecasts on it are
    applied one after another and no update to the running sums is lost. Cost: O(options)
    in work and a fixed number of queries, whatever the number of forecasts stored.
    """

    now = now or timezone.now()
    with transaction.atomic():
        question = (
            Question.objects.select_for_update(of=("self",))
            .filter(pk=question_id)
            .prefetch_related("options")
            .first()
        )
        if question is None or question.status in Question.UNPUBLISHED:
            raise ValidationError("There is no such question.")
        if question.state(now) != Question.State.OPEN:
            raise ValidationError("This question is not open for forecasts.")
        given = clean_probabilities(question, probabilities, normalise)
        old = previous_probabilities(user, question)
        forecast = Forecast.objects.create(user=user, question=question, created_at=now)
        ForecastProbability.objects.bulk_create(
            ForecastProbability(forecast=forecast, option_id=key, probability=value)
            for key, value in given.items()
        )
        deltas = {option_id: value - old.get(option_id, 0.0) for option_id, value in given.items()}
        Option.objects.filter(pk__in=deltas).update(
            forecast_sum=F("forecast_sum")
            + Case(
                *(When(pk=pk, then=Value(delta)) for pk, delta in deltas.items()),
                output_field=FloatField(),
            )
        )
        newcomer = 0 if old else 1
        Question.objects.filter(pk=question.pk).update(
            forecaster_count=F("forecaster_count") + newcomer, updated_at=now
        )
        # The row lock means nobody else moved these since we read them: the new totals
        # are the old ones plus our deltas, without reading them back.
        for option in question.options.all():
            option.forecast_sum += deltas[option.pk]
        question.forecaster_count += newcomer
        take_snapshot(question, now)
        transaction.on_commit(bump_forecasts)
    return forecast


def previous_probabilities(user, question):
    """{option id: probability} of the reader's newest forecast on `question`, or {}."""

    newest = (
        Forecast.objects.filter(user=user, question=question)
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    rows = ForecastProbability.objects.filter(forecast=Subquery(newest))
    return dict(rows.values_list("option_id", "probability"))


def latest_forecast(user, question):
    """The reader's newest forecast on `question` (with its probabilities), or None."""
    return (
        Forecast.objects.filter(user=user, question=question)
        .prefetch_related("probabilities")
        .order_by("-created_at", "-pk")
        .first()
    )


def take_snapshot(question, now):
    """Record the community forecast of `question` (with its options, as they stand now),
    at most SNAPSHOTS_PER_HOUR points an hour.

    Within one slot of the hour the latest state replaces the slot's snapshot, so a busy
    question keeps a bounded history while a quiet one keeps every change.
    """

    options = list(question.options.all())
    values = community_probabilities([o.forecast_sum for o in options], question.forecaster_count)
    state = {
        "forecaster_count": question.forecaster_count,
        "probabilities": {str(o.pk): p for o, p in zip(options, values, strict=True)},
    }
    slot = 60 // SNAPSHOTS_PER_HOUR
    start = now.replace(minute=now.minute - now.minute % slot, second=0, microsecond=0)
    in_slot = ForecastSnapshot.objects.filter(
        question=question, taken_at__gte=start, taken_at__lt=start + timedelta(minutes=slot)
    )
    if not in_slot.update(taken_at=now, **state):
        ForecastSnapshot.objects.create(question=question, taken_at=now, **state)
