"""Forecasts submitted at the same moment lose no update (PostgreSQL row locks)."""

import threading

import pytest
from django.db import connection

from forecasts import forecasting, recompute
from forecasts.models import Question
from tests.client_helpers import at_once
from tests.factories import QuestionFactory, UserFactory

THREADS = 8
FORECASTS_EACH = 6


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_forecasts_end_with_sums_equal_to_a_recomputation():
    question = QuestionFactory(options=["A", "B", "C"])
    options = [o.pk for o in question.options.all()]
    readers = [UserFactory() for _ in range(THREADS)]
    errors = []
    start = threading.Barrier(THREADS)

    def forecast(reader, seed):
        try:
            start.wait()
            for n in range(FORECASTS_EACH):
                a = 0.1 + ((seed * 7 + n * 3) % 8) / 10  # 0.1 .. 0.8
                shares = dict(zip(options, [a, (1 - a) / 2, (1 - a) / 2], strict=True))
                forecasting.record_forecast(reader, question.pk, shares)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=forecast, args=(r, i)) for i, r in enumerate(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert_sums_agree_with_a_recomputation(question, THREADS)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_readers_two_tabs_at_once_count_once_and_leave_no_drift():
    question = QuestionFactory(options=["A", "B"])
    a, b = (o.pk for o in question.options.all())
    reader = UserFactory()
    forecasting.record_forecast(reader, question.pk, {a: 0.5, b: 0.5})
    tabs = [
        lambda share=share: forecasting.record_forecast(
            reader, question.pk, {a: share, b: 1 - share}
        )
        for share in (0.2, 0.9, 0.6, 0.3)
    ]
    results = at_once(*tabs)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert_sums_agree_with_a_recomputation(question, 1)


def assert_sums_agree_with_a_recomputation(question, forecasters):
    """Both aggregates' running sums and the count match the raw forecasts."""
    question = Question.objects.get(pk=question.pk)
    totals = recompute.rebuilt_totals([question.pk])
    assert question.forecaster_count == totals.counts[question.pk] == forecasters
    assert question.pooled_origin == totals.origins[question.pk]
    for option in question.options.all():
        assert option.forecast_sum == pytest.approx(totals.sums[option.pk], abs=1e-9)
        assert option.pooled_log_sum == pytest.approx(totals.log_sums[option.pk], rel=1e-9)
        assert option.pooled_weight == pytest.approx(totals.weights[option.pk], rel=1e-9)
