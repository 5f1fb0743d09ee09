"""The community forecast rebuilt from the raw forecasts, by the database.

`recompute_forecasts` (the command) and `seed_scale` use it; it must agree with the
running sums that forecasts.forecasting keeps.
"""

from django.db.models import Case, Count, FloatField, IntegerField, Sum, Value, When

from config.versions import bump
from forecasts.models import Forecast, ForecastProbability, Option, Question


def rebuilt_totals(question_ids):
    """Running sums and forecaster counts rebuilt from the raw forecasts, by the database.

    Returns ({option id: sum}, {question id: forecaster count}) for the given questions,
    with zeros where nobody forecast. Writes nothing.
    """

    question_ids = list(question_ids)
    latest = Forecast.objects.latest_per_reader().filter(question_id__in=question_ids)
    sums = dict.fromkeys(
        Option.objects.filter(question_id__in=question_ids).values_list("pk", flat=True),
        0.0,
    )
    sums.update(
        ForecastProbability.objects.filter(forecast__in=latest)
        .values("option")
        .annotate(total=Sum("probability"))
        .values_list("option", "total")
    )
    counts = dict.fromkeys(question_ids, 0)
    counts.update(latest.values("question").annotate(n=Count("pk")).values_list("question", "n"))
    return sums, counts


def store_totals(sums, counts):
    """Write rebuilt totals (from rebuilt_totals) over the running ones."""

    for chunk in _chunks(list(sums.items()), 1000):
        Option.objects.filter(pk__in=[pk for pk, _ in chunk]).update(
            forecast_sum=Case(
                *(When(pk=pk, then=Value(total)) for pk, total in chunk),
                output_field=FloatField(),
            )
        )
    for chunk in _chunks(list(counts.items()), 1000):
        Question.objects.filter(pk__in=[pk for pk, _ in chunk]).update(
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
