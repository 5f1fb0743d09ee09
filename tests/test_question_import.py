"""Editors paste a question block in the captured format to create it in one step."""

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from forecasts.authoring import parse_question_block, proposed_close
from forecasts.models import Option, Question
from tests.client_helpers import split_datetime
from tests.factories import StoryFactory, StoryQuestionFactory

CAPTURED = """Predominant reason cited by Syrian soldiers for crossing into Iraq by June 30, 2025?
Fear of militia takeover • 25%
Lack of supplies • 25%
Orders from superiors • 25%
Seeking asylum • 25%
Reports from interviews or official statements
"""

IMPORT = reverse("admin:forecasts_question_import")


def test_the_captured_block_parses():
    block = parse_question_block(CAPTURED)
    assert block.title.startswith("Predominant reason cited by Syrian soldiers")
    assert block.options == [
        "Fear of militia takeover", "Lack of supplies", "Orders from superiors", "Seeking asylum",
    ]  # fmt: skip
    assert block.resolution_criteria == "Reports from interviews or official statements"
    assert block.kind == Question.Kind.MULTIPLE_CHOICE


def test_yes_no_blocks_are_binary_and_blank_lines_are_ignored():
    block = parse_question_block(
        "\nWill Iraq close Al-Qaim?\n\nNo • 50%\nYes • 50%\n\nOfficials\n"
    )
    assert block.kind == Question.Kind.BINARY
    assert block.options == ["No", "Yes"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (CAPTURED.replace("Lack of supplies • 25%", "Lack of supplies 25"),
         "Line 3: “Lack of supplies 25” is not an option line like “Seeking asylum • 25%”."),
        (CAPTURED.replace("Seeking asylum", "Fear of Militia Takeover"),
         "Line 5: “Fear of Militia Takeover” repeats the option on line 2 (case is ignored)."),
        (CAPTURED.replace("Reports from interviews or official statements", "Other • 10%"),
         "Line 6: the last line is the resolution source"),
        ("Fear • 25%\nA • 25%\nB • 25%\nSource", "Line 1: the first line is the question's title"),
        ("Title?\nOnly • 100%\nSource\n\n", "Paste a title line, at least two option lines"),
        ("Title?\nOnly • 50%\nOther • 50%\nMaybe • 0%\nSource", None),
    ],
)  # fmt: skip
def test_bad_lines_are_reported_by_number(text, message):
    if message is None:
        parse_question_block(text)  # three options are fine
        return
    with pytest.raises(ValidationError) as error:
        parse_question_block(text)
    assert any(message in m for m in error.value.messages), error.value.messages


def test_every_bad_line_is_reported_at_once():
    text = CAPTURED.replace("Lack of supplies • 25%", "Lack of supplies").replace(
        "Orders from superiors • 25%", "Orders • lots"
    )
    with pytest.raises(ValidationError) as error:
        parse_question_block(text)
    assert [m[:7] for m in error.value.messages] == ["Line 3:", "Line 4:"]


def import_post(text=CAPTURED, **fields):
    closes_at = fields.pop("closes_at", timezone.now() + timedelta(days=200))
    return {
        "text": text,
        **split_datetime("closes_at", closes_at),
        "opens_at_0": "",
        "opens_at_1": "",
        **fields,
    }


def test_editor_imports_a_pasted_block_linked_to_a_story(client, editor):
    story = StoryFactory()
    StoryQuestionFactory(story=story)
    response = client.post(IMPORT, import_post(publish="on", story=story.pk))
    question = Question.objects.get(title__startswith="Predominant reason")
    assert response.status_code == 302
    assert response.url == reverse("admin:forecasts_question_change", args=[question.pk])
    assert (
        question.slug
        == "predominant-reason-cited-by-syrian-soldiers-for-crossing-into-iraq-by-june-30-2025"
    )
    assert [o.label for o in question.options.all()] == [
        "Fear of militia takeover", "Lack of supplies", "Orders from superiors", "Seeking asylum",
    ]  # fmt: skip
    assert question.is_open
    assert [link.question for link in story.links.all()][-1] == question
    assert [p for _, _, p in question.community_forecast()] == [25, 25, 25, 25]


def test_imported_questions_are_drafts_unless_published(client, editor):
    client.post(IMPORT, import_post())
    assert Question.objects.get().status == Question.Status.DRAFT


