"""Readers forecast: validation, running sums, snapshots, recomputation."""

import math
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from forecasts import forecasting, maths, outcomes, recompute
from forecasts.models import Forecast, ForecastSnapshot, Question
from tests.factories import QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db


def by_label(question, **shares):
    """{option id: probability} from labels, e.g. by_label(q, Yes=0.7, No=0.3)."""
    ids = {o.label: o.pk for o in question.options.all()}
    return {ids[label]: value for label, value in shares.items()}


def community(question):
    question = Question.objects.with_options().get(pk=question.pk)
    return {o.label: percent for o, _, percent in question.community_forecast()}


@pytest.mark.usefixtures("mean_aggregate")  # numbers of the mean
def test_first_forecast_counts_a_forecaster_and_moves_the_community():
    question = QuestionFactory(binary=True)
    forecasting.record_forecast(UserFactory(), question.pk, by_label(question, Yes=0.7, No=0.3))
    question.refresh_from_db()
    assert question.forecaster_count == 1
    assert community(question) == {"Yes": 70, "No": 30}
    forecasting.record_forecast(UserFactory(), question.pk, by_label(question, Yes=0.5, No=0.5))
    assert community(question) == {"Yes": 60, "No": 40}


@pytest.mark.usefixtures("mean_aggregate")  # numbers of the mean
def test_a_readers_new_forecast_replaces_their_old_one_in_the_aggregate():
    question = QuestionFactory(binary=True)
    reader = UserFactory()
    forecasting.record_forecast(reader, question.pk, by_label(question, Yes=0.9, No=0.1))
    forecasting.record_forecast(reader, question.pk, by_label(question, Yes=0.2, No=0.8))
    question.refresh_from_db()
    assert question.forecaster_count == 1
    assert community(question) == {"Yes": 20, "No": 80}
    assert Forecast.objects.filter(user=reader).count() == 2  # kept for history and scoring


@pytest.mark.usefixtures("mean_aggregate")  # numbers of the mean
def test_normalise_scales_the_numbers_to_100_percent():
    question = QuestionFactory(options=["A", "B"])
    forecasting.record_forecast(
        UserFactory(), question.pk, by_label(question, A=3, B=1), normalise=True
    )
    assert community(question) == {"A": 75, "B": 25}


@pytest.mark.parametrize(
    ("shares", "message"),
    [
        ({"A": 0.5, "B": 0.3}, "add up to 80.0%, not 100%"),
        ({"A": 0.9995, "B": 0.0005}, "between 0.1% and 99.9%"),
        ({"A": 1.0, "B": 0.0}, "between 0.1% and 99.9%"),
        ({"A": 1.0}, "every option"),
        ({"A": "lots", "B": 0.5}, "Give a number"),
        ({"A": float("nan"), "B": 0.5}, "Give a number"),
    ],
)
def test_bad_forecasts_are_refused_with_a_reason_and_change_nothing(shares, message):
    question = QuestionFactory(options=["A", "B"])
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(".", r"\.")):
        forecasting.record_forecast(UserFactory(), question.pk, by_label(question, **shares))
    question.refresh_from_db()
    assert question.forecaster_count == 0
    assert not Forecast.objects.exists()


def test_options_of_another_question_are_refused():
    question, other = QuestionFactory(options=["A", "B"]), QuestionFactory(options=["A", "B"])
    mixed = {question.options.first().pk: 0.5, other.options.first().pk: 0.5}
    with pytest.raises(ValidationError, match="not this question's"):
        forecasting.record_forecast(UserFactory(), question.pk, mixed)


@pytest.mark.parametrize(
    "make",
    [
        lambda: QuestionFactory(binary=True, closes_at=timezone.now() - timedelta(seconds=1),
                                opens_at=timezone.now() - timedelta(days=1)),
        lambda: QuestionFactory(binary=True, opens_at=timezone.now() + timedelta(days=1)),
    ],
)  # fmt: skip
def test_closed_and_not_yet_open_questions_take_no_forecasts(make):
    question = make()
    with pytest.raises(ValidationError, match="not open for forecasts"):
        forecasting.record_forecast(
            UserFactory(), question.pk, by_label(question, Yes=0.5, No=0.5)
        )


def test_resolved_annulled_draft_and_unknown_questions_take_no_forecasts():
    resolved, annulled = QuestionFactory(binary=True), QuestionFactory(binary=True)
    outcomes.resolve(resolved, resolved.options.first())
    outcomes.annul(annulled)
    draft = QuestionFactory(binary=True, status=Question.Status.DRAFT)
    for question in (resolved, annulled):
        with pytest.raises(ValidationError, match="not open"):
            forecasting.record_forecast(
                UserFactory(), question.pk, by_label(question, Yes=0.5, No=0.5)
            )
    for question_id in (draft.pk, 10**9):
        with pytest.raises(ValidationError, match="no such question"):
            forecasting.record_forecast(UserFactory(), question_id, {})


