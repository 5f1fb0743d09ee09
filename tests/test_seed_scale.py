"""seed_scale: a synthetic newsroom whose aggregates match forecasting one by one."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from forecasts.models import Forecast, Question, Score
from news.models import Story

pytestmark = pytest.mark.django_db


def replayed(question):
    """The sums and count that record_forecast would have left, from the raw rows."""
    latest = {}
    for forecast in Forecast.objects.filter(question=question).order_by("created_at", "pk"):
        latest[forecast.user_id] = forecast
    sums = {option.pk: 0.0 for option in question.options.all()}
    for forecast in latest.values():
        for p in forecast.probabilities.all():
            sums[p.option_id] += p.probability
    return sums, len(latest)


def test_seed_scale_builds_a_consistent_newsroom(capsys):
    out = StringIO()
    call_command("seed_scale", stories=4, questions_per_story=3, readers=6, forecasts=120,
                 stdout=out)  # fmt: skip
    assert "Seeded 4 stories, 12 questions, 6 readers and 120 forecasts" in out.getvalue()
    assert Story.objects.live().count() == 4
    assert Forecast.objects.count() == 120
    for question in Question.objects.prefetch_related("options"):
        sums, count = replayed(question)
        assert question.forecaster_count == count
        for option in question.options.all():
            assert option.forecast_sum == pytest.approx(sums[option.pk])
        labels = [o.label for o in question.options.all()]
        Question.check_option_labels(question.kind, labels)
    resolved = Question.objects.filter(status=Question.Status.RESOLVED)
    assert (
        Score.objects.filter(question__in=resolved, user__isnull=True).count() == resolved.count()
    )
    check = StringIO()
    call_command("recompute_forecasts", "--check", stdout=check)
    assert "No drift." in check.getvalue()
    assert "forecasts" in capsys.readouterr().err  # the progress bars


def test_seed_scale_refuses_to_seed_twice():
    call_command("seed_scale", stories=1, questions_per_story=1, readers=1, forecasts=1,
                 stdout=StringIO())  # fmt: skip
    with pytest.raises(CommandError, match="already loaded"):
        call_command("seed_scale", stories=1, questions_per_story=1, readers=1, forecasts=1)
