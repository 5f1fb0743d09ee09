"""Whole anonymous responses served from the shared cache, and when they are retired."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config import versions
from forecasts import forecasting
from tests.client_helpers import api_client
from tests.factories import QuestionFactory, StoryFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def response_cache_on(settings):
    settings.PUBLIC_RESPONSE_CACHE = True  # the default only with REDIS_URL


def fetch(client, url, counting=False, **headers):
    """The response and its SQL queries (with `counting`, only those that count rows)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    if counting:
        return response, sum("COUNT(" in query["sql"] for query in queries)
    return response, len(queries)


def test_a_second_anonymous_visit_is_served_from_the_cache_without_sql(client):
    url = QuestionFactory(title="Cached?").get_absolute_url()
    first, first_queries = fetch(client, url)
    again, again_queries = fetch(client, url)
    assert first_queries > 0
    assert again_queries == 0
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Content-Security-Policy"] == first["Content-Security-Policy"]


def test_a_revalidation_from_the_cache_is_a_304_without_sql(client):
    url = StoryFactory().get_absolute_url()
    first = client.get(url)
    not_modified, queries = fetch(client, url, **{"If-None-Match": first["ETag"]})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["ETag"] == first["ETag"]
    assert queries == 0


def test_an_editors_change_reaches_anonymous_readers_at_once(client):
    story = StoryFactory(headline="First headline")
    url = story.get_absolute_url()
    first = client.get(url)
    story.headline = "Corrected headline"
    story.save()
    changed = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert changed.status_code == 200
    assert "Corrected headline" in changed.content.decode()


@pytest.mark.usefixtures("mean_aggregate")  # numbers of the mean
def test_a_new_forecast_reaches_its_reader_at_once_and_anonymous_readers_within_a_slice(
    client, monkeypatch
):
    question = QuestionFactory(binary=True)
    url = question.get_absolute_url()
    assert "50%" in client.get(url).content.decode()
    reader = UserFactory()
    yes, no = question.options.all()
    forecasting.record_forecast(reader, question.pk, {yes.pk: 0.8, no.pk: 0.2})
    assert "80%" not in client.get(url).content.decode()  # the stored page, for now

    signed_in = type(client)()
    signed_in.force_login(reader)
    assert "80%" in signed_in.get(url).content.decode()

    later = versions.clock_bucket() + 1
    monkeypatch.setattr(versions, "clock_bucket", lambda: later)
    assert "80%" in client.get(url).content.decode()


def test_signed_in_readers_never_get_an_anonymous_copy_nor_leave_one(client):
    url = "/"
    StoryFactory()
    anonymous = client.get(url)
    reader = type(client)()
    reader.force_login(UserFactory())
    own, queries = fetch(reader, url)
    assert queries > 0
    assert "My forecasts" in own.content.decode()
    assert "private" in own["Cache-Control"]
    assert "My forecasts" not in client.get(url).content.decode()
    assert client.get(url).content == anonymous.content


def test_a_pending_message_is_never_swallowed_by_a_stored_page(client):
    url = StoryFactory().get_absolute_url()
    client.get(url)
    client.cookies["messages"] = "anything"
    _, queries = fetch(client, url)
    assert queries > 0


def test_a_stored_answer_is_only_given_for_the_format_it_was_made_for(client):
    QuestionFactory()
    data = client.get("/api/v1/questions/", headers={"Accept": "application/json"})
    assert data.json()["results"]
    html = client.get("/api/v1/questions/", headers={"Accept": "text/html"})
    assert html.status_code == 406  # the API speaks JSON only


def test_api_clients_with_a_token_get_their_own_answer(client):
    from tests.factories import EditorFactory

    QuestionFactory(title="Public question?")
    QuestionFactory(title="Draft question?", status="draft")
    anonymous = client.get("/api/v1/questions/").json()
    assert [q["title"] for q in anonymous["results"]] == ["Public question?"]
    editor = api_client(EditorFactory()).get("/api/v1/questions/")
    assert "private" in editor["Cache-Control"]
    assert {q["title"] for q in editor.json()["results"]} == {
        "Public question?",
        "Draft question?",
    }
    assert client.get("/api/v1/questions/").json() == anonymous


