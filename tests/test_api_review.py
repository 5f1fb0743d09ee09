"""Review before publishing, through the API: the same rules as the admin's, as 403s and
400s with a clear message, and the same history."""

from datetime import timedelta

import pytest
from django.utils import timezone
from reversion.models import Version

from forecasts.models import Question
from news.models import Story
from tests.client_helpers import api_client
from tests.factories import EditorFactory, QuestionFactory, ReporterFactory, StoryFactory

pytestmark = pytest.mark.django_db


def iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


def question_body(**overrides):
    now = timezone.now()
    return {
        "title": "Will Iraq hand the equipment back by June 30?",
        "resolution_criteria": "Official statements",
        "kind": "binary",
        "opens_at": iso(now - timedelta(hours=1)),
        "closes_at": iso(now + timedelta(days=30)),
        "options": [{"label": "Yes"}, {"label": "No"}],
        **overrides,
    }


def comments(item):
    versions = Version.objects.get_for_object(item).order_by("revision__date_created", "pk")
    return [(v.revision.user.username, v.revision.comment) for v in versions]


def test_a_reporter_patching_status_published_is_a_403_saying_why():
    reporter = api_client(ReporterFactory())
    story = StoryFactory(draft=True, slug="scoop")
    response = reporter.patch(
        "/api/v1/stories/scoop/",
        {"status": "published", "published_at": iso(timezone.now())},
        format="json",
    )
    assert response.status_code == 403
    message = response.json()["error"]["message"]
    assert "Only an editor can publish a story" in message
    assert "Submit it for review" in message
    story.refresh_from_db()
    assert story.status == Story.Status.DRAFT
    response = reporter.post(
        "/api/v1/questions/", question_body(status="published"), format="json"
    )
    assert response.status_code == 403
    assert "Only an editor can publish a question" in response.json()["error"]["message"]
    assert not Question.objects.exists()


def test_a_reporter_cannot_change_what_readers_see_or_settle_questions():
    reporter = api_client(ReporterFactory())
    story, question = StoryFactory(slug="live"), QuestionFactory(slug="open-q")
    response = reporter.patch("/api/v1/stories/live/", {"headline": "Rewritten"}, format="json")
    assert response.status_code == 403
    assert (
        "Only an editor can change a story that readers can see"
        in (response.json()["error"]["message"])
    )
    assert (
        reporter.patch("/api/v1/questions/open-q/", {"title": "x"}, format="json").status_code
        == 403
    )
    winner = {"option": question.options.first().pk, "note": "x"}
    for action, body in [("close", {}), ("annul", {}), ("resolve", winner)]:
        response = reporter.post(f"/api/v1/questions/open-q/{action}/", body, format="json")
        assert response.status_code == 403, action
        assert "Only an editor can close, resolve or annul" in response.json()["error"]["message"]
    assert reporter.delete("/api/v1/stories/live/").status_code == 403
    story.refresh_from_db()
    question.refresh_from_db()
    assert story.headline != "Rewritten"
    assert question.is_open


def test_the_review_round_trip_through_the_api_with_its_history():
    rami, amira = ReporterFactory(username="rami"), EditorFactory(username="amira")
    reporter, editor = api_client(rami), api_client(amira)
    response = reporter.post(
        "/api/v1/questions/",
        question_body(status="in_review", review_note="Check the date."),
        format="json",
    )
    assert response.status_code == 201, response.content
    slug = response.json()["slug"]
    assert response.json()["state"] == "in_review"
    assert api_client().get(f"/api/v1/questions/{slug}/").status_code == 404  # hidden
    sent_back = editor.patch(f"/api/v1/questions/{slug}/", {"status": "draft"}, format="json")
    assert sent_back.status_code == 400
    assert sent_back.json()["error"]["fields"] == {
        "review_note": ["Say what needs changing: the writer sees this note."]
    }
    editor.patch(
        f"/api/v1/questions/{slug}/",
        {"status": "draft", "review_note": "Say which equipment."},
        format="json",
    )
    reporter.patch(
        f"/api/v1/questions/{slug}/",
        {"title": "Will Iraq hand the tanks back by June 30?", "status": "in_review"},
        format="json",
    )
    response = editor.patch(f"/api/v1/questions/{slug}/", {"status": "published"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "open"
    assert comments(Question.objects.get()) == [
        ("rami", "Submitted for review: Check the date. · Added through the API"),
        ("amira", "Changes requested: Say which equipment. · Changed through the API"),
        ("rami", "Submitted for review · Changed through the API"),
        ("amira", "Approved and published · Changed through the API"),
    ]


def test_reporters_list_questions_in_review_and_readers_do_not():
    QuestionFactory(status="in_review", slug="pending")
    url = "/api/v1/questions/?state=in_review"
    assert [q["slug"] for q in api_client(ReporterFactory()).get(url).json()["results"]] == [
        "pending"
    ]
    assert api_client().get(url).json()["results"] == []


def test_with_review_off_a_reporter_publishes_through_the_api(settings):
    settings.EDITORIAL_REVIEW = False
    reporter = api_client(ReporterFactory())
    response = reporter.post(
        "/api/v1/questions/", question_body(status="published"), format="json"
    )
    assert response.status_code == 201, response.content
    response = reporter.post(
        "/api/v1/questions/", question_body(title="Another?", status="in_review"), format="json"
    )
    assert response.status_code == 400
    assert "Review is turned off" in str(response.json()["error"]["fields"])
