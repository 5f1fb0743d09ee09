"""Hostile input is a 4xx with a clear message, never a 500 and never a half-written record:
times the database cannot hold, NUL bytes, bodies over the size limits."""

import base64
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config.times import storable_time
from forecasts.models import Question
from news.demo import DEMO_PATH
from news.models import Story
from tests.client_helpers import api_client, text_of
from tests.factories import (
    EditorFactory,
    ForecastFactory,
    QuestionFactory,
    StoryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# Times Python parses and PostgreSQL either refuses or stores as something Python cannot
# read back (year 0, year 10000).
UNSTORABLE_TIMES = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59Z",
    "1899-12-31T23:59:59Z",
]
# Python takes offsets up to ±23:59; PostgreSQL refuses beyond ±15:59.
WIDE_OFFSET = "2030-01-01T00:00:00+20:00"


@pytest.mark.parametrize("text", UNSTORABLE_TIMES)
def test_the_time_rule_refuses_what_the_database_cannot_hold(text):
    with pytest.raises(ValidationError) as error:
        storable_time(datetime.fromisoformat(text))
    assert error.value.messages == ["Give a time between 1900 and 9999."]


def test_the_time_rule_hands_times_on_in_utc():
    moment = storable_time(datetime.fromisoformat(WIDE_OFFSET))
    assert moment == datetime(2029, 12, 31, 4, tzinfo=UTC)
    assert moment.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", [*UNSTORABLE_TIMES, WIDE_OFFSET])
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/questions/?closes_after=",
        "/api/v1/questions/?closes_before=",
        "/api/v1/stories/?published_after=",
        "/api/v1/stories/?published_before=",
        "/api/v1/questions/q/history/?since=",
    ],
)
def test_time_filters_answer_400_or_200_never_500(url, text):
    QuestionFactory(slug="q")
    response = api_client().get(url + quote(text))
    expected = 200 if text == WIDE_OFFSET else 400
    assert response.status_code == expected, response.content
    if expected == 400:
        assert "between 1900 and 9999" in json.dumps(response.json())


@pytest.mark.parametrize("resource", ["questions", "stories", "forecasts"])
def test_a_hand_edited_cursor_with_an_unstorable_time_is_a_400(resource):
    reader = UserFactory()
    ForecastFactory(user=reader)
    StoryFactory()
    for position, status in [(WIDE_OFFSET, 200), ("9999-12-31T23:59:59-14:00", 400)]:
        cursor = base64.b64encode(urlencode({"p": position}).encode()).decode()
        response = api_client(reader).get(f"/api/v1/{resource}/?cursor={quote(cursor)}")
        assert response.status_code == status, response.content
    assert response.json()["error"]["fields"] == {"cursor": ["This cursor is not valid."]}


def question_body(**fields):
    return {
        "title": "Will the crossing reopen?",
        "resolution_criteria": "Border authority statements",
        "closes_at": "2030-01-01T00:00:00Z",
        "options": [{"label": "Yes"}, {"label": "No"}],
        **fields,
    }


def story_body(**fields):
    return {"headline": "Crossing reopens", "slug": "crossing", "status": "published", **fields}


@pytest.mark.parametrize("text", UNSTORABLE_TIMES)
@pytest.mark.parametrize(
    ("resource", "body"),
    [
        ("questions", lambda t: question_body(opens_at=t)),
        ("questions", lambda t: question_body(closes_at=t)),
        ("stories", lambda t: story_body(published_at=t)),
    ],
)
def test_unstorable_times_in_bodies_are_a_400_and_write_nothing(resource, body, text):
    response = api_client(EditorFactory()).post(f"/api/v1/{resource}/", body(text), format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()["error"]["fields"]) & {"opens_at", "closes_at", "published_at"}
    assert not Question.objects.exists()
    assert not Story.objects.exists()


def test_a_wide_offset_in_a_body_is_stored_as_the_same_moment():
    editor = api_client(EditorFactory())
    response = editor.post("/api/v1/questions/", question_body(closes_at=WIDE_OFFSET), "json")
    assert response.status_code == 201, response.content
    assert Question.objects.get().closes_at == datetime(2029, 12, 31, 4, tzinfo=UTC)


def test_the_model_refuses_unstorable_times_whoever_saves():
    question = QuestionFactory.build(opens_at=datetime.fromisoformat(UNSTORABLE_TIMES[0]))
    with pytest.raises(ValidationError) as error:
        question.full_clean()
    assert error.value.message_dict["opens_at"] == ["Give a time between 1900 and 9999."]
    story = StoryFactory.build(published_at=datetime(1800, 1, 1, tzinfo=UTC))
    with pytest.raises(ValidationError) as error:
        story.full_clean()
    assert error.value.message_dict["published_at"] == ["Give a time between 1900 and 9999."]


