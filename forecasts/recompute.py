"""The community forecast rebuilt from the raw forecasts.

`recompute_forecasts` (the command), `seed_scale` and the demo use it; it must agree with
the running sums that forecasts.forecasting keeps, for both aggregates (forecasts.maths).
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    FloatField,
    IntegerField,
    Max,
    Sum,
    Value,
    When,
)

from config.versions import bump
from forecasts import maths
from forecasts.models import Forecast, ForecastProbability, Option, Question


@dataclass
class Totals:
    """Running values rebuilt from scratch, for some questions."""

    sums: dict = field(default_factory=dict)  # {option id: Σ p}
    counts: dict = field(default_factory=dict)  # {question id: forecasters}
    log_sums: dict = field(default_factory=dict)  # {option id: Σ w·ln p}
    weights: dict = field(default_factory=dict)  # {option id: Σ w}
    origins: dict = field(default_factory=dict)  # {question id: pooled origin or None}

    def of_option(self, pk):
        """(Σ p, Σ w·ln p, Σ w) of one option."""
        return self.sums[pk], self.log_sums[pk], self.weights[pk]


def rebuilt_totals(question_ids):
    """Both aggregates' running sums and the forecaster counts rebuilt from the raw
    forecasts (Totals), with zeros where nobody forecast. Writes nothing.

    The pooled weights are reckoned from each question's stored origin, so a rebuild agrees
    with sums kept since; a question without one (never forecast through record_forecast,
    as seed_scale's) or whose newest weight would need a rebase gets its newest standing
    forecast's time as origin.
    """

    question_ids = list(question_ids)
    latest = Forecast.objects.latest_per_reader().filter(question_id__in=question_ids)
    options = Option.objects.filter(question_id__in=question_ids).values_list("pk", flat=True)
    totals = Totals(
        sums=dict.fromkeys(options, 0.0),
        counts=dict.fromkeys(question_ids, 0),
        log_sums=dict.fromkeys(options, 0.0),
        weights=dict.fromkeys(options, 0.0),
    )
    totals.sums.update(
        ForecastProbability.objects.filter(forecast__in=latest)
        .values("option")
        .annotate(total=Sum("probability"))
        .values_list("option", "total")
    )
    half_life = settings.COMMUNITY_HALF_LIFE_HOURS
    stored = dict(Question.objects.filter(pk__in=question_ids).values_list("pk", "pooled_origin"))
    totals.origins = {pk: stored.get(pk) for pk in question_ids}
    for question_id, n, newest in (
        latest.values("question").annotate(n=Count("pk"), newest=Max("created_at"))
        .values_list("question", "n", "newest")
    ):  # fmt: skip
        totals.counts[question_id] = n
        origin = stored.get(question_id)
        if origin is None or maths.weight_exponent(newest, origin, half_life) > maths.REBASE_AT:
            origin = newest
        totals.origins[question_id] = origin
    rows = ForecastProbability.objects.filter(forecast__in=latest).values_list(
        "forecast__question_id", "option_id", "probability", "forecast__created_at"
    )
    for question_id, option_id, probability, at in rows.iterator(chunk_size=5000):
        weight = maths.pooled_weight(at, totals.origins[question_id], half_life)
        totals.log_sums[option_id] += weight * maths.pooled_log(probability)
        totals.weights[option_id] += weight
    return totals


def store_totals(totals):
    """Write rebuilt totals (from rebuilt_totals) over the running ones."""

    for chunk in _chunks(list(totals.sums), 1000):
        Option.objects.filter(pk__in=chunk).update(
            forecast_sum=_by_pk(chunk, totals.sums, FloatField()),
            pooled_log_sum=_by_pk(chunk, totals.log_sums, FloatField()),
            pooled_weight=_by_pk(chunk, totals.weights, FloatField()),
        )
    for chunk in _chunks(list(totals.counts), 1000):
        Question.objects.filter(pk__in=chunk).update(
            forecaster_count=_by_pk(chunk, totals.counts, IntegerField()),
            pooled_origin=_by_pk(chunk, totals.origins, DateTimeField()),
        )
    bump()


def _by_pk(pks, values, output_field):
    return Case(*(When(pk=pk, then=Value(values[pk])) for pk in pks), output_field=output_field)


def _chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def recompute(question):
    """(sums by option id, forecaster count) of one question, rebuilt from raw forecasts."""
    totals = rebuilt_totals([question.pk])
    return totals.sums, totals.counts[question.pk]
