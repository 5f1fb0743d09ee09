"""The pooled community forecast: kept incrementally, equal to a from-scratch computation."""

import math
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from forecasts import forecasting, maths
from forecasts.models import Forecast, ForecastSnapshot, Question
from tests.client_helpers import api_client
from tests.factories import QuestionFactory, UserFactory

OPTIONS = 3

# A forecast: (which reader, hours since the one before, raw shares of the options).
forecast_steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3),
        st.floats(min_value=0, max_value=400),
        st.lists(st.integers(min_value=1, max_value=1000), min_size=OPTIONS, max_size=OPTIONS),
    ),
    min_size=1,
    max_size=12,
)


def shares(raw):
    """Positive integers made into probabilities within the allowed bounds."""
    total = sum(raw)
    values = [max(r / total, 0.001) for r in raw]
    values[0] = 1 - sum(values[1:])
    return values if values[0] >= 0.001 else [1 / len(raw)] * len(raw)


def running(steps, half_life):
    """Apply `steps` the way record_forecast does (maths only): returns the standing
    forecasts, the origin and the running (log sums, weights)."""
    start = timezone.now()
    now, origin = start, None
    log_sums, weights = [0.0] * OPTIONS, [0.0] * OPTIONS
    standing = {}  # {reader: (made at, {option: p})}
    for reader, hours, raw in steps:
        now += timedelta(hours=hours)
        given = dict(enumerate(shares(raw)))
        previous_at, previous = standing.get(reader, (None, {}))
        origin, scale = maths.rebase_scale(now, origin, half_life)
        deltas = maths.pooled_deltas(given, previous, previous_at, origin, half_life, now)
        log_sums = [s * scale + deltas[o][0] for o, s in enumerate(log_sums)]
        weights = [w * scale + deltas[o][1] for o, w in enumerate(weights)]
        standing[reader] = (now, given)
    return list(standing.values()), origin, log_sums, weights


@given(forecast_steps, st.sampled_from([0.5, 24.0, 168.0]), st.sampled_from([1.0, 1.5, 2.5]))
def test_running_pooled_sums_equal_a_computation_from_scratch(steps, half_life, exponent):
    standing, origin, log_sums, weights = running(steps, half_life)
    incremental = maths.pooled_probabilities(log_sums, weights, len(standing), exponent)
    scratch = maths.pooled_from_scratch(standing, range(OPTIONS), origin, half_life, exponent)
    assert incremental == pytest.approx(scratch, abs=1e-9)
    assert sum(incremental) == pytest.approx(1)


def test_with_one_reader_the_pooled_forecast_is_theirs_extremized():
    # Odds 3:1 raised to 1.5: 5.196:1, so 83.9% (the mean would show 75%).
    [yes, _no] = maths.pooled_probabilities([math.log(0.75), math.log(0.25)], [1, 1], 1, 1.5)
    assert yes == pytest.approx(3**1.5 / (3**1.5 + 1))
    assert maths.pooled_probabilities([0, 0, 0], [0, 0, 0], 0, 1.5) == [1 / 3] * 3


def test_a_forecast_a_half_life_older_weighs_half_as_much():
    now = timezone.now()
    old, new = (now - timedelta(hours=168), {0: 0.9, 1: 0.1}), (now, {0: 0.5, 1: 0.5})
    [pooled, _] = maths.pooled_from_scratch([old, new], [0, 1], now, 168, 1.0)
    # Weights 1/2 and 1: ln-odds (½·ln 9 + 0) / 1.5 = ln 9 / 3, so odds 9^(1/3).
    assert pooled == pytest.approx(9 ** (1 / 3) / (9 ** (1 / 3) + 1))


