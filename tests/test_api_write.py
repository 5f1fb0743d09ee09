"""Editors write through the API; readers and anonymous clients cannot."""

from datetime import timedelta

import pytest
from django.utils import timezone

from forecasts import outcomes
from forecasts.models import Option, Question, Score
from news.models import Story
from tests.client_helpers import api_client, committed
from tests.factories import (
    EditorFactory,
    ForecastFactory,
    QuestionFactory,
    StoryFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def as_user(user=None):
    return api_client(user)


def iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


def question_body(**overrides):
    return {
        "title": "Will Iraq hand the equipment back by June 30?",
        "resolution_criteria": "Official statements",
        "kind": "multiple_choice",
        "status": "published",
        "opens_at": iso(NOW - timedelta(hours=1)),
        "closes_at": iso(NOW + timedelta(days=30)),
        "options": [{"label": "All of it"}, {"label": "Some of it"}, {"label": "None"}],
        **overrides,
    }


def test_editor_creates_a_question_with_its_options_in_one_request():
    response = as_user(EditorFactory()).post("/api/v1/questions/", question_body(), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert [o["label"] for o in data["options"]] == ["All of it", "Some of it", "None"]
    assert [o["percent"] for o in data["options"]] == [34, 33, 33]
    assert data["slug"] == "will-iraq-hand-the-equipment-back-by-june-30"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"options": [{"label": "Same"}, {"label": "same"}]}, "non_field_errors", "case ignored"),
        ({"options": [{"label": "Only"}]}, "options", "at least 2 options"),
        ({"options": [{"label": "A"}, {"label": ""}]}, "options[1].label", "blank"),
        (
            {"kind": "binary", "options": [{"label": "Yes"}, {"label": "Maybe"}]},
            "non_field_errors",
            '"Yes" and "No"',
        ),
        ({"closes_at": iso(NOW - timedelta(days=2))}, "closes_at", "after the open time"),
        ({"status": "resolved"}, "status", "through its own endpoint"),
        ({"options": "lots"}, "options", "Expected a list"),
    ],
)
def test_a_bad_question_is_a_400_naming_the_field_and_writes_nothing(overrides, field, message):
    response = as_user(EditorFactory()).post(
        "/api/v1/questions/", question_body(**overrides), format="json"
    )
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    text = error["message"] if field == "non_field_errors" else " ".join(error["fields"][field])
    assert message in text
    assert not Question.objects.exists()
    assert not Option.objects.exists()


def test_editor_renames_reorders_and_adds_options_atomically():
    question = QuestionFactory(options=["Alpha", "Bravo"])
    alpha, bravo = question.options.all()
    editor = as_user(EditorFactory())
    body = {
        "options": [
            {"id": bravo.pk, "label": "Alpha"},
            {"id": alpha.pk, "label": "Bravo"},
            {"label": "Charlie"},
        ]
    }
    response = editor.patch(f"/api/v1/questions/{question.slug}/", body, format="json")
    assert response.status_code == 200, response.content
    assert [(o["id"], o["label"]) for o in response.json()["options"]] == [
        (bravo.pk, "Alpha"),
        (alpha.pk, "Bravo"),
        (response.json()["options"][2]["id"], "Charlie"),
    ]
    ForecastFactory(question=question, probabilities=[0.3, 0.3, 0.4])
    dropping = {
        "options": [{"id": alpha.pk, "label": "Bravo"}, {"id": bravo.pk, "label": "Alpha"}]
    }
    response = editor.patch(f"/api/v1/questions/{question.slug}/", dropping, format="json")
    assert response.status_code == 400
    assert "rename, don't delete" in response.json()["error"]["fields"]["options"][0]
    assert question.options.count() == 3


