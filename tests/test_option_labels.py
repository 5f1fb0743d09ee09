"""Option labels are normalised and capped the same way wherever they come in: the model
rule, the admin's inline, the API (create and update), the importer and `load_demo`."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from config.text import visible_text
from forecasts.authoring import parse_question_block
from forecasts.models import MAX_OPTIONS, Option, Question, normalise_label
from news.demo import DEMO_PATH
from news.models import Story
from tests.client_helpers import api_client, errors_of, inline, split_datetime
from tests.factories import EditorFactory, QuestionFactory, StoryFactory

pytestmark = pytest.mark.django_db

ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Seeking   asylum ", "Seeking asylum"),
        ("Seeking\u200basylum", "Seekingasylum"),
        ("Seeking\u00a0asylum\tnow", "Seeking asylum now"),
        ("\ufeffYes", "Yes"),
        ("Y\u200ce\u200ds\u2060", "Yes"),
        ("Cafe\u0301", "Café"),  # e + combining accent is the composed é (NFC)
        ("\u202eevil\u202c", "evil"),  # bidirectional overrides
        ("a\x00b\x07c", "abc"),
        ("\u200b \u200b", ""),
    ],
)
def test_labels_are_normalised_before_anything_compares_them(typed, stored):
    assert normalise_label(typed) == stored == visible_text(typed)


@pytest.mark.parametrize("invisible", ZERO_WIDTH)
def test_labels_that_look_the_same_are_one_label(invisible):
    with pytest.raises(ValidationError) as error:
        Question.check_option_labels("multiple_choice", ["Yes", f"Ye{invisible}s", "Maybe"])
    assert any("is the same option as" in message for message in error.value.messages)


def test_composed_and_decomposed_accents_are_one_label():
    with pytest.raises(ValidationError):
        Question.check_option_labels("multiple_choice", ["Café", "Cafe\u0301"])


def test_a_label_empty_after_normalising_is_refused_with_a_clear_message():
    with pytest.raises(ValidationError) as error:
        Question.check_option_labels("multiple_choice", ["A", "\u200b\ufeff ", "B"])
    assert error.value.messages == [
        "Option 2 needs a label readers can see (spaces and invisible characters do not count)."
    ]


def test_check_option_labels_returns_the_labels_to_store():
    cleaned = Question.check_option_labels("binary", ["\ufeffYes ", "No\u200b"])
    assert cleaned == ["Yes", "No"]


def test_more_options_than_the_cap_are_refused():
    labels = [f"Option {n}" for n in range(MAX_OPTIONS)]
    Question.check_option_labels("multiple_choice", labels)
    with pytest.raises(ValidationError) as error:
        Question.check_option_labels("multiple_choice", [*labels, "One too many"])
    assert error.value.messages == [f"A question has at most {MAX_OPTIONS} options."]


# The API ------------------------------------------------------------------------------


def question_body(options, **fields):
    return {
        "title": "Will Iraq hand the equipment back by June 30?",
        "resolution_criteria": "Official statements",
        "kind": "multiple_choice",
        "closes_at": (timezone.now() + timedelta(days=30)).isoformat(),
        "options": [{"label": label} for label in options],
        **fields,
    }


def test_the_api_stores_normalised_labels_and_titles():
    editor = api_client(EditorFactory())
    body = question_body(["  All\u200b of  it", "Some of it\ufeff"], title="Will\u200b Iraq  act?")
    response = editor.post("/api/v1/questions/", body, format="json")
    assert response.status_code == 201, response.content
    question = Question.objects.get()
    assert question.title == "Will Iraq act?"
    assert [o.label for o in question.options.all()] == ["All of it", "Some of it"]


@pytest.mark.parametrize(
    "options",
    [["Yes", "Ye\u200bs", "Maybe"], ["A", "\u200b"], [f"O{n}" for n in range(MAX_OPTIONS + 1)]],
    ids=["invisible duplicate", "invisible only", "over the cap"],
)
def test_the_api_refuses_bad_option_sets_and_writes_nothing(options):
    editor = api_client(EditorFactory())
    response = editor.post("/api/v1/questions/", question_body(options), format="json")
    assert response.status_code == 400, response.content
    assert not Question.objects.exists()
    assert not Option.objects.exists()


def test_replacing_options_through_the_api_normalises_and_checks_them():
    question = QuestionFactory(options=["A", "B"])
    a, b = question.options.all()
    editor = api_client(EditorFactory())
    url = f"/api/v1/questions/{question.slug}/"
    renamed = [{"id": a.pk, "label": "\ufeffAlpha "}, {"id": b.pk, "label": "B"}, {"label": "C"}]
    response = editor.patch(url, {"options": renamed}, format="json")
    assert response.status_code == 200, response.content
    assert [o.label for o in question.options.all()] == ["Alpha", "B", "C"]
    twins = [{"id": a.pk, "label": "Alpha"}, {"id": b.pk, "label": "Al\u200dpha"}]
    assert editor.patch(url, {"options": twins}, format="json").status_code == 400
    assert [o.label for o in question.options.all()] == ["Alpha", "B", "C"]


def test_the_schema_declares_the_option_cap(client):
    schemas = client.get("/api/schema/?format=json").json()["components"]["schemas"]
    for name in ("QuestionRequest", "PatchedQuestionRequest"):
        assert schemas[name]["properties"]["options"]["maxItems"] == MAX_OPTIONS
        assert schemas[name]["properties"]["options"]["minItems"] == 2


# The admin -----------------------------------------------------------------------------


def admin_question(options):
    now = timezone.now()
    return {
        "title": "Predominant reason cited by Syrian soldiers?",
        "slug": "reason",
        "kind": "multiple_choice",
        "resolution_criteria": "Reports",
        "status": "published",
        **split_datetime("opens_at", now - timedelta(hours=1)),
        **split_datetime("closes_at", now + timedelta(days=30)),
        **inline("options", [{"position": str(i), "label": x} for i, x in enumerate(options)]),
        **inline("links", []),
    }


def test_the_admin_stores_normalised_labels(client, editor):
    response = client.post(
        reverse("admin:forecasts_question_add"), admin_question(["Fear\u200b of  militia", "B"])
    )
    assert response.status_code == 302, errors_of(response)
    assert [o.label for o in Option.objects.order_by("position")] == ["Fear of militia", "B"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["Yes", "Ye\u200bs", "Maybe"], "is the same option as"),
        (["A", "\u2060\ufeff", "B"], "readers can see"),
        ([f"O{n}" for n in range(MAX_OPTIONS + 1)], f"at most {MAX_OPTIONS} options"),
    ],
    ids=["invisible duplicate", "invisible only", "over the cap"],
)
def test_the_admin_refuses_bad_option_sets(client, editor, options, message):
    response = client.post(reverse("admin:forecasts_question_add"), admin_question(options))
    assert response.status_code == 200
    assert message in errors_of(response)
    assert not Question.objects.exists()


def test_the_admin_offers_no_more_option_rows_than_the_cap(client, editor):
    question = QuestionFactory()
    response = client.get(reverse("admin:forecasts_question_change", args=[question.pk]))
    assert response.context["inline_admin_formsets"][0].formset.max_num == MAX_OPTIONS


# The importer and the demo loader -------------------------------------------------------


def test_the_importer_normalises_and_refuses_invisible_duplicates():
    block = parse_question_block("Title?\n\ufeffA  b • 50%\nC • 50%\nSource")
    assert block.options == ["A b", "C"]
    with pytest.raises(ValidationError) as error:
        parse_question_block("Title?\nYes • 50%\nYe\u200bs • 50%\nSource")
    assert "repeats the option on line 2" in " ".join(error.value.messages)
    with pytest.raises(ValidationError) as error:
        parse_question_block("Title?\nA • 50%\n\u200b • 50%\nB • 0%\nSource")
    assert "Line 3: the option has no label readers can see." in error.value.messages


def test_the_importer_stops_at_the_cap():
    lines = "\n".join(f"Option {n} • 1%" for n in range(MAX_OPTIONS + 1))
    with pytest.raises(ValidationError) as error:
        parse_question_block(f"Title?\n{lines}\nSource")
    assert f"A question has at most {MAX_OPTIONS} options." in error.value.messages


def demo_with(tmp_path, change):
    data = json.loads(DEMO_PATH.read_text())
    change(data)
    path = tmp_path / "newsroom.json"
    path.write_text(json.dumps(data))
    return path


def test_load_demo_stores_normalised_labels(tmp_path):
    def pad(data):
        data["questions"][0]["options"][0] = "\ufeff Fear  of militia takeover\u200b"
        data["stories"][0]["headline"] = "Syrian\u200b soldiers  cross"

    call_command("load_demo", str(demo_with(tmp_path, pad)), stdout=None)
    question = Question.objects.get(slug="syrian-soldiers-reason-for-crossing")
    assert question.options.first().label == "Fear of militia takeover"
    assert Story.objects.filter(headline="Syrian soldiers cross").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["Yes", "Ye\u200bs", "Maybe"], "is the same option as"),
        ([f"O{n}" for n in range(MAX_OPTIONS + 1)], f"at most {MAX_OPTIONS} options"),
    ],
    ids=["invisible duplicate", "over the cap"],
)
def test_load_demo_refuses_bad_option_sets(tmp_path, options, message):
    def replace(data):
        data["questions"][0]["options"] = options
        data["questions"][0].pop("resolution", None)

    with pytest.raises(CommandError, match=message):
        call_command("load_demo", str(demo_with(tmp_path, replace)))
    assert not Question.objects.exists()


def test_headlines_made_of_invisible_characters_are_refused():
    story = StoryFactory.build(headline="\u200b\u200b")
    with pytest.raises(ValidationError) as error:
        story.full_clean()
    assert error.value.message_dict["headline"] == ["Give the story a headline readers can see."]
