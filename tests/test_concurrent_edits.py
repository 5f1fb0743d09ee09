"""Races and concurrent editors: exactly one wins, the other is told why, nothing is lost."""

import re

import pytest
from django.urls import reverse

from config.conflicts import Conflict
from forecasts import authoring, forecasting, outcomes
from forecasts.models import Question, Score
from news.models import Story
from tests.client_helpers import api_client, at_once, story_form
from tests.factories import EditorFactory, QuestionFactory, StoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def snapshot_of(response):
    """The hidden edit snapshot a change form carries."""
    return re.search(r'name="edit_snapshot" value="([^"]+)"', response.content.decode())[1]


# Two editors settle one question at the same moment -------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_of_two_simultaneous_resolutions_one_wins_and_the_other_gets_409_naming_it():
    question = QuestionFactory(options=["Stayed", "Returned"])
    stayed, returned = question.options.all()
    first, second = api_client(EditorFactory()), api_client(EditorFactory())
    url = f"/api/v1/questions/{question.slug}/resolve/"

    def resolve(client, option):
        return lambda: client.post(url, {"option": option.pk, "note": "Seen."}, format="json")

    answers = at_once(resolve(first, stayed), resolve(second, returned))
    assert sorted(answer.status_code for answer in answers) == [200, 409]
    won = next(a for a in answers if a.status_code == 200).json()["resolution"]["option"]
    lost = next(a for a in answers if a.status_code == 409).json()["error"]
    assert lost["code"] == "conflict"
    assert f"already resolved as “{won['label']}”" in lost["message"]
    question.refresh_from_db()
    assert question.resolved_option_id == won["id"]
    assert Score.objects.filter(question=question, user__isnull=True).count() == 1


def test_resolving_an_annulled_question_in_the_admin_names_the_outcome_that_stands(client):
    client.force_login(EditorFactory())
    question = QuestionFactory(options=["A", "B"])
    page = reverse("admin:forecasts_question_resolve", args=[question.pk])
    assert client.get(page).status_code == 200
    outcomes.annul(question, "Unclear wording.")  # another editor, meanwhile
    response = client.post(page, {"option": question.options.first().pk, "note": "A."})
    assert response.status_code == 200
    assert "already annulled" in response.content.decode()
    question.refresh_from_db()
    assert question.status == Question.Status.ANNULLED


def test_closing_a_question_someone_resolved_is_a_conflict_not_a_crash():
    question = QuestionFactory(options=["A", "B"])
    stale = Question.objects.get(pk=question.pk)
    outcomes.resolve(question, question.options.first(), "A.")
    with pytest.raises(Conflict, match="already resolved as “A”"):
        outcomes.close(stale)
    stale.refresh_from_db()
    assert stale.status == Question.Status.RESOLVED


# Creates that collide on a unique slug or label ---------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_questions_with_one_title_get_distinct_slugs():
    def create():
        return authoring.create_question(
            title="Will the crossing reopen?",
            options=["Yes", "No"],
            resolution_criteria="Official statements",
            closes_at=QuestionFactory.build().closes_at,
        ).slug

    slugs = at_once(create, create, create)
    assert all(isinstance(slug, str) for slug in slugs), slugs
    assert len(set(slugs)) == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_stories_with_one_slug_get_a_clean_4xx_never_a_500():
    editors = [api_client(EditorFactory()) for _ in range(3)]
    body = {"headline": "Crossing reopens", "slug": "crossing-reopens", "status": "draft"}
    answers = at_once(
        *(lambda c=c: c.post("/api/v1/stories/", body, format="json") for c in editors)
    )
    codes = sorted(answer.status_code for answer in answers)
    assert codes.count(201) == 1
    assert all(code in (400, 409) for code in codes if code != 201), codes
    assert Story.objects.filter(slug="crossing-reopens").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_edits_adding_one_label_leave_one_option_and_no_500():
    question = QuestionFactory(options=["A", "B"])
    a, b = question.options.all()
    options = [{"id": a.pk, "label": "A"}, {"id": b.pk, "label": "B"}, {"label": "Other"}]
    editors = [api_client(EditorFactory()) for _ in range(2)]
    url = f"/api/v1/questions/{question.slug}/"
    answers = at_once(
        *(lambda c=c: c.patch(url, {"options": options}, format="json") for c in editors)
    )
    assert all(answer.status_code in (200, 400, 409) for answer in answers), answers
    assert question.options.filter(label="Other").count() == 1


# Two editors on one change form -------------------------------------------------------------


def test_the_second_editor_to_save_a_story_is_told_who_changed_what_and_keeps_their_text(
    client,
):
    story = StoryFactory(headline="Soldiers cross at Al-Qaim", body="First draft.")
    url = reverse("admin:news_story_change", args=[story.pk])
    amira, basil = EditorFactory(username="amira"), EditorFactory(username="basil")
    client.force_login(basil)
    opened = client.get(url)
    snapshot = snapshot_of(opened)

    other = type(client)()
    other.force_login(amira)
    saved = other.post(url, live_story_form(story, headline="2,000 soldiers cross at Al-Qaim",
                                       edit_snapshot=snapshot_of(other.get(url))))  # fmt: skip
    assert saved.status_code == 302

    mine = live_story_form(story, body="Second draft, by Basil.", edit_snapshot=snapshot)
    refused = client.post(url, mine)
    assert refused.status_code == 200  # the form again, with the editor's own text in it
    page = refused.content.decode()
    assert "saved by someone else while you were editing" in page
    assert "amira" in page
    assert "headline" in page
    assert "2,000 soldiers cross at Al-Qaim" in page  # what theirs says now
    assert "Second draft, by Basil." in page
    story.refresh_from_db()
    assert story.headline == "2,000 soldiers cross at Al-Qaim"
    assert story.body == "First draft."

    # Saving the form as shown again is the editor's choice to replace their version.
    again = client.post(url, {**mine, "edit_snapshot": snapshot_of(refused)})
    assert again.status_code == 302
    story.refresh_from_db()
    assert story.body == "Second draft, by Basil."