def demo_file(tmp_path, change):
    data = json.loads(DEMO_PATH.read_text())
    change(data)
    path = tmp_path / "newsroom.json"
    path.write_text(json.dumps(data))
    return str(path)


def test_load_demo_refuses_unstorable_times_and_stores_wide_offsets_in_utc(tmp_path):
    def year_zero(data):
        data["questions"][0]["opens_at"] = UNSTORABLE_TIMES[0]

    with pytest.raises(CommandError, match="opens_at: Give a time between 1900 and 9999"):
        call_command("load_demo", demo_file(tmp_path, year_zero))
    assert not Question.objects.exists()

    def wide(data):
        data["questions"][0]["closes_at"] = WIDE_OFFSET

    call_command("load_demo", demo_file(tmp_path, wide), stdout=None)
    question = Question.objects.get(slug=json.loads(DEMO_PATH.read_text())["questions"][0]["slug"])
    assert question.closes_at == datetime(2029, 12, 31, 4, tzinfo=UTC)
    assert timezone.is_aware(question.closes_at)


# Bodies over the size limits ---------------------------------------------------------


def test_a_paste_over_the_size_limit_gets_a_page_that_explains_the_limit(client, editor, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    long_label = "Fear of militia takeover after the collapse of the lines near Al-Qaim " * 2
    options = "\n".join(f"{long_label}{n} • 14%" for n in range(7))
    form = {
        "text": f"Why did the soldiers cross?\n{options}\nReports from interviews",
        "closes_at_0": "2030-01-01",
        "closes_at_1": "00:00:00",
    }
    response = client.post(
        reverse("admin:forecasts_question_import"),
        urlencode(form),  # as a browser sends it
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    page = text_of(response)
    assert "larger than this site accepts in one request: at most 1.0 KB" in page
    assert not Question.objects.exists()


def test_too_many_fields_get_a_page_that_explains_the_limit(client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    response = client.post(reverse("login"), {f"field{n}": "x" for n in range(11)})
    assert response.status_code == 400
    assert "more fields than this site accepts in one request: at most 10" in text_of(response)


def test_an_api_body_over_the_size_limit_is_a_400_in_the_error_shape(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    body = question_body(description="x" * 3000)
    response = api_client(EditorFactory()).post("/api/v1/questions/", body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "too_large"
    assert "at most 2.0 KB." in error["message"]
    assert not Question.objects.exists()


# NUL characters --------------------------------------------------------------------------


def api_list_text_parameters():
    """(list path, parameter) for every string query parameter the schema documents on
    the API's list endpoints."""
    paths = Client().get("/api/schema/?format=json").json()["paths"]
    return [
        (path, parameter["name"])
        for path, operations in paths.items()
        if "{" not in path and "get" in operations
        for parameter in operations["get"].get("parameters", [])
        if parameter["in"] == "query" and parameter["schema"].get("type") == "string"
    ]


def test_every_text_filter_of_every_api_list_refuses_nul(db):
    parameters = api_list_text_parameters()
    assert ("/api/v1/questions/", "q") in parameters
    assert ("/api/v1/stories/", "published_after") in parameters
    reader = api_client(UserFactory())
    for path, name in parameters:
        for value in ["%00", "a%00b", "syria%00"]:
            response = reader.get(f"{path}?{name}={value}")
            assert response.status_code == 400, (path, name, response.content)
            assert response.json()["error"]["code"] == "nul_character"


READER_ADDRESSES = [
    "/?q=%00",
    "/search/?q=%00",
    "/search/?q=a%00b",
    "/questions/?topic=%00",
    "/questions/?state=%00",
    "/questions/?page=%00",
    "/topics/syria/?page=%00",
    "/questions/q/?embed=%00",
    "/feeds/stories/?%00=1",
    "/accounts/login/?next=%00",
    "/accounts/signup/?next=%00",
    "/stories/%00/",
    "/questions/%00/",
    "/questions/%00/embed/",
    "/topics/%00/",
    "/%00",
    "/api/v1/stories/%00/",
    "/api/v1/questions/%00/",
    "/api/v1/topics/%00/",
    "/api/v1/questions/%00/history/",
    "/api/v1/questions/q/history/?since=%00",
    "/api/v1/questions/q/history/?interval=%00",
    "/admin/forecasts/question/?status=%00",
    "/admin/forecasts/question/?q=%00",
    "/admin/news/story/?q=%00",
]


@pytest.mark.parametrize("address", READER_ADDRESSES)
@pytest.mark.parametrize("who", ["anonymous", "editor"])
def test_nul_in_an_address_is_a_400_that_says_so(client, address, who):
    QuestionFactory(slug="q")
    if who == "editor":
        client.force_login(EditorFactory())
    response = client.get(address)
    assert response.status_code == 400
    if address.startswith("/api/"):
        assert response.json()["error"]["code"] == "nul_character"
    else:
        assert "NUL character (%00)" in text_of(response)


@pytest.mark.parametrize(
    ("resource", "body", "field"),
    [
        ("questions", question_body(title="a\x00b"), "title"),
        ("questions", question_body(slug="a\x00b"), "slug"),
        (
            "questions",
            question_body(options=[{"label": "A\x00"}, {"label": "B"}]),
            "options[0].label",
        ),
        (
            "questions",
            question_body(options=[{"label": "A\ud800"}, {"label": "B"}]),
            "options[0].label",
        ),
        ("stories", story_body(topics=["syria\x00"]), "topics[0]"),
        ("stories", story_body(topics=["\udfff"]), "topics[0]"),
        ("stories", story_body(question_slugs=["q\x00"]), "question_slugs[0]"),
        ("stories", story_body(headline="\x00"), "headline"),
        ("stories", story_body(**{"\x00": 1}), None),
        ("auth/token", {"username": "a\x00", "password": "x"}, "username"),
        ("questions/q/forecasts", {"probabilities": {"1\x00": 0.5}}, "probabilities"),
        ("questions/q/annul", {"note": "\x00"}, "note"),
    ],
)
def test_nul_and_lone_surrogates_in_json_bodies_are_a_400_naming_the_field(resource, body, field):
    QuestionFactory(slug="q")
    before = (Question.objects.count(), Story.objects.count())
    who = None if resource == "auth/token" else EditorFactory()  # a token client has one
    response = api_client(who).post(
        f"/api/v1/{resource}/", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    if field is None:
        assert "NUL characters" in error["message"]
    else:
        assert "NUL characters" in " ".join(error["fields"][field])
    assert (Question.objects.count(), Story.objects.count()) == before
    assert Question.objects.get(slug="q").status == "published"


def test_nul_in_admin_form_fields_is_a_form_error(client, editor):
    response = client.post(
        reverse("admin:forecasts_question_import"),
        {"text": "Title\x00?\nA • 50%\nB • 50%\nSource", "closes_at_0": "2030-01-01",
         "closes_at_1": "00:00:00"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Null characters are not allowed." in text_of(response)
    assert not Question.objects.exists()


@pytest.mark.parametrize("selected", ["\x00", "abc", "1\x00", str(2**64)])
@pytest.mark.parametrize(
    ("changelist", "action"),
    [
        ("admin:forecasts_question_changelist", "close_now"),
        ("admin:news_story_changelist", "publish"),
        ("admin:news_topic_changelist", "delete_selected"),
    ],
)
def test_an_admin_action_on_a_selection_that_is_not_ids_does_nothing_and_says_so(
    client, changelist, action, selected
):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    question = QuestionFactory()
    response = client.post(
        reverse(changelist),
        {"action": action, "_selected_action": [selected], "index": "0"},
        follow=True,
    )
    assert response.status_code == 200
    assert "That selection is not one this list shows; nothing was done." in text_of(response)
    assert Question.objects.get(pk=question.pk).is_open


@pytest.mark.parametrize(
    "value",
    [
        "\x00",
        "1\x00",
        "abc",
        # SQLite cannot even compare a number this big (OverflowError): PostgreSQL only.
        pytest.param(str(2**64), marks=pytest.mark.postgres),
    ],
)
def test_an_autocomplete_shown_again_with_a_value_that_is_not_an_id_is_a_form_error(
    client, editor, value
):
    now = timezone.now()
    form = {
        "headline": "Crossing",
        "slug": "crossing",
        "status": "draft",
        "topics": value,
        "links-TOTAL_FORMS": "1",
        "links-INITIAL_FORMS": "0",
        "links-0-question": value,
        "links-0-position": "0",
        "published_at_0": now.strftime("%Y-%m-%d"),
        "published_at_1": now.strftime("%H:%M:%S"),
    }
    response = client.post(reverse("admin:news_story_add"), form)
    assert response.status_code == 200
    page = text_of(response)
    assert "Select a valid choice" in page or "Null characters are not allowed" in page
    assert not Story.objects.exists()
