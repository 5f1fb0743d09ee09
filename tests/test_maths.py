"""The community forecast as readers see it: probabilities and whole percentages."""

import pytest

from forecasts.maths import community_probabilities, largest_remainder_percentages


def test_no_forecasts_yet_gives_every_option_an_equal_share():
    assert community_probabilities([0.0] * 4, forecaster_count=0) == [0.25] * 4
    assert community_probabilities([0.0, 0.0], forecaster_count=0) == [0.5, 0.5]


def test_community_probability_is_the_mean_of_readers_latest_forecasts():
    # Two readers: (0.7, 0.3) and (0.5, 0.5).
    assert community_probabilities([1.2, 0.8], forecaster_count=2) == pytest.approx([0.6, 0.4])


@pytest.mark.parametrize(
    ("probabilities", "expected"),
    [
        ([0.25] * 4, [25, 25, 25, 25]),
        ([0.5, 0.5], [50, 50]),
        ([1 / 3] * 3, [34, 33, 33]),
        ([0.333, 0.333, 0.334], [33, 33, 34]),
        ([1 / 7] * 7, [15, 15, 14, 14, 14, 14, 14]),
        ([0.996, 0.002, 0.002], [100, 0, 0]),
        ([0.555, 0.445], [56, 44]),
    ],
)
def test_percentages_use_largest_remainder_and_always_sum_to_100(probabilities, expected):
    percents = largest_remainder_percentages(probabilities)
    assert percents == expected
    assert sum(percents) == 100


def test_percentages_of_nothing_is_nothing():
    assert largest_remainder_percentages([]) == []
