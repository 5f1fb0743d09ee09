"""The community forecast: from running per-option sums to what readers see.

The community's probability for an option is the mean, over readers, of each reader's
latest probability for it. With nobody forecasting yet every option is 1/N.
"""

import math


def community_probabilities(forecast_sums, forecaster_count):
    """Per-option probabilities from the running sums and the number of forecasters."""
    if not forecast_sums:
        return []
    if forecaster_count <= 0:
        return [1 / len(forecast_sums)] * len(forecast_sums)
    probabilities = [total / forecaster_count for total in forecast_sums]
    # Float sums drift a hair from 1; renormalise so the shares stay a distribution.
    total = sum(probabilities)
    return [p / total for p in probabilities] if total > 0 else probabilities


def largest_remainder_percentages(probabilities, total=100):
    """Whole percentages that sum to `total` (Hamilton's largest-remainder method).

    Each share is floored, then the points left over go to the largest remainders; ties
    go to the earlier option so the result is stable. Three options at 1/3 give
    [34, 33, 33], never 33 three times.
    """
    if not probabilities:
        return []
    weight = sum(probabilities)
    if weight <= 0:
        raise ValueError("probabilities must have a positive sum")
    exact = [p * total / weight for p in probabilities]
    floors = [math.floor(x) for x in exact]
    left_over = total - sum(floors)
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in by_remainder[:left_over]:
        floors[i] += 1
    return floors


# Writing forecasts ----------------------------------------------------------------------

SNAPSHOTS_PER_HOUR = 12
TOTAL_TOLERANCE = 0.0005  # 100% ± 0.05 points: what two-decimal inputs can miss by


def _models():
    # Imported late: models.py imports this module for the display functions above.
    from forecasts import models

    return models


def clean_probabilities(question, probabilities, normalise=False):
    """Check a reader's {option id: probability} for `question`; returns it as floats.

    Raises ValidationError with a message a reader understands: every option of this
    question and no other, each within [0.1%, 99.9%], summing to 100% (or rescaled to it
    when `normalise`).
    """
    from django.core.exceptions import ValidationError

    models = _models()
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
    low, high = models.PROBABILITY_MIN, models.PROBABILITY_MAX
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
    from django.core.exceptions import ValidationError
    from django.db import transaction
    from django.db.models import Case, F, FloatField, Value, When
    from django.utils import timezone

    from news.freshness import bump_forecasts

    models = _models()
    now = now or timezone.now()
    with transaction.atomic():
        question = (
            models.Question.objects.select_for_update(of=("self",))
            .filter(pk=question_id)
            .prefetch_related("options")
            .first()
        )
        if question is None or question.status == models.Question.Status.DRAFT:
            raise ValidationError("There is no such question.")
        if question.state(now) != models.Question.State.OPEN:
            raise ValidationError("This question is not open for forecasts.")
        given = clean_probabilities(question, probabilities, normalise)
        old = previous_probabilities(user, question)
        forecast = models.Forecast.objects.create(user=user, question=question, created_at=now)
        models.ForecastProbability.objects.bulk_create(
            models.ForecastProbability(forecast=forecast, option_id=key, probability=value)
            for key, value in given.items()
        )
        deltas = {option_id: value - old.get(option_id, 0.0) for option_id, value in given.items()}
        models.Option.objects.filter(pk__in=deltas).update(
            forecast_sum=F("forecast_sum")
            + Case(
                *(When(pk=pk, then=Value(delta)) for pk, delta in deltas.items()),
                output_field=FloatField(),
            )
        )
        newcomer = 0 if old else 1
        models.Question.objects.filter(pk=question.pk).update(
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
    from django.db.models import Subquery

    models = _models()
    newest = (
        models.Forecast.objects.filter(user=user, question=question)
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    rows = models.ForecastProbability.objects.filter(forecast=Subquery(newest))
    return dict(rows.values_list("option_id", "probability"))


def latest_forecast(user, question):
    """The reader's newest forecast on `question` (with its probabilities), or None."""
    return (
        _models()
        .Forecast.objects.filter(user=user, question=question)
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
    from datetime import timedelta

    models = _models()
    options = list(question.options.all())
    values = community_probabilities([o.forecast_sum for o in options], question.forecaster_count)
    state = {
        "forecaster_count": question.forecaster_count,
        "probabilities": {str(o.pk): p for o, p in zip(options, values, strict=True)},
    }
    slot = 60 // SNAPSHOTS_PER_HOUR
    start = now.replace(minute=now.minute - now.minute % slot, second=0, microsecond=0)
    in_slot = models.ForecastSnapshot.objects.filter(
        question=question, taken_at__gte=start, taken_at__lt=start + timedelta(minutes=slot)
    )
    if not in_slot.update(taken_at=now, **state):
        models.ForecastSnapshot.objects.create(question=question, taken_at=now, **state)


def latest_forecasts():
    """Each reader's newest forecast per question (ties broken by id), as a queryset."""
    from django.db.models import Exists, OuterRef, Q

    models = _models()
    newer = models.Forecast.objects.filter(
        Q(created_at__gt=OuterRef("created_at"))
        | Q(created_at=OuterRef("created_at"), pk__gt=OuterRef("pk")),
        user=OuterRef("user"),
        question=OuterRef("question"),
    )
    return models.Forecast.objects.filter(~Exists(newer))


def rebuilt_totals(question_ids):
    """Running sums and forecaster counts rebuilt from the raw forecasts, by the database.

    Returns ({option id: sum}, {question id: forecaster count}) for the given questions,
    with zeros where nobody forecast. Writes nothing.
    """
    from django.db.models import Count, Sum

    models = _models()
    question_ids = list(question_ids)
    latest = latest_forecasts().filter(question_id__in=question_ids)
    sums = dict.fromkeys(
        models.Option.objects.filter(question_id__in=question_ids).values_list("pk", flat=True),
        0.0,
    )
    sums.update(
        models.ForecastProbability.objects.filter(forecast__in=latest)
        .values("option")
        .annotate(total=Sum("probability"))
        .values_list("option", "total")
    )
    counts = dict.fromkeys(question_ids, 0)
    counts.update(latest.values("question").annotate(n=Count("pk")).values_list("question", "n"))
    return sums, counts


def store_totals(sums, counts):
    """Write rebuilt totals (from rebuilt_totals) over the running ones."""
    from django.db.models import Case, FloatField, IntegerField, Value, When

    from news.freshness import bump

    models = _models()
    for chunk in _chunks(list(sums.items()), 1000):
        models.Option.objects.filter(pk__in=[pk for pk, _ in chunk]).update(
            forecast_sum=Case(
                *(When(pk=pk, then=Value(total)) for pk, total in chunk),
                output_field=FloatField(),
            )
        )
    for chunk in _chunks(list(counts.items()), 1000):
        models.Question.objects.filter(pk__in=[pk for pk, _ in chunk]).update(
            forecaster_count=Case(
                *(When(pk=pk, then=Value(n)) for pk, n in chunk), output_field=IntegerField()
            )
        )
    bump()


def _chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def recompute(question):
    """(sums by option id, forecaster count) of one question, rebuilt from raw forecasts."""
    sums, counts = rebuilt_totals([question.pk])
    return sums, counts[question.pk]
