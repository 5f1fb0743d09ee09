"""The community forecast over time, drawn as inline SVG on the server.

No JavaScript and no chart library: a step line per option over the question's life, a
0–100% grid, and dates on the time axis. This module works out the geometry; the markup is
templates/forecasts/charts/, autoescaped like every page. The legend is HTML (see the
question page), so the numbers stay text for screen readers and search engines.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.template.loader import render_to_string
from django.utils import timezone

# Okabe-Ito and Tol's colour-blind-safe colours; dashes tell lines apart past ten options.
COLOURS = [
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9",
    "#d55e00", "#332288", "#999933", "#882255", "#44aa99",
]  # fmt: skip
DASHES = ["", "6 3", "2 3"]
MAX_POINTS = 400

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 28


@dataclass
class Series:
    label: str
    colour: str
    dash: str
    percent: int


@dataclass
class Chart:
    svg: str
    series: list


def style_for(index):
    return COLOURS[index % len(COLOURS)], DASHES[(index // len(COLOURS)) % len(DASHES)]


def _thin(points, limit=MAX_POINTS):
    """Keep at most `limit` snapshots, evenly spread, always keeping the last one."""
    if len(points) <= limit:
        return points
    step = len(points) / limit
    return [points[int(i * step)] for i in range(limit - 1)] + [points[-1]]


def probability_chart(question, snapshots, now=None):
    """The chart of `question` (its options prefetched) from its ForecastSnapshots."""
    now = now or timezone.now()
    current = question.community_forecast()
    options = [option for option, _, _ in current]
    uniform = {option.pk: 1 / len(options) for option in options} if options else {}
    start = question.opens_at
    end = min(now, question.closes_at)
    if question.resolved_at:
        end = min(end, question.resolved_at) if question.resolved_at > start else end
    if end <= start:
        end = start + timedelta(seconds=1)

    # (time, {option id: probability}): the opening, every snapshot, and now.
    points = [(start, uniform)]
    for snapshot in _thin(list(snapshots)):
        if start <= snapshot.taken_at <= end:
            values = {int(k): v for k, v in snapshot.probabilities.items()}
            points.append((snapshot.taken_at, values))
    points.append((end, {option.pk: p for option, p, _ in current}))

    span = (end - start).total_seconds()

    def x(moment):
        return LEFT + (WIDTH - LEFT - RIGHT) * (moment - start).total_seconds() / span

    def y(probability):
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - probability)

    lines, series = [], []
    for index, (option, _, percent) in enumerate(current):
        colour, dash = style_for(index)
        coordinates, previous = [], None
        for moment, values in points:
            value = values.get(option.pk, previous if previous is not None else 0)
            if previous is not None:
                coordinates.append(f"{x(moment):.1f},{y(previous):.1f}")  # hold, then step
            coordinates.append(f"{x(moment):.1f},{y(value):.1f}")
            previous = value
        lines.append(
            {
                "points": " ".join(coordinates),
                "series": Series(option.label, colour, dash, percent),
            }
        )
        series.append(lines[-1]["series"])
    context = {
        "question": question,
        "width": WIDTH,
        "height": HEIGHT,
        "start": start,
        "end": end,
        "grid": [
            (LEFT, WIDTH - RIGHT, f"{y(tick / 100):.1f}", f"{y(tick / 100) + 4:.1f}", tick)
            for tick in (0, 25, 50, 75, 100)
        ],
        "label_x": LEFT - 6,
        "axis_y": HEIGHT - 8,
        "axis": [(f"{x(start):.1f}", "start", start), (f"{x(end):.1f}", "end", end)],
        "lines": lines,
    }
    svg = render_to_string("forecasts/charts/probability.html", context)
    return Chart(svg=svg, series=series)


def calibration_chart(bins, size=280):
    """Predicted probability (x) against how often it happened (y); the diagonal is
    perfect calibration. A point per bin, its area growing with the number of forecasts."""
    pad = 36
    inner = size - 2 * pad

    def at(value):
        return pad + inner * value

    largest = max((n for *_, n in bins), default=1)
    context = {
        "size": size,
        "pad": pad,
        "inner": inner,
        "diagonal": (at(0), size - at(0), at(1), size - at(1)),
        "ticks": [
            (
                f"{at(tick):.1f}",
                size - pad + 16,
                pad - 6,
                f"{size - at(tick) + 4:.1f}",
                f"{tick:.0%}",
            )
            for tick in (0, 0.5, 1)
        ],
        "colour": COLOURS[0],
        "points": [
            {
                "x": f"{at(predicted):.1f}",
                "y": f"{size - at(observed):.1f}",
                "radius": f"{3 + 7 * (count / largest) ** 0.5:.1f}",
                "predicted": f"{predicted:.0%}",
                "observed": f"{observed:.0%}",
                "count": count,
            }
            for _, predicted, observed, count in bins
        ],
    }
    return render_to_string("forecasts/charts/calibration.html", context)
