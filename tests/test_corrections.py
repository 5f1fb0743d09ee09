"""Corrections: changing a live story's headline or body says whether it is a correction
(a dated public note) or an update (nothing public); readers see corrections on the page,
and feeds, JSON-LD and the API carry them."""

import json
import re
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from reversion.models import Version

from news.models import Correction, Story
from tests.client_helpers import api_client, errors_of, story_form, text_of
from tests.factories import EditorFactory, StoryFactory

pytestmark = pytest.mark.django_db

DEC_9 = datetime(2024, 12, 9, 15, 30, tzinfo=UTC)


def reading(text):
    """text_of() leaves a space where a tag ended: "9 Dec 2024 :" reads "9 Dec 2024:"."""
    return text.replace(" :", ":")


def change_url(story):
    return reverse("admin:news_story_change", args=[story.pk])


def test_a_live_story_asks_whether_a_change_is_a_correction(client, editor):
    story = StoryFactory(body="About 2,000 soldiers crossed.")
    page = client.get(change_url(story)).content.decode()
    assert "Correction or update" in page
    response = client.post(change_url(story), story_form(story, body="1,905 soldiers crossed."))
    assert response.status_code == 200
    assert "Readers have seen this story" in errors_of(response)
    response = client.post(
        change_url(story),
        story_form(story, body="1,905 soldiers crossed.", change_kind="correction"),
    )
    assert "A correction needs its note" in errors_of(response)
    story.refresh_from_db()
    assert story.body == "About 2,000 soldiers crossed."
    assert not Correction.objects.exists()


def test_a_correction_is_recorded_with_who_and_shown_to_readers(client, editor):
    story = StoryFactory(body="About 2,000 soldiers crossed.")
    response = client.post(
        change_url(story),
        story_form(
            story,
            body="1,905 soldiers crossed.",
            change_kind="correction",
            correction_note="An earlier version gave the number as 2,000.",
        ),
    )
    assert response.status_code == 302, errors_of(response)
    correction = Correction.objects.get()
    assert (correction.story, correction.author) == (story, editor)
    comment = Version.objects.get_for_object(story).get().revision.comment
    assert comment == "Correction: An earlier version gave the number as 2,000. · Changed Body."
    page = text_of(client.get(story.get_absolute_url()))
    assert "1,905 soldiers crossed." in page
    when = correction.created_at.strftime("%-d %b %Y")
    assert f"Correction, {when}: An earlier version gave the number as 2,000." in reading(page)
    # The admin lists the story's corrections, read-only.
    assert "An earlier version gave the number" in client.get(change_url(story)).content.decode()


def test_an_update_or_typo_fix_adds_nothing_public(client, editor):
    story = StoryFactory(headline="Soldiers corss at Al-Qaim")
    response = client.post(
        change_url(story),
        story_form(story, headline="Soldiers cross at Al-Qaim", change_kind="update"),
    )
    assert response.status_code == 302, errors_of(response)
    assert not Correction.objects.exists()
    assert "Correction" not in text_of(client.get(story.get_absolute_url()))
    comment = Version.objects.get_for_object(story).get().revision.comment
    assert comment == "Update (no correction) · Changed Headline."


def test_drafts_and_scheduled_stories_change_freely(client, editor):
    for story in (StoryFactory(draft=True), StoryFactory(scheduled=True)):
        assert "Correction or update" not in client.get(change_url(story)).content.decode()
        response = client.post(change_url(story), story_form(story, body="Rewritten."))
        assert response.status_code == 302, errors_of(response)
    assert not Correction.objects.exists()


def corrected_story(**fields):
    story = StoryFactory(**fields)
    story.add_correction("An earlier version gave the number as 2,000.", now=DEC_9)
    story.add_correction("The crossing is at Al-Qaim, not Al-Bukamal.", now=DEC_9.replace(day=10))
    return story


