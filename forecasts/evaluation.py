"""Scoring the community aggregates against outcomes: replayed questions or a simulation.

`manage.py evaluate_aggregates` prints what this computes. Pure arithmetic (forecasts.maths)
apart from `resolved_cases`, which reads resolved questions from the database.
"""

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import fmean

from forecasts import maths
from forecasts.models import Question
from forecasts.scoring import standing_forecasts


@dataclass
class Case:
    """One question as the aggregates saw it when it closed."""

    option_ids: list
    forecasts: list  # the standing forecasts: [(made at, {option id: probability})]
    outcome: object  # the option id that happened
    closes_at: datetime


@dataclass
class Aggregate:
    """A way to turn standing forecasts into the community's probabilities."""

    name: str
    method: str  # maths.MEAN or maths.POOLED
    exponent: float = 1.0
    half_life_hours: float = 168.0

    def probabilities(self, case):
        if self.method == maths.MEAN:
            values = maths.mean_from_scratch(case.forecasts, case.option_ids)
        else:
            values = maths.pooled_from_scratch(
                case.forecasts, case.option_ids, case.closes_at, self.half_life_hours,
                self.exponent,
            )  # fmt: skip
        return dict(zip(case.option_ids, values, strict=True))


def aggregates(exponent, half_life_hours):
    """The aggregates compared: the mean, the pooled one as configured, and the pooled one
    without extremizing, with 2.5 (the literature's rule of thumb), and without recency."""
    pooled = maths.POOLED
    rows = [
        Aggregate("mean", maths.MEAN),
        Aggregate(f"pooled (site: a={exponent:g}, half-life {half_life_hours:g} h)", pooled,
                  exponent, half_life_hours),
        Aggregate("pooled, a=1 (no extremizing)", pooled, 1.0, half_life_hours),
        Aggregate("pooled, a=2.5", pooled, 2.5, half_life_hours),
        Aggregate(f"pooled, a={exponent:g}, no recency weights", pooled, exponent, 1e12),
    ]  # fmt: skip
    return rows


def score(cases, compared):
    """[(name, questions, mean Brier, mean log score)] of each aggregate over `cases`."""
    rows = []
    for aggregate in compared:
        briers, logs = [], []
        for case in cases:
            probabilities = aggregate.probabilities(case)
            briers.append(maths.brier(probabilities, case.outcome))
            logs.append(maths.log_score(probabilities, case.outcome))
        rows.append(
            (aggregate.name, len(cases), fmean(briers) if cases else None,
             fmean(logs) if cases else None)
        )  # fmt: skip
    return rows


def resolved_cases(questions=None):
    """Cases of the resolved questions (all, or `questions`) with at least one forecast
    made before close: each reader's last forecast before close, as scoring takes it."""
    questions = questions if questions is not None else Question.objects.resolved()
    questions = questions.filter(status=Question.Status.RESOLVED).prefetch_related("options")
    cases = []
    for question in questions:
        standing = standing_forecasts(question)
        if not standing:
            continue
        cases.append(
            Case(
                option_ids=[o.pk for o in question.options.all()],
                forecasts=[
                    (f.created_at, {p.option_id: p.probability for p in f.probabilities.all()})
                    for f in standing.values()
                ],
                outcome=question.resolved_option_id,
                closes_at=question.closes_at,
            )
        )
    return cases


# The simulated readers (simulate()): what each one is like.
QUESTION_DAYS = 30
SIGNAL_NOISE = 1.6  # spread of a reader's error about the truth's log-odds at open …
LATE_NOISE = 0.5  # … and at close: news arrives, later readers know more
HEDGING = 0.6  # readers shrink their log-odds toward "anything could happen"
BIAS_SPREAD = 0.5  # each reader's own lean towards the first option (status quo) …
BIAS_MEAN = 0.3  # … on average a lean, not noise
REVISE = 0.3  # the chance a reader comes back once and revises


def simulate(questions=400, seed=1):
    """Cases with known truth: each question's outcome is drawn from true probabilities;
    readers see the truth's log-odds through noise that shrinks as the close nears, lean
    towards the first option, hedge towards equal shares, and sometimes revise.

    Deterministic for a seed. It is a model of readers, not readers: see the README.
    """
    rng = random.Random(seed)  # noqa: S311 - a reproducible simulation, not a secret
    opened = datetime(2026, 1, 1, tzinfo=UTC)
    cases = []
    for number in range(questions):
        n_options = rng.choice([2, 2, 3, 4])
        option_ids = [f"q{number}o{i}" for i in range(n_options)]
        truth_logits = [rng.gauss(0, 1.5) for _ in option_ids]
        truth = _softmax(truth_logits)
        outcome = rng.choices(option_ids, weights=truth)[0]
        closes_at = opened + timedelta(days=QUESTION_DAYS)
        standing = []
        for _ in range(rng.randint(3, 30)):
            bias = rng.gauss(BIAS_MEAN, BIAS_SPREAD)
            when = rng.random()
            if rng.random() < REVISE:
                when = when + (1 - when) * rng.random()  # only the revision stands
            noise = SIGNAL_NOISE + (LATE_NOISE - SIGNAL_NOISE) * when
            signal = [z + rng.gauss(0, noise) for z in truth_logits]
            signal[0] += bias
            shares = _softmax([HEDGING * s for s in signal])
            shares = [min(max(p, 0.001), 0.999) for p in shares]
            total = sum(shares)
            made_at = opened + timedelta(days=QUESTION_DAYS) * when
            standing.append(
                (made_at, {o: p / total for o, p in zip(option_ids, shares, strict=True)})
            )
        cases.append(Case(option_ids, standing, outcome, closes_at))
        cases[-1].truth = dict(zip(option_ids, truth, strict=True))
    return cases


def truth_row(cases):
    """(name, questions, Brier, log score) of the true probabilities: the floor no
    aggregate can beat on average."""
    briers = [maths.brier(case.truth, case.outcome) for case in cases]
    logs = [maths.log_score(case.truth, case.outcome) for case in cases]
    return ("the truth (known in the simulation only)", len(cases), fmean(briers), fmean(logs))


def _softmax(values):
    top = max(values)
    raw = [math.exp(v - top) for v in values]
    total = sum(raw)
    return [r / total for r in raw]