def test_editor_creates_a_story_linked_to_questions_in_order():
    first, second = QuestionFactory(slug="first"), QuestionFactory(slug="second")
    TopicFactory(slug="iraq")
    body = {
        "slug": "handover",
        "headline": "Iraq hands soldiers back",
        "status": "published",
        "published_at": iso(NOW - timedelta(minutes=5)),
        "topics": ["iraq"],
        "question_slugs": ["second", "first"],
    }
    response = as_user(EditorFactory()).post("/api/v1/stories/", body, format="json")
    assert response.status_code == 201, response.content
    assert [q["slug"] for q in response.json()["questions"]] == ["second", "first"]
    story = Story.objects.get(slug="handover")
    assert [link.question for link in story.links.all()] == [second, first]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "published"}, "published_at"),
        ({"question_slugs": ["nope"]}, "question_slugs"),
        ({"topics": ["nowhere"]}, "topics"),
        ({"source_url": "javascript:alert(1)"}, "source_url"),
    ],
)
def test_a_bad_story_is_a_400_and_writes_nothing(body, field):
    response = as_user(EditorFactory()).post(
        "/api/v1/stories/", {"slug": "s", "headline": "H", **body}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Story.objects.exists()


def test_close_resolve_and_annul_through_the_api():
    editor = as_user(EditorFactory())
    question = QuestionFactory(options=["A", "B"])
    response = editor.post(f"/api/v1/questions/{question.slug}/close/")
    assert response.json()["state"] == "closed"
    winner = question.options.get(label="B")
    bad = editor.post(
        f"/api/v1/questions/{question.slug}/resolve/",
        {"option": QuestionFactory().options.first().pk, "note": "x"},
        format="json",
    )
    assert bad.status_code == 400
    assert "option" in bad.json()["error"]["fields"]
    with committed():  # scoring runs once the resolution commits
        response = editor.post(
            f"/api/v1/questions/{question.slug}/resolve/",
            {"option": winner.pk, "note": "B it was."},
            format="json",
        )
    assert response.json()["resolution"]["option"]["label"] == "B"
    assert Score.objects.filter(question=question).exists()
    again = editor.post(f"/api/v1/questions/{question.slug}/annul/", {}, format="json")
    assert again.status_code == 409  # the outcome stands: a conflict, not bad input
    assert "already resolved" in again.json()["error"]["message"]
    other = QuestionFactory()
    assert (
        editor.post(
            f"/api/v1/questions/{other.slug}/annul/", {"note": "Unclear"}, format="json"
        ).json()["state"]
        == "annulled"
    )


@pytest.mark.parametrize("who", ["anonymous", "reader"])
def test_readers_and_anonymous_clients_cannot_write(who):
    api = as_user(None if who == "anonymous" else UserFactory())
    question = QuestionFactory()
    expected = 401 if who == "anonymous" else 403
    assert api.post("/api/v1/questions/", question_body(), format="json").status_code == expected
    assert (
        api.patch(f"/api/v1/questions/{question.slug}/", {"title": "x"}, format="json").status_code
        == expected
    )
    assert api.post(f"/api/v1/questions/{question.slug}/close/").status_code == expected
    assert (
        api.post("/api/v1/stories/", {"slug": "s", "headline": "h"}, format="json").status_code
        == expected
    )
    assert api.delete(f"/api/v1/stories/{StoryFactory().slug}/").status_code == expected
    body = api.post("/api/v1/questions/", question_body(), format="json").json()
    assert set(body["error"]) == {"status", "code", "message", "fields"}


def test_editors_see_drafts_through_the_api():
    StoryFactory(slug="draft-story", draft=True)
    QuestionFactory(slug="draft-q", status="draft")
    editor = as_user(EditorFactory())
    assert editor.get("/api/v1/stories/draft-story/").status_code == 200
    assert editor.get("/api/v1/questions/draft-q/").status_code == 200


def test_duplicate_option_ids_and_kind_changes_are_checked():
    question = QuestionFactory(options=["A", "B", "C"])
    a = question.options.first()
    editor = as_user(EditorFactory())
    url = f"/api/v1/questions/{question.slug}/"
    options = [{"id": a.pk, "label": "A"}, {"id": a.pk, "label": "B"}]
    twice = editor.patch(url, {"options": options}, format="json")
    assert twice.status_code == 400
    assert question.options.count() == 3
    binary = editor.patch(url, {"kind": "binary"}, format="json")
    assert binary.status_code == 400
    assert '"Yes" and "No"' in binary.json()["error"]["message"]
    assert Question.objects.get(pk=question.pk).kind == "multiple_choice"


def test_the_api_refuses_to_change_or_delete_a_settled_question():
    question = QuestionFactory()
    outcomes.resolve(question, question.options.first(), "Settled.")
    editor = as_user(EditorFactory())
    url = f"/api/v1/questions/{question.slug}/"
    assert editor.patch(url, {"title": "Rewritten"}, format="json").status_code == 400
    assert editor.delete(url).status_code == 400
    assert Question.objects.filter(pk=question.pk, title=question.title).exists()
    fresh = QuestionFactory()
    assert editor.delete(f"/api/v1/questions/{fresh.slug}/").status_code == 204


def test_resolving_on_an_option_added_after_forecasts_scores_it_as_zero():
    from forecasts import forecasting

    question = QuestionFactory(options=["A", "B"])
    reader = UserFactory()
    ids = [o.pk for o in question.options.all()]
    forecasting.record_forecast(reader, question.pk, dict(zip(ids, [0.6, 0.4], strict=True)))
    late = Option.objects.create(question=question, label="C", position=2)
    with committed():
        response = as_user(EditorFactory()).post(
            f"/api/v1/questions/{question.slug}/resolve/", {"option": late.pk, "note": "C."},
            format="json",
        )  # fmt: skip
    assert response.status_code == 200, response.content
    score = Score.objects.get(user=reader)
    assert score.brier == pytest.approx(0.36 + 0.16 + 1)
    assert score.log_score < -20