def test_the_page_lists_corrections_oldest_first_at_a_fixed_query_count(
    client, django_assert_num_queries
):
    story = corrected_story()
    with django_assert_num_queries(4):  # story, its topics, corrections and question links
        response = client.get(story.get_absolute_url())
    page = reading(text_of(response))
    first = "Correction, 9 Dec 2024: An earlier version gave the number as 2,000."
    second = "Correction, 10 Dec 2024: The crossing is at Al-Qaim, not Al-Bukamal."
    assert first in page
    assert page.index(first) < page.index(second)
    assert page.index("View original story") < page.index(first)  # at the foot


def test_json_ld_carries_each_correction_as_a_correction_comment(client):
    story = corrected_story()
    html = client.get(story.get_absolute_url()).content.decode()
    data = json.loads(re.search(r'<script[^>]*ld\+json">(.*?)</script>', html, re.S)[1])
    assert data["correction"] == [
        {
            "@type": "CorrectionComment",
            "text": "An earlier version gave the number as 2,000.",
            "datePublished": "2024-12-09T15:30:00+00:00",
        },
        {
            "@type": "CorrectionComment",
            "text": "The crossing is at Al-Qaim, not Al-Bukamal.",
            "datePublished": "2024-12-10T15:30:00+00:00",
        },
    ]
    uncorrected = StoryFactory()
    html = client.get(uncorrected.get_absolute_url()).content.decode()
    assert '"correction"' not in html


@pytest.mark.parametrize("url", ["/feeds/stories/", "/feeds/stories/atom/"])
def test_feeds_carry_corrections(client, url):
    corrected_story(summary="Soldiers crossed into Iraq.")
    StoryFactory(summary="Nothing to correct.")
    feed = ElementTree.fromstring(client.get(url).content)
    texts = [element.text or "" for element in feed.iter() if element.tag.split("}")[-1] in
             ("description", "summary")]  # fmt: skip
    corrected = next(text for text in texts if text.startswith("Soldiers crossed"))
    assert "Correction, 9 Dec 2024: An earlier version gave the number as 2,000." in corrected
    assert "Correction, 10 Dec 2024" in corrected
    assert not any("Correction" in text for text in texts if text.startswith("Nothing"))


def test_the_api_carries_corrections_and_asks_as_the_admin_does():
    story = corrected_story(slug="crossing", body="About 2,000 soldiers crossed.")
    editor = api_client(EditorFactory())
    data = api_client().get("/api/v1/stories/crossing/").json()
    assert [c["note"] for c in data["corrections"]] == [
        "An earlier version gave the number as 2,000.",
        "The crossing is at Al-Qaim, not Al-Bukamal.",
    ]
    assert data["corrections"][0]["created_at"] == "2024-12-09T15:30:00Z"
    url = "/api/v1/stories/crossing/"
    silent = editor.patch(url, {"body": "1,905 soldiers crossed."}, format="json")
    assert silent.status_code == 400
    assert "change_kind" in silent.json()["error"]["fields"]
    response = editor.patch(
        url,
        {"body": "1,905 soldiers crossed.", "change_kind": "correction",
         "correction_note": "The count is 1,905."},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["corrections"][-1]["note"] == "The count is 1,905."
    response = editor.patch(
        url, {"headline": "1,905 soldiers cross", "change_kind": "update"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert story.corrections.count() == 3
    assert editor.patch(url, {"summary": "No need to ask."}, format="json").status_code == 200


def test_only_a_live_story_takes_a_correction():
    StoryFactory(slug="draft", draft=True)
    editor = api_client(EditorFactory())
    response = editor.patch(
        "/api/v1/stories/draft/",
        {"body": "x", "change_kind": "correction", "correction_note": "y"},
        format="json",
    )
    assert response.status_code == 400
    assert "Only a live story takes a correction" in str(response.json()["error"]["fields"])
    assert not Correction.objects.exists()
    assert Story.objects.get(slug="draft").body != "x"
