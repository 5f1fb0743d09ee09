"""Review before publishing, in the admin: reporters submit, editors publish or send back
with a comment; every move is in the history with who and when; review can be off."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from forecasts.models import Question
from news.models import Story
from tests.client_helpers import errors_of, inline, split_datetime
from tests.factories import EditorFactory, QuestionFactory, ReporterFactory, StoryFactory

pytestmark = pytest.mark.django_db

STORY_ADD = reverse("admin:news_story_add")
STORIES = reverse("admin:news_story_changelist")
QUESTIONS = reverse("admin:forecasts_question_changelist")


def story_post(story=None, **fields):
    data = {
        "headline": "Iraq Hands 1,905 Syrian Soldiers Back to Syria at Al-Qaim",
        "slug": "iraq-hands-soldiers-back",
        "summary": "",
        "body": "Iraq's military said on Thursday...",
        "source_name": "",
        "source_url": "",
        "dateline": "Baghdad",
        "status": "draft",
        "published_at_0": "",
        "published_at_1": "",
        "review_note": "",
        **inline("links", []),
    }
    if story is not None:
        data.update(
            headline=story.headline,
            slug=story.slug,
            body=story.body,
            status=story.status,
        )
        if story.published_at:
            data.update(split_datetime("published_at", timezone.localtime(story.published_at)))
    data.update(fields)
    return data


def change_url(story):
    return reverse("admin:news_story_change", args=[story.pk])


def history_of(item):
    versions = Version.objects.get_for_object(item).order_by("revision__date_created", "pk")
    return [(v.revision.user.username, v.revision.comment) for v in versions]


def test_a_reporter_is_offered_draft_and_review_but_never_published(client, reporter):
    page = client.get(STORY_ADD).content.decode()
    assert '<option value="in_review">In review</option>' in page
    assert 'value="published"' not in page
    assert 'name="_submit_for_review"' in page
    assert 'name="_publish"' not in page
    response = client.post(
        STORY_ADD, story_post(status="published", **split_datetime("published_at", timezone.now()))
    )
    assert response.status_code == 200
    assert "Select a valid choice" in str(response.context["adminform"].form.errors["status"])
    assert not Story.objects.exists()


def test_the_whole_review_round_trip_with_its_history(client):
    rami, amira = ReporterFactory(username="rami"), EditorFactory(username="amira")
    client.force_login(rami)
    response = client.post(
        STORY_ADD, story_post(review_note="Ready for the desk.", _submit_for_review="Submit")
    )
    assert response.status_code == 302, errors_of(response)
    story = Story.objects.get()
    assert story.status == Story.Status.IN_REVIEW
    assert story.author == rami
    client.logout()
    assert client.get(story.get_absolute_url()).status_code == 404  # readers: nothing yet

    client.force_login(amira)
    page = client.get(change_url(story)).content.decode()
    assert "Submitted for review: Ready for the desk." in page
    assert 'value="Approve and publish"' in page
    assert 'name="_request_changes"' in page
    # Sending back needs a note for the writer.
    response = client.post(change_url(story), story_post(story, _request_changes="Request"))
    assert response.status_code == 200
    assert "Say what needs changing" in str(response.context["adminform"].form.errors)
    response = client.post(
        change_url(story),
        story_post(story, review_note="Attribute the figure.", _request_changes="Request"),
    )
    assert response.status_code == 302, errors_of(response)
    story.refresh_from_db()
    assert story.status == Story.Status.DRAFT

    client.force_login(rami)
    page = client.get(change_url(story)).content.decode()
    assert "Changes requested: Attribute the figure." in page
    response = client.post(
        change_url(story),
        story_post(story, body="Iraq's military said on Thursday, citing its own count...",
                   _submit_for_review="Submit"),
    )  # fmt: skip
    assert response.status_code == 302, errors_of(response)

    client.force_login(amira)
    story.refresh_from_db()
    response = client.post(change_url(story), story_post(story, _publish="Publish"))
    assert response.status_code == 302, errors_of(response)
    story.refresh_from_db()
    assert story.is_live  # "Publish" without a time is now
    assert history_of(story) == [
        ("rami", "Submitted for review: Ready for the desk."),
        ("amira", "Changes requested: Attribute the figure."),
        ("rami", "Submitted for review · Changed Body and Status."),
        ("amira", "Approved and published"),
    ]


def test_a_reporter_cannot_change_a_published_story(client, reporter):
    story = StoryFactory(headline="Live and checked")
    page = client.get(change_url(story)).content.decode()
    assert 'name="headline"' not in page  # read-only
    assert 'name="_save"' not in page
    response = client.post(change_url(story), story_post(story, headline="Quietly rewritten"))
    assert response.status_code == 403
    story.refresh_from_db()
    assert story.headline == "Live and checked"


def test_a_crafted_post_cannot_publish_for_a_reporter(client, reporter):
    story = StoryFactory(draft=True)
    response = client.post(change_url(story), story_post(story, _publish="Publish"))
    assert response.status_code == 200
    assert not Story.objects.live().exists()


def test_reporters_have_no_publish_or_settle_actions(client, reporter):
    draft, question = StoryFactory(draft=True), QuestionFactory()
    page = client.get(STORIES).content.decode()
    assert 'value="submit_for_review"' in page
    assert 'value="publish"' not in page
    assert 'value="unpublish"' not in page
    client.post(STORIES, {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Story.Status.DRAFT
    page = client.get(QUESTIONS).content.decode()
    for action in ("close_now", "resolve", "annul", "publish"):
        assert f'value="{action}"' not in page
    client.post(QUESTIONS, {"action": "close_now", "_selected_action": [question.pk]})
    question.refresh_from_db()
    assert question.is_open
    resolve = reverse("admin:forecasts_question_resolve", args=[question.pk])
    assert client.get(resolve).status_code == 403
    winner = question.options.first()
    assert client.post(resolve, {"option": winner.pk, "note": "x"}).status_code == 403
    assert question.status == Question.Status.PUBLISHED


def test_submit_and_publish_actions_leave_history(client):
    rami, amira = ReporterFactory(username="rami"), EditorFactory(username="amira")
    question = QuestionFactory(status="draft")
    client.force_login(rami)
    client.post(QUESTIONS, {"action": "submit_for_review", "_selected_action": [question.pk]})
    question.refresh_from_db()
    assert question.status == Question.Status.IN_REVIEW
    assert not Question.objects.visible().exists()
    client.force_login(amira)
    page = client.get(QUESTIONS, {"state": "in_review"}).content.decode()
    assert question.title in page
    client.post(QUESTIONS, {"action": "publish", "_selected_action": [question.pk]})
    question.refresh_from_db()
    assert question.is_open
    assert history_of(question) == [
        ("rami", "Submitted for review"),
        ("amira", "Approved and published"),
    ]


def test_a_published_question_is_read_only_to_a_reporter_options_included(client, reporter):
    question = QuestionFactory()
    page = client.get(reverse("admin:forecasts_question_change", args=[question.pk]))
    html = page.content.decode()
    assert 'name="title"' not in html
    assert 'name="options-0-label"' not in html
    assert 'name="review_note"' not in html


def test_editors_still_publish_directly(client, editor):
    response = client.post(
        STORY_ADD,
        story_post(status="published", **split_datetime("published_at", timezone.now())),
    )
    assert response.status_code == 302, errors_of(response)
    story = Story.objects.get()
    assert story.is_live
    assert history_of(story)[0][1].startswith("Published")


def test_with_review_off_a_reporter_publishes_as_editors_did(client, reporter, settings):
    settings.EDITORIAL_REVIEW = False
    page = client.get(STORY_ADD).content.decode()
    assert 'value="published"' in page
    assert 'value="in_review"' not in page
    assert 'name="review_note"' not in page
    when = timezone.now() - timedelta(minutes=1)
    response = client.post(
        STORY_ADD, story_post(status="published", **split_datetime("published_at", when))
    )
    assert response.status_code == 302, errors_of(response)
    assert Story.objects.live().count() == 1
    assert 'value="close_now"' not in client.get(QUESTIONS).content.decode()  # still an editor's


def test_a_reporters_import_is_a_draft_whatever_is_posted(client, reporter):
    url = reverse("admin:forecasts_question_import")
    assert 'name="publish"' not in client.get(url).content.decode()
    text = "Will Iraq reopen Al-Qaim by June 30, 2027?\nYes • 50%\nNo • 50%\nOfficials"
    closes_at = timezone.now() + timedelta(days=30)
    response = client.post(
        url, {"text": text, "publish": "on", **split_datetime("closes_at", closes_at)}
    )
    assert response.status_code == 302
    assert Question.objects.get().status == Question.Status.DRAFT