def test_an_option_nobody_gave_a_share_counts_as_the_floor():
    [a, b, c] = maths.pooled_probabilities([math.log(0.5)] * 2 + [0.0], [1, 1, 0], 1, 1.0)
    assert a == b
    assert c == pytest.approx(0.001 * a / 0.5)


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(forecast_steps, st.sampled_from([0.5, 168.0]))
def test_recorded_forecasts_keep_sums_a_recomputation_agrees_with(settings, steps, half_life):
    settings.COMMUNITY_HALF_LIFE_HOURS = half_life
    Question.objects.delete_with_forecasts()  # the examples share the test's transaction
    question = QuestionFactory(
        options=[f"O{n}" for n in range(OPTIONS)], closes_at=timezone.now() + timedelta(days=9999)
    )
    ids = [o.pk for o in question.options.all()]
    readers = [UserFactory() for _ in range(4)]
    now = timezone.now()
    for reader, hours, raw in steps:
        now += timedelta(hours=hours)
        given_shares = dict(zip(ids, shares(raw), strict=True))
        forecasting.record_forecast(readers[reader], question.pk, given_shares, now=now)
    question = Question.objects.with_options().get(pk=question.pk)
    standing = [
        (f.created_at, {p.option_id: p.probability for p in f.probabilities.all()})
        for f in Forecast.objects.latest_per_reader()
        .filter(question=question)
        .prefetch_related("probabilities")
    ]
    scratch = maths.pooled_from_scratch(
        standing, ids, question.pooled_origin, half_life, settings.COMMUNITY_EXTREMIZING
    )
    shown = [p for _, p, _ in question.community_forecast(maths.POOLED)]
    assert shown == pytest.approx(scratch, abs=1e-9)
    assert [p for _, p, _ in question.community_forecast(maths.MEAN)] == pytest.approx(
        maths.mean_from_scratch(standing, ids), abs=1e-9
    )
    out = StringIO()
    call_command("recompute_forecasts", "--check", stdout=out)
    assert out.getvalue() == "No drift.\n"


@pytest.mark.django_db
def test_a_rebase_moves_the_origin_and_keeps_the_forecast_shown(settings):
    settings.COMMUNITY_HALF_LIFE_HOURS = 0.01  # 36 seconds: weights pass e^500 in 7 hours
    question = QuestionFactory(options=["Yes", "No"], closes_at=timezone.now() + timedelta(days=9))
    yes, no = (o.pk for o in question.options.all())
    first, second = UserFactory(), UserFactory()
    start = timezone.now()
    forecasting.record_forecast(first, question.pk, {yes: 0.8, no: 0.2}, now=start)
    forecasting.record_forecast(second, question.pk, {yes: 0.4, no: 0.6}, now=start)
    later = start + timedelta(hours=8)
    forecasting.record_forecast(second, question.pk, {yes: 0.3, no: 0.7}, now=later)
    question = Question.objects.with_options().get(pk=question.pk)
    assert question.pooled_origin == later
    # The first reader's forecast is 800 half-lives old: the second reader's alone shows.
    [shown_yes, _] = [p for _, p, _ in question.community_forecast(maths.POOLED)]
    assert shown_yes == pytest.approx((3 / 7) ** 1.5 / ((3 / 7) ** 1.5 + 1))
    assert all(math.isfinite(o.pooled_log_sum) for o in question.options.all())
    call_command("recompute_forecasts", "--check", stdout=StringIO())


@pytest.mark.django_db
def test_the_site_shows_the_pooled_aggregate_and_the_setting_picks_the_mean(settings):
    question = QuestionFactory(options=["Yes", "No"])
    yes, no = (o.pk for o in question.options.all())
    forecasting.record_forecast(UserFactory(), question.pk, {yes: 0.75, no: 0.25})
    question = Question.objects.with_options().get(pk=question.pk)
    assert [percent for _, _, percent in question.community_forecast()] == [84, 16]
    settings.COMMUNITY_AGGREGATE = "mean"
    assert [percent for _, _, percent in question.community_forecast()] == [75, 25]


