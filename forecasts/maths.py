"""The arithmetic of forecasting, with no database: what readers see and how it is scored.

Two community aggregates of each reader's latest forecast, both kept as running sums so a
new forecast moves them in O(options):

- **mean**: the plain mean of readers' probabilities for each option.
- **pooled**: the recency-weighted geometric mean of readers' probabilities, extremized
  and normalised: p_o ∝ exp(a · S_o / W_o), where S_o = Σ w·ln(p) and W_o = Σ w over the
  readers whose latest forecast gave option o a probability, and a is the extremizing
  exponent. For a yes/no question that is the weighted geometric mean of the odds raised
  to a (Satopää et al. 2014). A reader's weight grows with the time of their latest
  forecast, w = 2^((t − origin) / half-life): dividing by W makes that the same as every
  forecast's weight halving each half-life of age, and, unlike a weight that decays with
  the clock, it never changes once written, so the sums stay incremental. When weights
  grow large the origin moves forward and the sums are scaled down (rebase_scale).

With nobody forecasting yet every option is 1/N. Shown as whole percentages that sum to
100 (largest remainder).

Multi-class Brier score: Σ over options of (p − o)², o = 1 for the outcome, else 0; from
0 (certain and right) to 2 (certain and wrong); lower is better. Log score: ln(p of the
outcome), from −6.9 (0.1%) to 0; higher is better.
"""

import math

CALIBRATION_BINS = 10


def community_probabilities(forecast_sums, forecaster_count):
    """Per-option probabilities from the running sums and the number of forecasters."""
    if not forecast_sums:
        return []
    if forecaster_count <= 0:
        return [1 / len(forecast_sums)] * len(forecast_sums)
    probabilities = [total / forecaster_count for total in forecast_sums]
    # Float sums drift a hair from 1; renormalise so the shares stay a distribution.
    total = sum(probabilities)
    return [p / total for p in probabilities] if total > 0 else probabilities


MEAN = "mean"
POOLED = "pooled"
AGGREGATES = (POOLED, MEAN)
# Probabilities enter the logarithms within these bounds (the ones a forecast may take).
LOG_MIN, LOG_MAX = 0.001, 0.999
# Rebase when a new weight would pass e^REBASE_AT (about 10^217): far below overflow
# (e^709) even summed over millions of readers.
REBASE_AT = 500.0


def mean_probabilities(forecast_sums, forecaster_count):
    """The mean aggregate: community_probabilities, by its name."""
    return community_probabilities(forecast_sums, forecaster_count)


def pooled_probabilities(log_sums, weights, forecaster_count, exponent):
    """Per-option pooled probabilities from the running Σ w·ln p (`log_sums`) and Σ w
    (`weights`) of each option; 1/N before anyone forecast.

    An option no standing forecast covers (added after them) counts as LOG_MIN."""
    if not log_sums:
        return []
    n = len(log_sums)
    if forecaster_count <= 0 or not any(w > 0 for w in weights):
        return [1 / n] * n
    means = [
        total / weight if weight > 0 else math.log(LOG_MIN)
        for total, weight in zip(log_sums, weights, strict=True)
    ]
    top = max(means)
    # Subtract the largest before exponentiating: exp() of a·ln(0.001) is tiny, never 0/0.
    raw = [math.exp(exponent * (m - top)) for m in means]
    total = sum(raw)
    return [r / total for r in raw]


def pooled_log(probability):
    """ln p of a probability, within [LOG_MIN, LOG_MAX]."""
    return math.log(min(max(probability, LOG_MIN), LOG_MAX))


def weight_exponent(at, origin, half_life_hours):
    """ln of the weight of a forecast made at `at`: ln 2 · (at − origin) / half-life."""
    hours = (at - origin).total_seconds() / 3600
    return math.log(2) * hours / half_life_hours


def pooled_weight(at, origin, half_life_hours):
    """The weight of a forecast made at `at` (1 at `origin`, doubling every half-life)."""
    return math.exp(weight_exponent(at, origin, half_life_hours))