def test_a_bad_block_is_reported_by_line_and_creates_nothing(client, editor):
    text = CAPTURED.replace("Lack of supplies • 25%", "Lack of supplies")
    response = client.post(IMPORT, import_post(text=text))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was created" in page
    assert "Line 3: “Lack of supplies” is not an option line" in page
    assert not Question.objects.exists()
    assert not Option.objects.exists()


def test_a_close_time_in_the_past_is_refused(client, editor):
    response = client.post(IMPORT, import_post(closes_at=timezone.now() - timedelta(days=1)))
    assert response.status_code == 200
    assert response.context["form"].errors["closes_at"] == [
        "The close time must be after the open time."
    ]
    assert not Question.objects.exists()


def test_importing_the_same_title_twice_gets_a_distinct_slug(client, editor):
    client.post(IMPORT, import_post())
    client.post(IMPORT, import_post())
    slugs = sorted(Question.objects.values_list("slug", flat=True))
    assert slugs[1] == slugs[0] + "-2"


@pytest.mark.parametrize("story", ["abc", str(2**70), "-1"])
def test_a_garbled_story_id_is_a_form_error_not_a_crash(client, editor, story):
    response = client.post(IMPORT, import_post(story=story))
    assert response.status_code == 200
    assert "story" in response.context["form"].errors
    assert not Question.objects.exists()


def test_a_resolution_source_label_is_not_stored():
    for label in ("Resolution source:", "resolution criteria –", "Source:"):
        text = CAPTURED.replace("Reports from interviews", f"{label} Reports from interviews")
        block = parse_question_block(text)
        assert block.resolution_criteria == "Reports from interviews or official statements"
    with pytest.raises(ValidationError, match="the resolution source is empty"):
        parse_question_block(CAPTURED.replace("Reports from interviews or official statements",
                                              "Resolution source:"))  # fmt: skip


@pytest.mark.parametrize(
    ("title", "day"),
    [
        ("Predominant reason … by June 30, 2027?", date(2027, 6, 30)),
        ("Will Iraq reopen Al-Qaim by 30 June 2027?", date(2027, 6, 30)),
        ("Will troops leave by Sept. 3rd, 2027?", date(2027, 9, 3)),
        ("Will the crossing reopen by March 2027?", date(2027, 3, 31)),
        ("Will Assad return by the end of 2027?", date(2027, 12, 31)),
        ("Deadline 2027-01-05?", date(2027, 1, 5)),
        ("Between June 30, 2027 and July 4, 2027?", date(2027, 7, 4)),
        ("Will 2,000 soldiers stay?", None),
        ("By February 30, 2027?", None),
    ],
)
def test_a_date_in_the_title_proposes_the_end_of_that_day(title, day, settings):
    settings.TIME_ZONE = "Asia/Baghdad"
    proposed = proposed_close(title)
    if day is None:
        assert proposed is None
        return
    local = timezone.localtime(proposed, ZoneInfo("Asia/Baghdad"))
    assert (local.date(), local.time()) == (day, time(23, 59, 59))


def test_the_editor_sees_the_proposed_close_time_before_anything_is_created(client, editor):
    text = CAPTURED.replace("June 30, 2025", "June 30, 2027")
    response = client.post(IMPORT, {"text": text, "closes_at_0": "", "closes_at_1": ""})
    assert response.status_code == 200
    assert not Question.objects.exists()
    page = response.content.decode()
    assert "The title proposes a close time" in page
    assert "Wed 30 Jun 2027, 23:59" in page
    form = response.context["form"]
    assert form["closes_at"].value() in (["2027-06-30", "23:59:59"], ("2027-06-30", "23:59:59"))
    # The editor changes it, or keeps it, and creates the question.
    data = {**form.data.dict(), "closes_at_1": "18:00:00"}
    response = client.post(IMPORT, data)
    assert response.status_code == 302
    question = Question.objects.get()
    assert timezone.localtime(question.closes_at).isoformat() == "2027-06-30T18:00:00+00:00"
    assert question.resolution_criteria == "Reports from interviews or official statements"


def test_no_date_and_no_close_time_asks_for_one(client, editor):
    text = CAPTURED.replace(" by June 30, 2025", "")
    response = client.post(IMPORT, {"text": text, "closes_at_0": "", "closes_at_1": ""})
    assert response.context["form"].errors["closes_at"] == [
        "Give a close time: the title names no date to take it from."
    ]
    assert not Question.objects.exists()


def test_a_proposal_in_the_past_says_so(client, editor):
    response = client.post(IMPORT, {"text": CAPTURED, "closes_at_0": "", "closes_at_1": ""})
    assert "that date has passed" in response.content.decode()
    assert not Question.objects.exists()
