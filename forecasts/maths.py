"""The arithmetic of forecasting, with no database: what readers see and how it is scored.

The community's probability for an option is the mean, over readers, of each reader's
latest probability for it; with nobody forecasting yet every option is 1/N. Shown as
whole percentages that sum to 100 (largest remainder).

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