def test_an_editor_who_saves_without_a_conflict_is_not_bothered(client):
    story = StoryFactory()
    url = reverse("admin:news_story_change", args=[story.pk])
    client.force_login(EditorFactory())
    form = live_story_form(story, summary="Updated.", edit_snapshot=snapshot_of(client.get(url)))
    assert client.post(url, form).status_code == 302
    assert Story.objects.get(pk=story.pk).summary == "Updated."


def test_a_question_whose_options_changed_meanwhile_is_a_conflict_in_the_admin(client):
    question = QuestionFactory(options=["A", "B"])
    url = reverse("admin:forecasts_question_change", args=[question.pk])
    client.force_login(EditorFactory())
    snapshot = snapshot_of(client.get(url))
    question.options.filter(label="B").update(label="Bee")  # someone renamed an option
    response = client.post(url, question_form(question, edit_snapshot=snapshot))
    assert response.status_code == 200
    assert "options" in response.content.decode()
    assert question.options.filter(label="Bee").exists()


def live_story_form(story, **changes):
    """The story's change form; the story is live, so these edits are updates."""
    return story_form(story, **{"change_kind": "update", **changes})


def question_form(question, **changes):
    options = list(question.options.all())
    data = {
        "title": question.title,
        "slug": question.slug,
        "kind": question.kind,
        "description": question.description,
        "resolution_criteria": question.resolution_criteria,
        "status": question.status,
        "opens_at_0": question.opens_at.strftime("%Y-%m-%d"),
        "opens_at_1": question.opens_at.strftime("%H:%M:%S"),
        "closes_at_0": question.closes_at.strftime("%Y-%m-%d"),
        "closes_at_1": question.closes_at.strftime("%H:%M:%S"),
        "options-TOTAL_FORMS": str(len(options)),
        "options-INITIAL_FORMS": str(len(options)),
        "options-MIN_NUM_FORMS": "0",
        "options-MAX_NUM_FORMS": "1000",
        "links-TOTAL_FORMS": "0",
        "links-INITIAL_FORMS": "0",
        "links-MIN_NUM_FORMS": "0",
        "links-MAX_NUM_FORMS": "1000",
    }
    for index, option in enumerate(options):
        data |= {
            f"options-{index}-id": str(option.pk),
            f"options-{index}-question": str(question.pk),
            f"options-{index}-position": str(option.position),
            f"options-{index}-label": option.label,
        }
    return {**data, **changes}


# If-Match on API writes ------------------------------------------------------------------


def test_an_api_write_with_the_version_it_read_succeeds_and_a_stale_one_is_412():
    editor = api_client(EditorFactory())
    question = QuestionFactory(title="Before?")
    url = f"/api/v1/questions/{question.slug}/"
    read = editor.get(url)
    version = read.json()["version"]

    fine = editor.patch(url, {"title": "After?"}, format="json", HTTP_IF_MATCH=f'"{version}"')
    assert fine.status_code == 200
    assert fine.json()["version"] != version

    stale = editor.patch(url, {"title": "Lost?"}, format="json", HTTP_IF_MATCH=f'"{version}"')
    assert stale.status_code == 412
    error = stale.json()["error"]
    assert error["code"] == "precondition_failed"
    assert fine.json()["version"] in error["message"]
    assert Question.objects.get(pk=question.pk).title == "After?"
    gone = editor.delete(url, HTTP_IF_MATCH=f'"{version}"')
    assert gone.status_code == 412
    assert Question.objects.filter(pk=question.pk).exists()


def test_the_etag_of_a_read_is_a_valid_if_match_while_nothing_changed():
    editor = api_client(EditorFactory())
    story = StoryFactory()
    url = f"/api/v1/stories/{story.slug}/"
    etag = editor.get(url)["ETag"]
    assert (
        editor.patch(url, {"summary": "New."}, format="json", HTTP_IF_MATCH=etag).status_code
        == 200
    )
    again = editor.patch(url, {"summary": "Newer."}, format="json", HTTP_IF_MATCH=etag)
    assert again.status_code == 412
    assert Story.objects.get(pk=story.pk).summary == "New."


def test_readers_forecasting_do_not_make_an_editors_version_stale():
    editor = api_client(EditorFactory())
    question = QuestionFactory(options=["A", "B"])
    url = f"/api/v1/questions/{question.slug}/"
    version = editor.get(url).json()["version"]
    a, b = question.options.all()
    forecasting.record_forecast(UserFactory(), question.pk, {a.pk: 0.7, b.pk: 0.3})
    answer = editor.patch(url, {"title": "Reworded?"}, format="json", HTTP_IF_MATCH=f'"{version}"')
    assert answer.status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_writers_holding_one_version_cannot_both_win():
    question = QuestionFactory(title="Before?")
    url = f"/api/v1/questions/{question.slug}/"
    editors = [api_client(EditorFactory()) for _ in range(2)]
    version = editors[0].get(url).json()["version"]

    def write(client, title):
        return lambda: client.patch(
            url, {"title": title}, format="json", HTTP_IF_MATCH=f'"{version}"'
        )

    answers = at_once(write(editors[0], "First?"), write(editors[1], "Second?"))
    assert sorted(answer.status_code for answer in answers) == [200, 412]
    winner = next(a for a in answers if a.status_code == 200).json()["title"]
    assert Question.objects.get(pk=question.pk).title == winner
