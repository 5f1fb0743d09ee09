"""Recording readers' forecasts: the write path of the community forecast.

`record_forecast` is the one way a forecast is stored, for the site's form and the API
alike: it checks the probabilities, stores them, moves the running sums in O(options)
under a row lock, and keeps the question's snapshots. The arithmetic of what readers see
is in forecasts.maths; rebuilding the sums from scratch is forecasts.recompute.
"""

import math
from datetime import timedelta
from functools import partial

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import (
    Case,
    F,
    FloatField,
    OuterRef,
    Prefetch,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.utils import timezone

from config import metrics
from config.versions import bump_forecasts
from forecasts import live
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
TOTAL_NOT_100 = "total"  # the ValidationError code of probabilities that do not sum to 100%


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
        # Each interface says how its users ask for normalising (a tick box on the site,
        # a field in the API), so the message stops at the rule; the code lets them add it.
        raise ValidationError(
            "Your probabilities add up to %(total)s%%, not 100%%.",
            code=TOTAL_NOT_100,
            params={"total": f"{total * 100:.1f}"},
        )
    low, high = PROBABILITY_MIN, PROBABILITY_MAX
    out_of_bounds = [key for key, value in given.items() if not low <= value <= high]
    if out_of_bounds:
        raise ValidationError(
            f"Each option needs between {low:.1%} and {high:.1%}: nothing is certain."
        )
    return given


def record_forecast(user, question_id, probabilities, normalise=False, now=None, *, slug=None):
    """Store a reader's forecast and update the community forecast, in one transaction.

    The question is named by `question_id`, or by `slug`. The question row is locked
    (SELECT … FOR UPDATE) so concurrent forecasts on it, from many readers or from one
    reader's two tabs, are applied one after another and no update to the running sums is
    lost. Cost: O(options) in work and, on PostgreSQL, four statements whatever the number
    of forecasts stored: the lock, the options with the reader's previous probabilities,
    one write of the forecast and the running sums, and the snapshot.

    Returns the new Forecast, with `given` ({option id: probability}) filled in.
    Raises NoSuchQuestion for a missing or draft question, ValidationError for the rest.
    """
    with transaction.atomic():
        where = {"slug": slug} if slug is not None else {"pk": question_id}
        question = (
            Question.objects.select_for_update()
            .filter(**where)
            .exclude(status__in=Question.UNPUBLISHED)
            .only("status", "slug", "opens_at", "closes_at", "forecaster_count")
            .first()
        )
        if question is None:
            raise NoSuchQuestion("There is no such question.")
        # The time is taken under the lock: forecasts on a question are then stamped in
        # the order they were applied, so "the reader's newest" is the one the running
        # sums hold (two tabs racing would otherwise leave the older stamp applied last).
        now = now or timezone.now()
        if question.state(now) != Question.State.OPEN:
            raise ValidationError("This question is not open for forecasts.")
        # A statement of its own, after the lock: it sees a forecast that a concurrent
        # request (the same reader's other tab) committed while we waited.
        prefetch_related_objects([question], Prefetch("options", queryset=_with_previous(user)))
        given = clean_probabilities(question, probabilities, normalise)
        options = list(question.options.all())
        old = {o.pk: o.previous for o in options if o.previous is not None}
        deltas = {option_id: value - old.get(option_id, 0.0) for option_id, value in given.items()}
        newcomer = 0 if old else 1
        forecast_id, sums, count = _write(user, question, given, deltas, newcomer, now)
        question.forecaster_count = count
        state = take_snapshot(question.pk, [(o.pk, sums[o.pk]) for o in options], count, now)
        forecast = Forecast(pk=forecast_id, user=user, question=question, created_at=now)
        transaction.on_commit(partial(bump_forecasts, instance=forecast))
        transaction.on_commit(metrics.count_forecast)
        # Live streams and the "forecast moved" webhook: one PUBLISH and one cache read.
        transaction.on_commit(partial(live.announce, question, state, now))
    forecast.given = given
    return forecast


class NoSuchQuestion(ValidationError):
    """The question does not exist, or readers cannot see it (a draft)."""


def _with_previous(user):
    """Options in order, each with the probability the reader's newest forecast on its
    question gave it (`previous`; None when they have not forecast, or not on it)."""
    newest = (
        Forecast.objects.filter(user=user, question=OuterRef(OuterRef("question")))
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    given = ForecastProbability.objects.filter(option=OuterRef("pk"), forecast=Subquery(newest))
    return Option.objects.only("question_id", "position").annotate(
        previous=Subquery(given.values("probability")[:1])
    )


def _write(user, question, given, deltas, newcomer, now):
    """Store the forecast and its probabilities and move the running sums; returns
    (forecast id, {option id: new sum}, new forecaster count).

    On PostgreSQL this is one statement (data-modifying CTEs); elsewhere, four.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                WRITE_SQL,
                {
                    "user": user.pk,
                    "question": question.pk,
                    "now": now,
                    "given_ids": list(given),
                    "given": list(given.values()),
                    "delta_ids": list(deltas),
                    "deltas": list(deltas.values()),
                    "newcomer": newcomer,
                },
            )
            forecast_id, count, option_ids, option_sums = cursor.fetchone()
        return forecast_id, dict(zip(option_ids, option_sums, strict=True)), count
    forecast = Forecast.objects.create(user=user, question=question, created_at=now)
    ForecastProbability.objects.bulk_create(
        ForecastProbability(forecast=forecast, option_id=key, probability=value)
        for key, value in given.items()
    )
    Option.objects.filter(pk__in=deltas).update(
        forecast_sum=F("forecast_sum")
        + Case(
            *(When(pk=pk, then=Value(delta)) for pk, delta in deltas.items()),
            output_field=FloatField(),
        )
    )
    Question.objects.filter(pk=question.pk).update(
        forecaster_count=F("forecaster_count") + newcomer, updated_at=now
    )
    # The row lock means nobody else moved these since: read back under it.
    sums = dict(Option.objects.filter(question=question).values_list("pk", "forecast_sum"))
    return forecast.pk, sums, question.forecaster_count + newcomer


WRITE_SQL = f"""
WITH forecast AS (
    INSERT INTO {Forecast._meta.db_table} (user_id, question_id, created_at)
    VALUES (%(user)s, %(question)s, %(now)s)
    RETURNING id
), probabilities AS (
    INSERT INTO {ForecastProbability._meta.db_table} (forecast_id, option_id, probability)
    SELECT forecast.id, given.option_id, given.probability
    FROM forecast, unnest(%(given_ids)s::bigint[], %(given)s::double precision[])
        AS given(option_id, probability)
), options AS (
    UPDATE {Option._meta.db_table} AS option
    SET forecast_sum = option.forecast_sum + delta.value
    FROM unnest(%(delta_ids)s::bigint[], %(deltas)s::double precision[]) AS delta(id, value)
    WHERE option.id = delta.id
    RETURNING option.id, option.forecast_sum
), question AS (
    UPDATE {Question._meta.db_table}
    SET forecaster_count = forecaster_count + %(newcomer)s, updated_at = %(now)s
    WHERE id = %(question)s
    RETURNING forecaster_count
)
SELECT (SELECT id FROM forecast), (SELECT forecaster_count FROM question),
    (SELECT array_agg(id) FROM options), (SELECT array_agg(forecast_sum) FROM options)
"""  # noqa: S608 - table names from the models; every value is a bound parameter


def latest_forecast(user, question):
    """The reader's newest forecast on `question` (with its probabilities), or None."""
    return (
        Forecast.objects.filter(user=user, question=question)
        .prefetch_related("probabilities")
        .order_by("-created_at", "-pk")
        .first()
    )


def take_snapshot(question_id, sums, forecaster_count, now):
    """Record the community forecast of a question from its options' running `sums`
    ([(option id, sum)] in display order) and forecaster count, at most SNAPSHOTS_PER_HOUR
    points an hour.

    Within one slot of the hour the latest state replaces the slot's snapshot, so a busy
    question keeps a bounded history while a quiet one keeps every change. Returns the
    state recorded ({"forecaster_count", "probabilities": {option id: p}}).
    """
    values = community_probabilities([total for _, total in sums], forecaster_count)
    state = {
        "forecaster_count": forecaster_count,
        "probabilities": {str(pk): p for (pk, _), p in zip(sums, values, strict=True)},
    }
    slot = 60 // SNAPSHOTS_PER_HOUR
    start = now.replace(minute=now.minute - now.minute % slot, second=0, microsecond=0)
    in_slot = ForecastSnapshot.objects.filter(
        question_id=question_id, taken_at__gte=start, taken_at__lt=start + timedelta(minutes=slot)
    )
    if not in_slot.update(taken_at=now, **state):
        ForecastSnapshot.objects.create(question_id=question_id, taken_at=now, **state)
    return state