@pytest.mark.django_db
def test_snapshots_keep_both_aggregates_and_the_shown_one():
    question = QuestionFactory(options=["Yes", "No"])
    yes, no = (o.pk for o in question.options.all())
    forecasting.record_forecast(UserFactory(), question.pk, {yes: 0.75, no: 0.25})
    snapshot = ForecastSnapshot.objects.get(question=question)
    assert snapshot.probabilities == snapshot.aggregates["pooled"]
    assert snapshot.aggregates["mean"] == {str(yes): pytest.approx(0.75), str(no): 0.25}
    assert snapshot.aggregates["pooled"][str(yes)] == pytest.approx(3**1.5 / (3**1.5 + 1))


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_revision_on_postgresql_is_four_statements_and_moves_both_aggregates():
    question = QuestionFactory(options=[f"O{n}" for n in range(5)])
    ids = [o.pk for o in question.options.all()]
    reader = UserFactory()
    forecasting.record_forecast(reader, question.pk, dict.fromkeys(ids, 0.2))
    revision = dict(zip(ids, [0.6, 0.1, 0.1, 0.1, 0.1], strict=True))
    with CaptureQueriesContext(connection) as queries:
        forecasting.record_forecast(reader, question.pk, revision)
    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    # The lock, the options with the reader's last forecast, the write, the snapshot.
    assert len(statements) <= 4, "\n".join(statements)
    question = Question.objects.with_options().get(pk=question.pk)
    mean = [p for _, p, _ in question.community_forecast(maths.MEAN)]
    assert mean == pytest.approx([0.6, 0.1, 0.1, 0.1, 0.1])
    pooled = [p for _, p, _ in question.community_forecast(maths.POOLED)]
    assert pooled == pytest.approx(maths.pooled_probabilities(
        [math.log(p) for p in mean], [1] * 5, 1, 1.5
    ))  # fmt: skip


@pytest.mark.django_db
def test_the_api_gives_both_aggregates_and_names_the_one_shown(settings):
    question = QuestionFactory(slug="crossing", options=["Yes", "No"])
    yes, no = (o.pk for o in question.options.all())
    forecasting.record_forecast(UserFactory(), question.pk, {yes: 0.75, no: 0.25})
    body = api_client().get("/api/v1/questions/crossing/").json()
    assert body["aggregate"] == "pooled"
    [first, second] = body["options"]
    assert first["mean_probability"] == pytest.approx(0.75)
    assert first["pooled_probability"] == pytest.approx(3**1.5 / (3**1.5 + 1))
    assert first["probability"] == first["pooled_probability"]
    assert [first["percent"], second["percent"]] == [84, 16]
    settings.COMMUNITY_AGGREGATE = "mean"
    body = api_client().get("/api/v1/questions/crossing/?fresh").json()
    assert body["aggregate"] == "mean"
    assert body["options"][0]["probability"] == body["options"][0]["mean_probability"]


@pytest.mark.django_db
def test_the_question_page_says_how_the_forecast_is_pooled(client, settings):
    question = QuestionFactory(options=["Yes", "No"])
    page = client.get(question.get_absolute_url()).content.decode()
    assert "latest forecasts pooled, newer ones counting more" in page
    settings.COMMUNITY_AGGREGATE = "mean"
    page = client.get(question.get_absolute_url() + "?mean").content.decode()
    assert "The mean of 0 readers" in page


@pytest.mark.django_db
def test_the_history_api_gives_both_aggregates_of_each_point():
    question = QuestionFactory(slug="crossing", options=["Yes", "No"])
    yes, no = (o.pk for o in question.options.all())
    forecasting.record_forecast(UserFactory(), question.pk, {yes: 0.75, no: 0.25})
    [point] = api_client().get("/api/v1/questions/crossing/history/").json()["points"]
    assert point["aggregates"]["mean"][str(yes)] == pytest.approx(0.75)
    assert point["probabilities"] == point["aggregates"]["pooled"]
