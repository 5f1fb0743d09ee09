"""The read API: topics, stories, questions, history, resolution; filters, paging, 304s."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from forecasts import forecasting, outcomes
from forecasts.models import Question
from tests.client_helpers import api_client, queries_for
from tests.factories import (
    ForecastSnapshotFactory,
    QuestionFactory,
    StoryFactory,
    StoryQuestionFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
NOW = timezone.now()


@pytest.fixture
def api():
    return APIClient()


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_topics(api):
    topic = TopicFactory(name="Syria", slug="syria")
    assert api.get("/api/v1/topics/").json() == [
        {"id": topic.pk, "name": "Syria", "slug": "syria"}
    ]
    assert api.get("/api/v1/topics/syria/").json()["name"] == "Syria"


def test_stories_carry_topics_and_linked_questions_in_order(api):
    story = StoryFactory(topics=[TopicFactory(slug="iraq")])
    first = QuestionFactory(title="First?")
    second = QuestionFactory(title="Second?")
    StoryQuestionFactory(story=story, question=second, position=1)
    StoryQuestionFactory(story=story, question=first, position=0)
    StoryQuestionFactory(story=story, question=QuestionFactory(status="draft"), position=2)
    data = api.get(f"/api/v1/stories/{story.slug}/").json()
    assert data["topics"] == ["iraq"]
    assert [q["title"] for q in data["questions"]] == ["First?", "Second?"]
    assert data["url"] == f"http://testserver{story.get_absolute_url()}"


def test_drafts_and_scheduled_stories_are_hidden_from_clients(api):
    StoryFactory(slug="live")
    StoryFactory(slug="draft", draft=True)
    StoryFactory(slug="later", scheduled=True)
    assert [s["slug"] for s in results(api.get("/api/v1/stories/"))] == ["live"]
    assert api.get("/api/v1/stories/draft/").status_code == 404
    assert api.get("/api/v1/stories/later/").status_code == 404


@pytest.mark.usefixtures("mean_aggregate")  # numbers of the mean
def test_questions_carry_probabilities_as_numbers_and_percentages(api):
    question = QuestionFactory(options=["A", "B", "C"])
    ids = [o.pk for o in question.options.all()]
    forecasting.record_forecast(
        UserFactory(), question.pk, dict(zip(ids, [0.5, 0.3, 0.2], strict=True))
    )
    data = api.get(f"/api/v1/questions/{question.slug}/").json()
    assert [(o["label"], o["probability"], o["percent"]) for o in data["options"]] == [
        ("A", pytest.approx(0.5), 50),
        ("B", pytest.approx(0.3), 30),
        ("C", pytest.approx(0.2), 20),
    ]
    assert data["forecaster_count"] == 1
    assert data["state"] == "open"
    assert data["resolution"] is None


def test_a_resolved_question_and_its_resolution(api):
    question = QuestionFactory(options=["Stay", "Return"])
    outcomes.resolve(question, question.options.get(label="Return"), "Handed over.")
    data = api.get(f"/api/v1/questions/{question.slug}/").json()
    assert data["state"] == "resolved"
    assert data["resolution"]["option"]["label"] == "Return"
    resolution = api.get(f"/api/v1/questions/{question.slug}/resolution/").json()
    assert resolution["note"] == "Handed over."
    assert api.get("/api/v1/questions/no-such/resolution/").status_code == 404


def test_a_detail_url_names_its_row_whatever_list_filters_its_query_string_holds(api):
    QuestionFactory(slug="open-q")
    StoryFactory(slug="a-story")
    for url, slug in (
        ("/api/v1/questions/open-q/?state=resolved&kind=nonsense", "open-q"),
        ("/api/v1/stories/a-story/?has_open_questions=maybe", "a-story"),
    ):
        response = api.get(url)
        assert response.status_code == 200, url
        assert response.json()["slug"] == slug


def test_draft_questions_are_hidden_from_clients(api):
    QuestionFactory(slug="draft-q", status="draft")
    assert api.get("/api/v1/questions/draft-q/").status_code == 404
    assert results(api.get("/api/v1/questions/?state=draft")) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=open", {"open-q", "soon-q"}),
        ("state=closed", {"closed-q"}),
        ("state=resolved", {"resolved-q"}),
        ("state=annulled", {"annulled-q"}),
        ("state=upcoming", {"future-q"}),
        ("kind=binary", {"soon-q"}),
        ("topic=syria", {"open-q"}),
        ("story=the-story", {"open-q"}),
        (
            f"closes_before={(NOW + timedelta(days=3)).isoformat().replace('+00:00', 'Z')}",
            {"soon-q", "closed-q"},
        ),
        ("q=crossing", {"open-q"}),
    ],
)
def test_question_filters(api, query, expected):
    open_q = QuestionFactory(slug="open-q", title="Soldiers crossing the border?")
    StoryQuestionFactory(
        story=StoryFactory(slug="the-story", topics=[TopicFactory(slug="syria")]), question=open_q
    )
    QuestionFactory(slug="soon-q", binary=True, closes_at=NOW + timedelta(days=1))
    outcomes.close(QuestionFactory(slug="closed-q"))
    QuestionFactory(slug="future-q", opens_at=NOW + timedelta(days=5))
    resolved = QuestionFactory(slug="resolved-q", closes_at=NOW + timedelta(days=90))
    outcomes.resolve(resolved, resolved.options.first())
    annulled = QuestionFactory(slug="annulled-q", closes_at=NOW + timedelta(days=90))
    outcomes.annul(annulled)
    if query.startswith("closes_before"):
        expected = {
            q.slug
            for q in Question.objects.visible().filter(closes_at__lt=NOW + timedelta(days=3))
        }
    assert {q["slug"] for q in results(api.get(f"/api/v1/questions/?{query}"))} == expected


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/questions/?state=maybe", "state"),
        ("/api/v1/questions/?kind=numeric", "kind"),
        ("/api/v1/questions/?topic=nowhere", "topic"),
        ("/api/v1/questions/?closes_after=yesterday", "closes_after"),
        ("/api/v1/stories/?published_after=soon", "published_after"),
        ("/api/v1/stories/?has_open_questions=perhaps", "has_open_questions"),
        ("/api/v1/stories/?page_size=1000", "page_size"),
        ("/api/v1/stories/?cursor=garbage", "cursor"),
        ("/api/v1/questions/?ordering=secret_field", None),
    ],
)
def test_bad_filter_values_are_400s_with_the_field_named(api, url, field):
    response = api.get(url)
    if field is None:  # unknown ordering fields are ignored, as DRF documents
        assert response.status_code == 200
        return
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["status"] == 400
    assert field in body["fields"]


def test_story_filters(api):
    topic = TopicFactory(slug="iraq")
    with_open = StoryFactory(
        slug="with-open", topics=[topic], published_at=NOW - timedelta(days=1)
    )
    StoryQuestionFactory(story=with_open)
    StoryFactory(slug="old", published_at=NOW - timedelta(days=30), headline="Old tariffs story")
    slugs = lambda q: [s["slug"] for s in results(api.get(f"/api/v1/stories/?{q}"))]  # noqa: E731
    assert slugs("topic=iraq") == ["with-open"]
    assert slugs("has_open_questions=true") == ["with-open"]
    assert slugs("has_open_questions=false") == ["old"]
    since = (NOW - timedelta(days=7)).isoformat().replace("+00:00", "Z")
    assert slugs(f"published_after={since}") == ["with-open"]
    assert slugs("q=tariffs") == ["old"]


def test_cursor_pages_walk_the_whole_list_without_repeats(api):
    for n in range(7):
        StoryFactory(slug=f"s{n}", published_at=NOW - timedelta(hours=n))
    seen, url = [], "/api/v1/stories/?page_size=3"
    while url:
        body = api.get(url).json()
        seen += [s["slug"] for s in body["results"]]
        url = body["next"]
    assert seen == [f"s{n}" for n in range(7)]


def test_lists_cost_the_same_queries_for_5_and_100_rows(api):
    def add(count):
        for _ in range(count):
            story = StoryFactory(topics=[TopicFactory()])
            StoryQuestionFactory(story=story)

    add(5)
    few = [
        queries_for(api, url)
        for url in ("/api/v1/stories/?page_size=100", "/api/v1/questions/?page_size=100")
    ]
    add(95)
    cache.clear()
    many = [
        queries_for(api, url)
        for url in ("/api/v1/stories/?page_size=100", "/api/v1/questions/?page_size=100")
    ]
    assert many == few


def test_the_story_list_reads_no_options_it_does_not_show(api):
    StoryQuestionFactory(story=StoryFactory())
    with CaptureQueriesContext(connection) as captured:
        stories = api.get("/api/v1/stories/").json()["results"]
    assert stories[0]["questions"][0]["state"] == "open"
    assert len(captured) == 4  # stories, their topics, corrections and questions
    assert not [q for q in captured if "forecasts_option" in q["sql"]]


def test_history_with_since_and_interval(api):
    question = QuestionFactory(binary=True)
    yes, no = question.options.all()
    base = question.opens_at.replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    for minutes in (0, 20, 40, 70):
        ForecastSnapshotFactory(
            question=question,
            taken_at=base + timedelta(minutes=minutes),
            forecaster_count=minutes,
            probabilities={str(yes.pk): 0.6, str(no.pk): 0.4},
        )
    url = f"/api/v1/questions/{question.slug}/history/"
    assert len(api.get(url).json()["points"]) == 4
    hourly = api.get(url, {"interval": "hour"}).json()["points"]
    assert [p["forecaster_count"] for p in hourly] == [40, 70]  # the last point of each hour
    since = (base + timedelta(minutes=30)).isoformat().replace("+00:00", "Z")
    assert len(api.get(url, {"since": since}).json()["points"]) == 2
    assert api.get(url, {"interval": "week"}).status_code == 400
    assert api.get(url, {"since": "last tuesday"}).status_code == 400


def test_conditional_requests_answer_304_until_something_changes(api):
    question = QuestionFactory()
    urls = [f"/api/v1/questions/{question.slug}/", "/api/v1/questions/"]
    etags = {}
    for url in urls:
        first = api.get(url)
        assert first.status_code == 200
        etags[url] = first["ETag"]
        assert api.get(url, HTTP_IF_NONE_MATCH=etags[url]).status_code == 304
        assert api.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    assert etags[urls[0]] != etags[urls[1]]  # the tag covers the URL
    question.title = "Changed?"
    question.save()
    for url in urls:
        again = api.get(url, HTTP_IF_NONE_MATCH=etags[url])
        assert again.status_code == 200
        assert "Changed?" in again.content.decode()


def test_a_revalidation_notices_the_clock_within_the_cache_period(api, settings):
    settings.PAGE_CACHE_SECONDS = 1
    question = QuestionFactory(closes_at=timezone.now() + timedelta(seconds=1))
    url = f"/api/v1/questions/{question.slug}/"
    first = api.get(url)
    assert first.json()["state"] == "open"
    import time

    time.sleep(2.1)
    again = api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200
    assert again.json()["state"] == "closed"


def test_editors_and_readers_never_share_validators(api):
    StoryFactory(slug="scheduled", scheduled=True)
    anonymous = api.get("/api/v1/stories/")
    assert anonymous["Cache-Control"] == "public, max-age=60"
    from tests.factories import EditorFactory

    editor = api_client(EditorFactory())
    response = editor.get("/api/v1/stories/", HTTP_IF_NONE_MATCH=anonymous["ETag"])
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]


def test_unknown_api_paths_are_json_404s(client, settings):
    settings.DEBUG = False
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_question_stories_and_story_filter_never_reveal_unpublished_stories(api):
    question = QuestionFactory(slug="q")
    StoryQuestionFactory(question=question, story=StoryFactory(slug="live-story"))
    StoryQuestionFactory(question=question, story=StoryFactory(slug="draft-story", draft=True))
    StoryQuestionFactory(question=question, story=StoryFactory(slug="later", scheduled=True))
    assert api.get("/api/v1/questions/q/").json()["stories"] == ["live-story"]
    unknown = api.get("/api/v1/questions/?story=no-such-story")
    hidden = api.get("/api/v1/questions/?story=draft-story")
    assert unknown.status_code == hidden.status_code == 400
    assert unknown.json()["error"]["fields"] == hidden.json()["error"]["fields"] | {
        "story": [m.replace("draft-story", "no-such-story") for m in
                  hidden.json()["error"]["fields"]["story"]]
    }  # fmt: skip


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/stories/?page_size=%C2%B2",
        "/api/v1/questions/?closes_after=0001-01-01T00:00:00%2B01:00",
        "/api/v1/stories/?published_before=0001-01-01T00:00:00%2B01:00",
        "/api/v1/questions/?ordering=-forecaster_count&cursor=cD1hYmM%3D",
    ],
)
def test_edge_inputs_are_400s_not_crashes(api, url):
    QuestionFactory()
    response = api.get(url)
    assert response.status_code == 400
    assert response.json()["error"]["fields"]


def test_history_since_out_of_range_is_a_400(api):
    question = QuestionFactory()
    response = api.get(
        f"/api/v1/questions/{question.slug}/history/", {"since": "0001-01-01T00:00:00+01:00"}
    )
    assert response.status_code == 400
