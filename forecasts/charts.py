"""The community forecast over time, drawn as inline SVG on the server.

No JavaScript and no chart library: a step line per option over the question's life on a
0–100% grid. This module works out the geometry; the markup is
templates/forecasts/charts/, autoescaped like every page. The plot is an SVG stretched to
its box (strokes keep their width), and its labels, legend and data table are HTML: they
stay readable at any width, and the numbers stay text for screen readers.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from itertools import pairwise

from django.template.loader import render_to_string
from django.utils import timezone

# Okabe-Ito and Tol's colour-blind-safe colours; dashes tell lines apart past ten options.
COLOURS = [
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9",
    "#d55e00", "#332288", "#999933", "#882255", "#44aa99",
]  # fmt: skip
# Yes and No keep their own colours everywhere (bars and chart), whatever their order.
BINARY_COLOURS = {"yes": (0, COLOURS[0]), "no": (5, COLOURS[5])}
DASHES = ["", "6 3", "2 3"]
MAX_POINTS = 400
TABLE_ROWS = 12
SIZE = 1000  # the plot's own units, stretched to its box
GRID = (0, 25, 50, 75, 100)
# A snapshot where an option moved this many percentage points or more since the one
# before is marked on the chart as a large move.
LARGE_MOVE_POINTS = 10


@dataclass
class Series:
    label: str
    colour: str
    dash: str
    percent: int
    index: int = 0  # the CSS class series-N that colours it in light and dark


@dataclass
class Move:
    """A large move between two snapshots: when, where on the plot, and what moved."""

    at: object
    x: str
    changes: list  # [(option label, points, signed)]


@dataclass
class Chart:
    svg: str
    series: list
    empty: bool = False
    axis: list = field(default_factory=list)  # [(position class, label)]
    table: list = field(default_factory=list)  # [(label of the time, [percent per series])]
    moves: list = field(default_factory=list)  # [Move]: the large moves, marked on the plot
    move_points: int = LARGE_MOVE_POINTS
    ticks: tuple = GRID


def style_for(index):
    return COLOURS[index % len(COLOURS)], DASHES[(index // len(COLOURS)) % len(DASHES)]


def _style(question, option, index):
    """(CSS series index, colour, dash) of an option's line."""
    if question.kind == question.Kind.BINARY and option.label.casefold() in BINARY_COLOURS:
        series, colour = BINARY_COLOURS[option.label.casefold()]
        return series, colour, ""
    colour, dash = style_for(index)
    return index % len(COLOURS), colour, dash


def _thin(points, limit=MAX_POINTS):
    """Keep at most `limit` snapshots, evenly spread, always keeping the last one."""
    if len(points) <= limit:
        return points
    step = len(points) / limit
    return [points[int(i * step)] for i in range(limit - 1)] + [points[-1]]


def time_format(start, end):
    """Hours and minutes when the chart spans a day or less, dates otherwise."""
    return "H:i" if end - start <= timedelta(days=1) else "M j, Y"


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

    taken = [s for s in _thin(list(snapshots)) if start <= s.taken_at <= end]
    series = []
    for index, (option, _, percent) in enumerate(current):
        css, colour, dash = _style(question, option, index)
        series.append(Series(option.label, colour, dash, percent, css))
    # Nobody has forecast: flat 1/N lines on top of one another would say nothing, so the
    # grid stays empty and says so.
    empty = not taken and not question.forecaster_count

    # (time, {option id: probability}): the opening, every snapshot, and now.
    points = [(start, uniform)]
    for snapshot in taken:
        points.append((snapshot.taken_at, {int(k): v for k, v in snapshot.probabilities.items()}))
    points.append((end, {option.pk: p for option, p, _ in current}))

    span = (end - start).total_seconds()

    def x(moment):
        return SIZE * (moment - start).total_seconds() / span

    def y(probability):
        return SIZE * (1 - probability)

    lines = []
    for option, line in zip(options, series, strict=True):
        if empty:
            break
        coordinates, previous = [], None
        for moment, values in points:
            value = values.get(option.pk, previous if previous is not None else 0)
            if previous is not None:
                coordinates.append(f"{x(moment):.1f},{y(previous):.1f}")  # hold, then step
            coordinates.append(f"{x(moment):.1f},{y(value):.1f}")
            previous = value
        lines.append({"points": " ".join(coordinates), "series": line})
    moves = [] if empty else _large_moves(points[1:-1], options, x)
    context = {
        "question": question,
        "moves": moves,
        "size": SIZE,
        "start": start,
        "end": end,
        "grid": [f"{y(tick / 100):.1f}" for tick in GRID],
        "lines": lines,
    }
    svg = render_to_string("forecasts/charts/probability.html", context)
    moment_format = time_format(start, end)
    middle = start + (end - start) / 2
    return Chart(
        svg=svg,
        series=series,
        empty=empty,
        axis=[("start", start, moment_format), ("middle", middle, moment_format),
              ("end", end, moment_format)],
        table=[] if empty else _table(points, options, moment_format),
        moves=moves,
    )  # fmt: skip


def _large_moves(points, options, x):
    """[Move] where some option moved LARGE_MOVE_POINTS or more between two snapshots."""
    moves = []
    for (_, before), (moment, after) in pairwise(points):
        changes = []
        for option in options:
            points_moved = round((after.get(option.pk, 0) - before.get(option.pk, 0)) * 100)
            if abs(points_moved) >= LARGE_MOVE_POINTS:
                changes.append((option.label, abs(points_moved), points_moved > 0))
        if changes:
            moves.append(Move(at=moment, x=f"{x(moment):.1f}", changes=changes))
    return moves


def _table(points, options, moment_format):
    """At most TABLE_ROWS rows of the chart's points, first and last kept: the data
    behind the lines, for readers who cannot see them."""
    chosen = points if len(points) <= TABLE_ROWS else _thin(points, TABLE_ROWS)
    rows, previous = [], {}
    for moment, values in chosen:
        shares = [values.get(option.pk, previous.get(option.pk, 0)) for option in options]
        previous = dict(zip([o.pk for o in options], shares, strict=True))
        rows.append((moment, [round(share * 100) for share in shares]))
    return rows


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
