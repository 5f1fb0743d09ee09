"""The community forecast: from running per-option sums to what readers see.

The community's probability for an option is the mean, over readers, of each reader's
latest probability for it. With nobody forecasting yet every option is 1/N.
"""

import math


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
