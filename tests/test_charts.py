"""The community forecast over time, drawn as SVG on the server."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from forecasts.charts import probability_chart
from tests.factories import (
    ForecastSnapshotFactory,
    QuestionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("count", [2, 10, 12])
def test_chart_is_valid_svg_with_one_distinct_line_per_option(count):
    question = QuestionFactory(options=[f"Outcome {i}" for i in range(count)])
    options = list(question.options.all())
    for hours in (1, 2, 3):
        ForecastSnapshotFactory(
            question=question,
            taken_at=question.opens_at + timedelta(hours=hours),
            probabilities={str(o.pk): (0.5 if i == 0 else 0.5 / (count - 1))
                           for i, o in enumerate(options)},
        )  # fmt: skip
    chart = probability_chart(question, question.snapshots.all())
    svg = ET.fromstring(chart.svg)
    lines = svg.findall("{http://www.w3.org/2000/svg}polyline")
    assert len(lines) == count
    styles = {(line.get("stroke"), line.get("stroke-dasharray")) for line in lines}
    assert len(styles) == count  # every option tells apart, past the ten colours too
    assert [s.label for s in chart.series] == [o.label for o in options]
    assert svg.find("{http://www.w3.org/2000/svg}title").text.startswith("Community forecast")


def test_chart_follows_the_snapshots():
    question = QuestionFactory(options=["Up", "Down"])
    up, down = question.options.all()
    ForecastSnapshotFactory(
        question=question,
        taken_at=question.opens_at + timedelta(hours=1),
        probabilities={str(up.pk): 0.9, str(down.pk): 0.1},
    )
    svg = ET.fromstring(probability_chart(question, question.snapshots.all()).svg)
    first = svg.findall("{http://www.w3.org/2000/svg}polyline")[0].get("points").split()
    heights = [float(point.split(",")[1]) for point in first]
    # From 50% at opening up to 90% at the snapshot: a smaller y is higher on the chart.
    assert min(heights) < heights[0]


def test_chart_escapes_option_labels():
    question = QuestionFactory(options=["<script>x</script>", "B"])
    chart = probability_chart(question, [])
    assert "<script>x" not in chart.svg
    ET.fromstring(chart.svg)


def test_chart_dates_are_shown_in_the_sites_time_zone(settings):
    settings.TIME_ZONE = "Pacific/Kiritimati"  # UTC+14: late on the 1st is the 2nd there
    opens = datetime(2025, 3, 1, 20, 0, tzinfo=UTC)
    question = QuestionFactory(opens_at=opens, closes_at=opens + timedelta(days=8))
    chart = probability_chart(question, [], now=opens + timedelta(days=30))
    assert "Mar 2, 2025" in chart.svg
    assert "Mar 10, 2025" in chart.svg
