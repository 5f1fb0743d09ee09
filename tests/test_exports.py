"""Exports: resolved questions with outcomes and the community forecast over time, as CSV
and JSON Lines, streamed in chunks with the question list's filters."""

import csv
import io
import json
import tracemalloc
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from forecasts import exports, outcomes
from forecasts.models import ForecastSnapshot, Question
from tests.client_helpers import api_client
from tests.factories import (
    EditorFactory,
    QuestionFactory,
    StoryFactory,
    StoryQuestionFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


def resolved(slug, winner="A", snapshots=2, **fields):
    question = QuestionFactory(slug=slug, options=["A", "B"], **fields)
    a, b = question.options.values_list("pk", flat=True)
    start = timezone.now() - timedelta(hours=snapshots)
    ForecastSnapshot.objects.bulk_create(
        ForecastSnapshot(
            question=question,
            taken_at=start + timedelta(hours=i),
            forecaster_count=i + 1,
            probabilities={str(a): 0.6, str(b): 0.4},
        )
        for i in range(snapshots)
    )
    outcomes.resolve(question, question.options.get(label=winner), "Settled.")
    return question


def body(response):
    assert response.streaming
    return b"".join(response.streaming_content).decode()


def test_csv_has_a_row_per_question_snapshot_and_option_with_the_outcome():
    question = resolved("crossing")
    QuestionFactory(slug="still-open")
    response = api_client().get("/api/v1/exports/questions.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="questions.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(body(response))))
    assert list(rows[0]) == exports.CSV_COLUMNS
    assert len(rows) == 4  # 2 snapshots by 2 options; the open question is not resolved
    assert {r["question_slug"] for r in rows} == {"crossing"}
    won = [r for r in rows if r["option_won"] == "1"]
    assert {r["option_label"] for r in won} == {"A"}
    assert rows[0]["outcome_label"] == "A"
    assert rows[0]["resolved_at"].endswith("Z")
    assert float(rows[0]["probability"]) == pytest.approx(0.6)
    assert rows[0]["question_id"] == str(question.pk)


def test_jsonl_has_a_line_per_question_with_its_history():
    resolved("crossing", snapshots=3)
    resolved("quiet", snapshots=0)
    response = api_client().get("/api/v1/exports/questions.jsonl")
    assert response["Content-Type"].startswith("application/jsonl")
    lines = [json.loads(line) for line in body(response).splitlines()]
    by_slug = {line["slug"]: line for line in lines}
    assert set(by_slug) == {"crossing", "quiet"}
    assert len(by_slug["crossing"]["history"]) == 3
    assert by_slug["quiet"]["history"] == []
    assert by_slug["crossing"]["outcome"]["label"] == "A"
    assert [o["label"] for o in by_slug["crossing"]["options"]] == ["A", "B"]


def test_the_list_filters_apply_and_bad_ones_are_a_json_400():
    topic = TopicFactory(slug="syria")
    story = StoryFactory(topics=[topic])
    StoryQuestionFactory(story=story, question=resolved("about-syria"))
    resolved("elsewhere")
    client = api_client()
    text = body(client.get("/api/v1/exports/questions.jsonl", {"topic": "syria"}))
    assert [json.loads(line)["slug"] for line in text.splitlines()] == ["about-syria"]
    everything = body(client.get("/api/v1/exports/questions.jsonl", {"state": "all"}))
    assert len(everything.splitlines()) == 2
    bad = client.get("/api/v1/exports/questions.csv", {"state": "sideways"})
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"]["state"]


def test_drafts_are_exported_only_to_editors():
    QuestionFactory(slug="draft", status="draft")
    anonymous = body(api_client().get("/api/v1/exports/questions.jsonl", {"state": "all"}))
    assert anonymous == ""
    editor = api_client(EditorFactory())
    mine = body(editor.get("/api/v1/exports/questions.jsonl", {"state": "draft"}))
    assert json.loads(mine)["slug"] == "draft"


def test_rows_are_read_in_chunks_and_memory_stays_flat(monkeypatch):
    """Questions come in chunks (a fixed number of queries per chunk) and snapshots
    through a cursor: peak memory barely moves from 2,000 to 20,000 rows."""
    monkeypatch.setattr(exports, "QUESTION_CHUNK", 5)
    for index in range(12):
        resolved(f"q{index}", snapshots=1)
    with CaptureQueriesContext(connection) as queries:
        rows = list(exports.csv_rows(exports_questions()))
    assert len(rows) == 1 + 12 * 2
    # The questions through one cursor; per chunk of 5: their options, their snapshots.
    assert len(queries) == 1 + 3 * 2

    def peak(snapshot_count):
        question = resolved(f"big-{snapshot_count}", snapshots=snapshot_count)
        tracemalloc.start()
        total = sum(
            len(row) for row in exports.csv_rows(exports_questions().filter(pk=question.pk))
        )
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert total > snapshot_count * 2 * 20
        return top

    small, large = peak(1_000), peak(10_000)  # 2,000 and 20,000 rows
    assert large < small * 2 + 512 * 1024, (small, large)


def exports_questions():
    return Question.objects.resolved()
