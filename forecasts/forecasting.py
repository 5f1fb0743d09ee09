"""Recording readers' forecasts: the write path of the community forecast.

`record_forecast` is the one way a forecast is stored, for the site's form and the API
alike: it checks the probabilities, stores them, moves the running sums in O(options)
under a row lock, and keeps the question's snapshots. The arithmetic of what readers see
is in forecasts.maths; rebuilding the sums from scratch is forecasts.recompute.
"""

import math
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import (
    Case,
    DateTimeField,
    F,
    FloatField,
    Prefetch,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL
from django.utils import timezone

from config import metrics
from config.versions import bump_forecasts
from forecasts import live, maths
from forecasts.models import (
    PROBABILITY_MAX,
    PROBABILITY_MIN,
    RATIONALE_MAX_LENGTH,
    Forecast,
    ForecastProbability,
    ForecastSnapshot,
    Option,
    Question,
    community_state,
)

SNAPSHOTS_PER_HOUR = 12
# What record_forecast reads of the question it locks (and hands to live.announce).
WRITE_PATH_FIELDS = [
    "status", "slug", "opens_at", "closes_at", "forecaster_count", "pooled_origin",
    "reveal_forecasters", "reveal_at",
]  # fmt: skip
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


RATIONALE_HTML = re.compile(r"<\s*[a-zA-Z!/?]|&[a-zA-Z]+;|&#")


def clean_rationale(text):
    """A reader's reason for a forecast, checked: plain text of at most
    RATIONALE_MAX_LENGTH characters (stripped); raises ValidationError saying what to fix."""
    text = (text or "").strip()
    if len(text) > RATIONALE_MAX_LENGTH:
        raise ValidationError(
            "Keep your reason to %(limit)s characters (it has %(length)s).",
            code="rationale_too_long",
            params={"limit": RATIONALE_MAX_LENGTH, "length": len(text)},
        )
    if RATIONALE_HTML.search(text):
        raise ValidationError(
            "Write your reason as plain text: HTML tags and entities (such as <b> or "
            "&amp;) are not allowed.",
            code="rationale_html",
        )
    return text


def record_forecast(
    user, question_id, probabilities, normalise=False, now=None, *, slug=None, rationale=""
):
    """Store a reader's forecast and update the community forecast, in one transaction.

    The question is named by `question_id`, or by `slug`. The question row is locked
    (SELECT … FOR UPDATE) so concurrent forecasts on it, from many readers or from one
    reader's two tabs, are applied one after another and no update to the running sums is
    lost. Cost: O(options) in work and, on PostgreSQL, four statements whatever the number
    of forecasts stored: the lock, the options with the reader's previous probabilities,
    one write of the forecast and the running sums, and the snapshot.

    `rationale` is the reader's reason, plain text (clean_rationale).

    Returns the new Forecast, with `given` ({option id: probability}) filled in.
    Raises NoSuchQuestion for a missing or draft question, ValidationError for the rest.
    """
    rationale = clean_rationale(rationale)
    with transaction.atomic():
        where = {"slug": slug} if slug is not None else {"pk": question_id}
        question = (
            Question.objects.select_for_update()
            .filter(**where)
            .exclude(status__in=Question.UNPUBLISHED)
            .only(*WRITE_PATH_FIELDS)
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
        previous_at = next((o.previous_at for o in options if o.previous is not None), None)
        change = _changes(question, given, old, previous_at, now)
        forecast_id, totals, count = _write(user, question, given, change, now, rationale)
        question.forecaster_count = count
        for option in options:
            option.forecast_sum, option.pooled_log_sum, option.pooled_weight = totals[option.pk]
        state = take_snapshot(question.pk, options, count, now)
        forecast = Forecast(
            pk=forecast_id, user=user, question=question, created_at=now, rationale=rationale
        )
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
    question gave it (`previous`; None when they have not forecast, or not on it) and when
    that forecast was made (`previous_at`).

    Written as SQL (NEWEST_SQL): this runs for every forecast, and building the same
    subqueries with the ORM took a millisecond of Python each time."""
    newest_at = NEWEST_SQL.format(column="created_at")
    return Option.objects.only("question_id", "position").annotate(
        previous=RawSQL(PREVIOUS_SQL, [user.pk], output_field=FloatField()),  # noqa: S611
        previous_at=RawSQL(newest_at, [user.pk], output_field=DateTimeField()),  # noqa: S611
    )


# The reader's newest forecast on the option's question (ties broken by id, as
# ForecastQuerySet.latest_per_reader); it uses the (question, user, -created_at) index.
NEWEST_SQL = f"""
SELECT newest.{{column}} FROM {Forecast._meta.db_table} AS newest
WHERE newest.user_id = %s AND newest.question_id = {Option._meta.db_table}.question_id
ORDER BY newest.created_at DESC, newest.id DESC LIMIT 1
"""  # noqa: S608 - table names from the models; the user is a bound parameter
PREVIOUS_SQL = f"""
SELECT given.probability FROM {ForecastProbability._meta.db_table} AS given
WHERE given.option_id = {Option._meta.db_table}.id
    AND given.forecast_id = ({NEWEST_SQL.format(column="id")})
"""  # noqa: S608 - as NEWEST_SQL


@dataclass
class Change:
    """How one forecast moves a question's running sums."""

    deltas: dict  # {option id: (Δ Σ p, Δ Σ w·ln p, Δ Σ w)}
    newcomer: int  # 1 for a reader's first forecast on the question, else 0
    origin: object  # the question's pooled_origin after this forecast
    scale: float  # what the stored pooled sums are multiplied by first (a rebase), or 1


def _changes(question, given, old, previous_at, now):
    half_life = settings.COMMUNITY_HALF_LIFE_HOURS
    origin, scale = maths.rebase_scale(now, question.pooled_origin, half_life)
    pooled = maths.pooled_deltas(given, old, previous_at, origin, half_life, now)
    deltas = {
        option_id: (value - old.get(option_id, 0.0), *pooled[option_id])
        for option_id, value in given.items()
    }
    return Change(deltas=deltas, newcomer=0 if old else 1, origin=origin, scale=scale)


def _write(user, question, given, change, now, rationale=""):
    """Store the forecast and its probabilities and move the running sums; returns
    (forecast id, {option id: (Σ p, Σ w·ln p, Σ w)}, new forecaster count).

    On PostgreSQL this is one statement (data-modifying CTEs); elsewhere, four.
    """
    ids = list(change.deltas)
    mean, logs, weights = (
        [change.deltas[pk][i] for pk in ids] for i in range(3)
    )  # fmt: skip
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                WRITE_SQL,
                {
                    "user": user.pk,
                    "question": question.pk,
                    "now": now,
                    "rationale": rationale,
                    "given_ids": list(given),
                    "given": list(given.values()),
                    "delta_ids": ids,
                    "deltas": mean,
                    "log_deltas": logs,
                    "weight_deltas": weights,
                    "scale": change.scale,
                    "origin": change.origin,
                    "newcomer": change.newcomer,
                },
            )
            forecast_id, count, option_ids, sums, log_sums, weight_sums = cursor.fetchone()
        totals = zip(option_ids, zip(sums, log_sums, weight_sums, strict=True), strict=True)
        return forecast_id, dict(totals), count
    forecast = Forecast.objects.create(
        user=user, question=question, created_at=now, rationale=rationale
    )
    ForecastProbability.objects.bulk_create(
        ForecastProbability(forecast=forecast, option_id=key, probability=value)
        for key, value in given.items()
    )

    def moved(field, values, scale=1.0):
        by_option = (When(pk=pk, then=Value(v)) for pk, v in zip(ids, values, strict=True))
        return F(field) * scale + Case(*by_option, output_field=FloatField())

    Option.objects.filter(pk__in=ids).update(
        forecast_sum=moved("forecast_sum", mean),
        pooled_log_sum=moved("pooled_log_sum", logs, change.scale),
        pooled_weight=moved("pooled_weight", weights, change.scale),
    )
    Question.objects.filter(pk=question.pk).update(
        forecaster_count=F("forecaster_count") + change.newcomer,
        pooled_origin=change.origin,
        updated_at=now,
    )
    # The row lock means nobody else moved these since: read back under it.
    totals = Option.objects.filter(question=question).values_list(
        "pk", "forecast_sum", "pooled_log_sum", "pooled_weight"
    )
    return (
        forecast.pk,
        {pk: tuple(rest) for pk, *rest in totals},
        question.forecaster_count + change.newcomer,
    )


WRITE_SQL = f"""
WITH forecast AS (
    INSERT INTO {Forecast._meta.db_table}
        (user_id, question_id, created_at, rationale, rationale_hidden)
    VALUES (%(user)s, %(question)s, %(now)s, %(rationale)s, false)
    RETURNING id
), probabilities AS (
    INSERT INTO {ForecastProbability._meta.db_table} (forecast_id, option_id, probability)
    SELECT forecast.id, given.option_id, given.probability
    FROM forecast, unnest(%(given_ids)s::bigint[], %(given)s::double precision[])
        AS given(option_id, probability)
), options AS (
    UPDATE {Option._meta.db_table} AS option
    SET forecast_sum = option.forecast_sum + delta.value,
        pooled_log_sum = option.pooled_log_sum * %(scale)s + delta.log_value,
        pooled_weight = option.pooled_weight * %(scale)s + delta.weight
    FROM unnest(
        %(delta_ids)s::bigint[], %(deltas)s::double precision[],
        %(log_deltas)s::double precision[], %(weight_deltas)s::double precision[]
    ) AS delta(id, value, log_value, weight)
    WHERE option.id = delta.id
    RETURNING option.id, option.forecast_sum, option.pooled_log_sum, option.pooled_weight
), question AS (
    UPDATE {Question._meta.db_table}
    SET forecaster_count = forecaster_count + %(newcomer)s, updated_at = %(now)s,
        pooled_origin = %(origin)s
    WHERE id = %(question)s
    RETURNING forecaster_count
)
SELECT (SELECT id FROM forecast), (SELECT forecaster_count FROM question),
    (SELECT array_agg(id ORDER BY id) FROM options),
    (SELECT array_agg(forecast_sum ORDER BY id) FROM options),
    (SELECT array_agg(pooled_log_sum ORDER BY id) FROM options),
    (SELECT array_agg(pooled_weight ORDER BY id) FROM options)
"""  # noqa: S608 - table names from the models; every value is a bound parameter


def latest_forecast(user, question):
    """The reader's newest forecast on `question` (with its probabilities), or None."""
    return (
        Forecast.objects.filter(user=user, question=question)
        .prefetch_related("probabilities")
        .order_by("-created_at", "-pk")
        .first()
    )


def take_snapshot(question_id, options, forecaster_count, now):
    """Record the community forecast of a question from its `options` (in display order,
    with their running sums) and forecaster count, at most SNAPSHOTS_PER_HOUR points an
    hour.

    Within one slot of the hour the latest state replaces the slot's snapshot, so a busy
    question keeps a bounded history while a quiet one keeps every change. Returns the
    state recorded (models.community_state: the shown aggregate and both).
    """
    state = community_state(options, forecaster_count)
    row = {
        "forecaster_count": forecaster_count,
        "probabilities": state["probabilities"],
        "aggregates": state["aggregates"],
    }
    slot = 60 // SNAPSHOTS_PER_HOUR
    start = now.replace(minute=now.minute - now.minute % slot, second=0, microsecond=0)
    in_slot = ForecastSnapshot.objects.filter(
        question_id=question_id, taken_at__gte=start, taken_at__lt=start + timedelta(minutes=slot)
    )
    if not in_slot.update(taken_at=now, **row):
        ForecastSnapshot.objects.create(question_id=question_id, taken_at=now, **row)
    return state