def test_each_host_and_scheme_gets_its_own_copy(client, settings):
    settings.ALLOWED_HOSTS = ["news.example.com", "other.example.org", "testserver"]
    url = StoryFactory().get_absolute_url()
    first = client.get(url, headers={"Host": "news.example.com"}).content.decode()
    other = client.get(url, headers={"Host": "other.example.org"}).content.decode()
    secure = client.get(url, headers={"Host": "news.example.com"}, secure=True)
    assert "http://news.example.com/" in first
    assert "http://other.example.org/" in other
    assert "https://news.example.com/" in secure.content.decode()


def test_a_replayed_answer_says_how_old_it_is(client, monkeypatch):
    import time

    url = StoryFactory().get_absolute_url()
    first = client.get(url)
    assert not first.has_header("Age")
    made = time.time()
    monkeypatch.setattr(time, "time", lambda: made + 7)
    monkeypatch.setattr(versions, "clock_bucket", lambda: 1)  # still the same slice
    client.get(url)  # stored under the patched slice
    monkeypatch.setattr(time, "time", lambda: made + 19)
    again = client.get(url)
    assert again["Age"] == "12"
    assert again["Cache-Control"] == first["Cache-Control"]


def test_anonymous_api_hits_count_against_the_rate_limit_once(client, settings):
    settings.API_ANON_RATE = "3/minute"
    codes = [client.get("/api/v1/topics/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]  # the second and third came from the cache
    refused = client.get("/api/v1/topics/")
    assert refused.json()["error"]["status"] == 429
    assert "Retry-After" in refused


def test_the_response_cache_can_be_turned_off(client, settings):
    settings.PUBLIC_RESPONSE_CACHE = False
    url = StoryFactory().get_absolute_url()
    client.get(url)
    _, queries = fetch(client, url)
    assert queries > 0


def test_a_write_in_a_transaction_retires_the_version_again_when_it_commits(
    django_capture_on_commit_callbacks,
):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        StoryFactory()
        StoryFactory()
        during = versions.editorial_version()
    assert versions.editorial_version() != during


def test_views_that_did_not_opt_in_never_touch_the_response_cache(client, monkeypatch):
    from config.response_cache import PublicResponseCache

    def refuse(request):
        raise AssertionError(f"looked up {request.path}")

    monkeypatch.setattr(PublicResponseCache, "key", staticmethod(refuse))
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 200
    assert client.get("/no-such-page/").status_code == 404


def test_list_pages_count_their_rows_once_per_version_and_stay_right(client, settings):
    settings.PUBLIC_RESPONSE_CACHE = False  # render every time: this is about the count
    QuestionFactory.create_batch(21)
    first, first_counts = fetch(client, "/questions/", counting=True)
    again, again_counts = fetch(client, "/questions/", counting=True)
    assert "Page 1 of 2" in first.content.decode()
    assert "Page 1 of 2" in again.content.decode()
    assert (first_counts, again_counts) == (1, 0)
    QuestionFactory.create_batch(20)
    assert "Page 1 of 3" in client.get("/questions/").content.decode()


def test_a_rendered_page_or_api_read_reads_the_content_version_once(client, monkeypatch):
    reads, inside = [], []  # (some backends' get_many calls get per key)
    real_get, real_get_many = versions.cache.get, versions.cache.get_many

    def get(key, *args, **kwargs):
        reads.extend([key] if key == versions.VERSION_KEY and not inside else [])
        return real_get(key, *args, **kwargs)

    def get_many(keys, *args, **kwargs):
        reads.extend(key for key in keys if key == versions.VERSION_KEY)
        inside.append(1)
        try:
            return real_get_many(keys, *args, **kwargs)
        finally:
            inside.pop()

    monkeypatch.setattr(versions.cache, "get", get)
    monkeypatch.setattr(versions.cache, "get_many", get_many)
    question = QuestionFactory()
    for url in (question.get_absolute_url(), f"/api/v1/questions/{question.slug}/"):
        reads.clear()
        assert client.get(url).status_code == 200  # a first visit: rendered
        # Its ETag and Last-Modified come from one read, so they cannot disagree.
        assert len(reads) == 1, url