def test_snapshots_are_coalesced_to_a_bounded_number_per_hour():
    question = QuestionFactory(binary=True)
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    if start < question.opens_at:
        start += timedelta(hours=1)
    # 120 forecasts over one hour, one every 30 seconds.
    for n in range(120):
        forecasting.record_forecast(
            UserFactory(), question.pk, by_label(question, Yes=0.6, No=0.4),
            now=start + timedelta(seconds=30 * n),
        )  # fmt: skip
    snapshots = ForecastSnapshot.objects.filter(question=question)
    assert snapshots.count() == forecasting.SNAPSHOTS_PER_HOUR
    last = snapshots.order_by("-taken_at").first()
    assert last.forecaster_count == 120
    assert math.isclose(sum(last.probabilities.values()), 1)


@pytest.mark.usefixtures("mean_aggregate")  # numbers of the mean
def test_the_snapshot_shows_the_community_forecast_as_stored_after_revisions():
    question = QuestionFactory(binary=True)
    first, second = UserFactory(), UserFactory()
    forecasting.record_forecast(first, question.pk, by_label(question, Yes=0.9, No=0.1))
    forecasting.record_forecast(second, question.pk, by_label(question, Yes=0.3, No=0.7))
    forecasting.record_forecast(first, question.pk, by_label(question, Yes=0.5, No=0.5))
    question.refresh_from_db()
    options = list(question.options.all())
    expected = maths.community_probabilities(
        [o.forecast_sum for o in options], question.forecaster_count
    )
    last = ForecastSnapshot.objects.filter(question=question).latest("taken_at")
    assert last.forecaster_count == question.forecaster_count == 2
    assert [last.probabilities[str(o.pk)] for o in options] == pytest.approx(expected)
    assert expected == pytest.approx([0.4, 0.6])


def test_a_late_clock_does_not_rewrite_later_snapshots():
    question = QuestionFactory(binary=True)
    now = timezone.now()
    forecasting.record_forecast(
        UserFactory(), question.pk, by_label(question, Yes=0.6, No=0.4), now=now
    )
    forecasting.record_forecast(
        UserFactory(), question.pk, by_label(question, Yes=0.2, No=0.8),
        now=now - timedelta(minutes=30),
    )  # fmt: skip
    assert ForecastSnapshot.objects.filter(question=question, taken_at=now).exists()


def test_a_quiet_question_keeps_every_change():
    question = QuestionFactory(binary=True)
    now = timezone.now()
    for hours in (0, 1, 2):
        forecasting.record_forecast(
            UserFactory(), question.pk, by_label(question, Yes=0.6, No=0.4),
            now=now + timedelta(hours=hours),
        )  # fmt: skip
    assert ForecastSnapshot.objects.filter(question=question).count() == 3


def test_a_forecast_costs_queries_in_proportion_to_options_not_forecasts(
    django_assert_max_num_queries,
):
    question = QuestionFactory(options=[f"O{i}" for i in range(4)])
    shares = {o.pk: 0.25 for o in question.options.all()}
    for _ in range(30):
        forecasting.record_forecast(UserFactory(), question.pk, shares)
    reader = UserFactory()
    with django_assert_max_num_queries(16):
        forecasting.record_forecast(reader, question.pk, shares)


def test_recompute_agrees_with_the_running_sums_and_repairs_drift():
    question = QuestionFactory(options=["A", "B", "C"])
    readers = [UserFactory() for _ in range(5)]
    for n, reader in enumerate(readers * 2):
        shares = {"A": 0.2 + n / 100, "B": 0.5, "C": 0.3 - n / 100}
        forecasting.record_forecast(reader, question.pk, by_label(question, **shares))
    out = StringIO()
    call_command("recompute_forecasts", "--check", stdout=out)
    assert "No drift." in out.getvalue()
    question.options.filter(label="A").update(forecast_sum=42)
    Question.objects.filter(pk=question.pk).update(forecaster_count=9)
    with pytest.raises(SystemExit):
        call_command("recompute_forecasts", "--check", stdout=StringIO())
    out = StringIO()
    call_command("recompute_forecasts", stdout=out)
    assert "forecasters 9 → 5" in out.getvalue()
    assert "1 question(s) drifted; fixed." in out.getvalue()
    sums, count = recompute.recompute(question)
    assert question.options.get(label="A").forecast_sum == pytest.approx(
        sums[question.options.get(label="A").pk]
    )
    assert Question.objects.get(pk=question.pk).forecaster_count == count == 5


@pytest.mark.usefixtures("mean_aggregate")  # numbers of the mean
def test_saving_a_question_or_option_never_writes_back_stale_running_sums():
    question = QuestionFactory(binary=True)
    stale_question = Question.objects.get(pk=question.pk)
    stale_option = question.options.get(label="Yes")
    forecasting.record_forecast(UserFactory(), question.pk, by_label(question, Yes=0.7, No=0.3))
    stale_question.title = "Edited while a reader forecast"
    stale_question.save()
    stale_option.label = "YES"
    stale_option.save()
    assert Question.objects.get(pk=question.pk).forecaster_count == 1
    assert community(question) == {"YES": 70, "No": 30}
