"""The community forecast over time, drawn as SVG on the server."""

import re
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


def test_a_chart_without_forecasts_says_so_instead_of_drawing_flat_lines(client):
    question = QuestionFactory(options=["A", "B", "C", "D"])
    chart = probability_chart(question, [])
    assert chart.empty
    assert ET.fromstring(chart.svg).findall("{http://www.w3.org/2000/svg}polyline") == []
    page = client.get(question.get_absolute_url()).content.decode()
    assert "No forecasts yet" in page
    assert "The figures as a table" not in page


def test_the_time_axis_shows_hours_within_a_day_and_dates_beyond(client):
    from django.utils import timezone

    today = QuestionFactory(options=["Up", "Down"], opens_at=timezone.now() - timedelta(hours=5))
    ForecastSnapshotFactory(question=today, taken_at=today.opens_at + timedelta(hours=1))
    assert [fmt for _, _, fmt in probability_chart(today, today.snapshots.all()).axis] == [
        "H:i"
    ] * 3
    older = QuestionFactory(options=["Up", "Down"])  # opened a day ago, closes in a month
    ForecastSnapshotFactory(question=older, taken_at=older.opens_at + timedelta(hours=1))
    older.opens_at -= timedelta(days=3)
    assert probability_chart(older, older.snapshots.all()).axis[0][2] == "M j, Y"
    html = client.get(today.get_absolute_url()).content.decode()
    assert re.search(r'chart__time--start">\d\d:\d\d<', html)


def test_yes_and_no_have_their_own_colours_whatever_their_order():
    first = QuestionFactory(binary=True, options=["Yes", "No"])
    second = QuestionFactory(binary=True, options=["No", "Yes"])
    for question in (first, second):
        ForecastSnapshotFactory(question=question, taken_at=question.opens_at + timedelta(hours=1))
    colours = [
        {s.label: s.colour for s in probability_chart(q, q.snapshots.all()).series}
        for q in (first, second)
    ]
    assert colours[0] == colours[1]
    assert colours[0]["Yes"] != colours[0]["No"]


def test_the_chart_has_a_data_table_for_screen_readers(client):
    question = QuestionFactory(options=["Stay", "Leave"])
    stay, leave = question.options.all()
    ForecastSnapshotFactory(
        question=question,
        taken_at=question.opens_at + timedelta(hours=1),
        probabilities={str(stay.pk): 0.7, str(leave.pk): 0.3},
    )
    html = client.get(question.get_absolute_url()).content.decode()
    table = html[html.index("The figures as a table") :]
    assert re.search(r'<th scope="col"[^>]*>Stay</th><th scope="col"[^>]*>Leave</th>', table)
    assert "<td>70%</td><td>30%</td>" in table
    assert 'aria-labelledby="chart-title-' in html
