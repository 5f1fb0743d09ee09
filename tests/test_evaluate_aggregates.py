"""`manage.py evaluate_aggregates`: the aggregates scored on outcomes, replayed or simulated."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from forecasts import evaluation, forecasting, outcomes
from tests.factories import QuestionFactory, UserFactory


def rows(output):
    """{aggregate: (Brier, log score)} from the command's table."""
    table = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 4 and cells[1].isdigit():
            table[cells[0]] = (float(cells[2]), float(cells[3]))
    return table


def test_in_the_simulation_the_pooled_aggregate_beats_the_mean_on_both_scores():
    out = StringIO()
    call_command("evaluate_aggregates", "--simulate", "--questions", "600", stdout=out)
    table = rows(out.getvalue())
    mean = table["mean"]
    [site] = [score for name, score in table.items() if name.startswith("pooled (site")]
    assert site[0] < mean[0]  # Brier: lower is better
    assert site[1] > mean[1]  # log score: higher is better
    truth = table["the truth (known in the simulation only)"]
    assert truth[0] <= site[0]


def test_the_simulation_is_the_same_for_the_same_seed():
    first, second = StringIO(), StringIO()
    call_command("evaluate_aggregates", "--simulate", "--questions", "50", stdout=first)
    call_command("evaluate_aggregates", "--simulate", "--questions", "50", stdout=second)
    assert first.getvalue() == second.getvalue()
    other = StringIO()
    call_command("evaluate_aggregates", "--simulate", "--questions", "50", "--seed", "2",
                 stdout=other)  # fmt: skip
    assert other.getvalue() != first.getvalue()


@pytest.mark.django_db
def test_replay_scores_resolved_questions_on_the_forecasts_that_stood_at_close():
    question = QuestionFactory(options=["Yes", "No"])
    yes, no = (o.pk for o in question.options.all())
    now = timezone.now()
    forecasting.record_forecast(UserFactory(), question.pk, {yes: 0.75, no: 0.25}, now=now)
    forecasting.record_forecast(UserFactory(), question.pk, {yes: 0.6, no: 0.4}, now=now)
    question.closes_at = now + timedelta(seconds=1)
    question.save()
    question.refresh_from_db()
    outcomes.resolve(question, question.options.get(label="Yes"), now=now + timedelta(hours=1))
    out = StringIO()
    call_command("evaluate_aggregates", stdout=out)
    assert "Replayed: 1 resolved questions" in out.getvalue()
    table = rows(out.getvalue())
    assert table["mean"][0] == pytest.approx(2 * (1 - 0.675) ** 2, abs=1e-4)
    [case] = evaluation.resolved_cases()
    assert case.outcome == yes


@pytest.mark.django_db
def test_replay_with_nothing_resolved_says_what_to_do():
    with pytest.raises(CommandError, match="--simulate"):
        call_command("evaluate_aggregates", stdout=StringIO())
