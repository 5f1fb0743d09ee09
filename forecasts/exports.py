"""Data downloads for researchers: questions with their outcomes and the community
forecast over time, as CSV or JSON Lines, streamed.

Rows are read in chunks (`.iterator()`) and written as they come, so memory stays flat
however many questions and snapshots there are. Times are ISO 8601 in UTC; a probability
is a number from 0 to 1. The columns are documented in the README ("Exports").
"""

import csv
import io
import json
from datetime import UTC
from itertools import groupby

from forecasts.models import ForecastSnapshot

QUESTION_CHUNK = 500
SNAPSHOT_CHUNK = 2000

CSV_COLUMNS = [
    "question_id", "question_slug", "question_title", "kind", "status", "opens_at",
    "closes_at", "resolved_at", "outcome_option_id", "outcome_label", "option_id",
    "option_label", "option_position", "option_won", "snapshot_at", "forecaster_count",
    "probability",
]  # fmt: skip


def utc(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if moment else ""


def _chunks(questions):
    """Lists of up to QUESTION_CHUNK questions (with options and winning option)."""
    chunk = []
    rows = questions.select_related("resolved_option").prefetch_related("options")
    for question in rows.order_by("pk").iterator(chunk_size=QUESTION_CHUNK):
        chunk.append(question)
        if len(chunk) == QUESTION_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _histories(chunk):
    """(question id, [(taken_at, forecaster_count, probabilities)]) for each question of
    `chunk` that has snapshots and shows its community forecast (reveals_community), oldest
    first; read in chunks, one question at a time."""
    shown = [q.pk for q in chunk if q.reveals_community()]
    rows = (
        ForecastSnapshot.objects.filter(question__in=shown)
        .order_by("question_id", "taken_at", "pk")
        .values_list("question_id", "taken_at", "forecaster_count", "probabilities")
        .iterator(chunk_size=SNAPSHOT_CHUNK)
    )
    for question_id, points in groupby(rows, key=lambda row: row[0]):
        yield question_id, (point[1:] for point in points)


def csv_rows(questions):
    """The CSV, line by line: one row per question, snapshot and option."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values):
        writer.writerow(values)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(CSV_COLUMNS)
    for chunk in _chunks(questions):
        by_id = {q.pk: q for q in chunk}
        for question_id, points in _histories(chunk):
            question = by_id[question_id]
            outcome = question.resolved_option
            fixed = [
                question.pk, question.slug, question.title, question.kind, question.status,
                utc(question.opens_at), utc(question.closes_at), utc(question.resolved_at),
                outcome.pk if outcome else "", outcome.label if outcome else "",
            ]  # fmt: skip
            options = list(question.options.all())
            for taken_at, forecaster_count, probabilities in points:
                for option in options:
                    won = "" if outcome is None else int(option.pk == outcome.pk)
                    probability = probabilities.get(str(option.pk), "")
                    row = [option.pk, option.label, option.position, won]
                    yield line([*fixed, *row, utc(taken_at), forecaster_count, probability])


def jsonl_rows(questions):
    """JSON Lines: one question per line, with its options, outcome and history (one
    question's history in memory at a time)."""
    for chunk in _chunks(questions):
        histories = _histories(chunk)
        pending = next(histories, None)
        for question in chunk:  # both in question id order: merge them
            points = []
            if pending is not None and pending[0] == question.pk:
                points = list(pending[1])
                pending = next(histories, None)
            outcome = question.resolved_option
            record = {
                "id": question.pk,
                "slug": question.slug,
                "title": question.title,
                "kind": question.kind,
                "status": question.status,
                "opens_at": utc(question.opens_at),
                "closes_at": utc(question.closes_at),
                "resolved_at": utc(question.resolved_at) or None,
                "outcome": {"id": outcome.pk, "label": outcome.label} if outcome else None,
                "options": [
                    {"id": o.pk, "label": o.label, "position": o.position}
                    for o in question.options.all()
                ],
                "history": [
                    {"at": utc(at), "forecaster_count": count, "probabilities": probabilities}
                    for at, count, probabilities in points
                ],
            }
            yield json.dumps(record, ensure_ascii=False) + "\n"