def rebase_scale(now, origin, half_life_hours):
    """(new origin, factor for the stored sums) for a forecast at `now`: (origin, 1.0)
    unless its weight would pass e^REBASE_AT; then the origin moves to `now` and the sums
    shrink by the weight `now` had, so every ratio of weights stays as it was."""
    if origin is None:
        return now, 1.0
    exponent = weight_exponent(now, origin, half_life_hours)
    if exponent <= REBASE_AT:
        return origin, 1.0
    return now, math.exp(-exponent)


def pooled_deltas(given, previous, previous_at, origin, half_life_hours, now):
    """How one forecast moves the pooled sums: {option id: (Δ Σ w·ln p, Δ Σ w)}.

    `given` is the new {option id: probability} made at `now`; `previous` the reader's
    standing one ({} if none) made at `previous_at`; both weighed from `origin` (after any
    rebase). The previous forecast's contribution comes out, the new one goes in."""
    new_weight = pooled_weight(now, origin, half_life_hours)
    old_weight = pooled_weight(previous_at, origin, half_life_hours) if previous else 0.0
    deltas = {}
    for option_id, p in given.items():
        log_delta, weight_delta = new_weight * pooled_log(p), new_weight
        if option_id in previous:
            log_delta -= old_weight * pooled_log(previous[option_id])
            weight_delta -= old_weight
        deltas[option_id] = (log_delta, weight_delta)
    return deltas


def pooled_from_scratch(forecasts, option_ids, origin, half_life_hours, exponent):
    """The pooled aggregate straight from the standing forecasts, [(made at,
    {option id: p})]: what the running sums must agree with."""
    log_sums = dict.fromkeys(option_ids, 0.0)
    weights = dict.fromkeys(option_ids, 0.0)
    for at, probabilities in forecasts:
        weight = pooled_weight(at, origin, half_life_hours)
        for option_id, p in probabilities.items():
            log_sums[option_id] += weight * pooled_log(p)
            weights[option_id] += weight
    return pooled_probabilities(
        [log_sums[o] for o in option_ids], [weights[o] for o in option_ids],
        len(forecasts), exponent,
    )  # fmt: skip


def mean_from_scratch(forecasts, option_ids):
    """The mean aggregate from the standing forecasts, [(made at, {option id: p})]."""
    sums = [sum(p.get(o, 0.0) for _, p in forecasts) for o in option_ids]
    return community_probabilities(sums, len(forecasts))


def largest_remainder_percentages(probabilities, total=100):
    """Whole percentages that sum to `total` (Hamilton's largest-remainder method).

    Each share is floored, then the points left over go to the largest remainders; ties
    go to the earlier option so the result is stable. Three options at 1/3 give
    [34, 33, 33], never 33 three times.
    """
    if not probabilities:
        return []
    weight = sum(probabilities)
    if weight <= 0:
        raise ValueError("probabilities must have a positive sum")
    exact = [p * total / weight for p in probabilities]
    floors = [math.floor(x) for x in exact]
    left_over = total - sum(floors)
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in by_remainder[:left_over]:
        floors[i] += 1
    return floors


FLOOR = 1e-9  # an option added after a forecast counts as 0 there; ln(0) is minus infinity


def brier(probabilities, outcome_id):
    outcome_miss = 0.0 if outcome_id in probabilities else 1.0
    hits = sum((p - (1.0 if key == outcome_id else 0.0)) ** 2 for key, p in probabilities.items())
    return hits + outcome_miss


def log_score(probabilities, outcome_id):
    return math.log(max(probabilities.get(outcome_id, 0.0), FLOOR))


def calibration(forecasts):
    """[(bin middle, mean predicted, observed frequency, count)] over every option of
    `forecasts`, pairs of ({option key: probability}, the outcome's key): how often things
    given ~p happened."""
    bins = [[0.0, 0, 0] for _ in range(CALIBRATION_BINS)]  # sum of p, hits, count
    for probabilities, outcome in forecasts:
        for key, p in probabilities.items():
            index = min(int(p * CALIBRATION_BINS), CALIBRATION_BINS - 1)
            bins[index][0] += p
            bins[index][1] += 1 if key == outcome else 0
            bins[index][2] += 1
    return [
        ((i + 0.5) / CALIBRATION_BINS, total / n, hits / n, n)
        for i, (total, hits, n) in enumerate(bins)
        if n
    ]
