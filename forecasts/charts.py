"""The community forecast over time, drawn as inline SVG on the server.

No JavaScript and no chart library: a step line per option over the question's life, a
0–100% grid, and dates on the time axis. The legend is HTML (see the template), so the
numbers stay text for screen readers and search engines.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.html import escape
from django.utils.safestring import mark_safe

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

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="chart-title-{question.pk}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title-{question.pk}">Community forecast from '
        f"{escape(format_date(start, 'M j, Y'))} to {escape(format_date(end, 'M j, Y'))}"
        "</title>",
    ]
    for tick in (0, 25, 50, 75, 100):
        ty = y(tick / 100)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}" '
            'stroke="#d9dce1" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#5b616b">{tick}%</text>'
        )
    for moment, anchor in ((start, "start"), (end, "end")):
        parts.append(
            f'<text x="{x(moment):.1f}" y="{HEIGHT - 8}" text-anchor="{anchor}" font-size="11" '
            f'fill="#5b616b">{escape(format_date(moment, "M j, Y"))}</text>'
        )
    series = []
    for index, (option, _, percent) in enumerate(current):
        colour, dash = style_for(index)
        coordinates, previous = [], None
        for moment, values in points:
            value = values.get(option.pk, previous if previous is not None else 0)
            if previous is not None:
                coordinates.append(f"{x(moment):.1f},{y(previous):.1f}")  # hold, then step
            coordinates.append(f"{x(moment):.1f},{y(value):.1f}")
            previous = value
        dash_attribute = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash_attribute} '
            f'points="{" ".join(coordinates)}"><title>{escape(option.label)}: {percent}%'
            "</title></polyline>"
        )
        series.append(Series(option.label, colour, dash, percent))
    parts.append("</svg>")
    # Every value in the markup is a number we formatted or text passed through escape().
    return Chart(svg=mark_safe("".join(parts)), series=series)  # noqa: S308


def calibration_chart(bins, size=280):
    """Predicted probability (x) against how often it happened (y); the diagonal is
    perfect calibration. A point per bin, its area growing with the number of forecasts."""
    pad = 36
    inner = size - 2 * pad

    def at(value):
        return pad + inner * value

    parts = [
        f'<svg class="chart chart--square" viewBox="0 0 {size} {size}" role="img" '
        'aria-labelledby="calibration-title" xmlns="http://www.w3.org/2000/svg">',
        '<title id="calibration-title">Calibration: predicted probability against observed '
        "frequency</title>",
        f'<rect x="{pad}" y="{pad}" width="{inner}" height="{inner}" fill="none" '
        'stroke="#d9dce1"/>',
        f'<line x1="{at(0)}" y1="{size - at(0)}" x2="{at(1)}" y2="{size - at(1)}" '
        'stroke="#5b616b" stroke-dasharray="4 3"/>',
    ]
    for tick in (0, 0.5, 1):
        parts.append(
            f'<text x="{at(tick):.1f}" y="{size - pad + 16}" text-anchor="middle" '
            f'font-size="11" fill="#5b616b">{tick:.0%}</text>'
            f'<text x="{pad - 6}" y="{size - at(tick) + 4:.1f}" text-anchor="end" '
            f'font-size="11" fill="#5b616b">{tick:.0%}</text>'
        )
    largest = max((n for *_, n in bins), default=1)
    for _, predicted, observed, count in bins:
        radius = 3 + 7 * (count / largest) ** 0.5
        parts.append(
            f'<circle cx="{at(predicted):.1f}" cy="{size - at(observed):.1f}" r="{radius:.1f}" '
            f'fill="{COLOURS[0]}" fill-opacity="0.75"><title>predicted {predicted:.0%}, '
            f"happened {observed:.0%} of {count}</title></circle>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - numbers only
