"""HTTP caching of pages: validators and 304s, private pages for readers, Redis outages."""

import pytest

from tests.factories import (
    QuestionFactory,
    StoryFactory,
    StoryQuestionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_public_pages_send_validators_and_answer_304_until_something_changes(client):
    question = QuestionFactory(title="Before?")
    url = question.get_absolute_url()
    first = client.get(url)
    assert first["Cache-Control"] == "public, max-age=60"
    assert first.has_header("ETag")
    assert first.has_header("Last-Modified")
    again = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    question.title = "After?"
    question.save()
    changed = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert changed.status_code == 200
    assert "After?" in changed.content.decode()


def test_cached_question_cards_change_when_the_question_does(client):
    story = StoryFactory()
    link = StoryQuestionFactory(story=story, question=QuestionFactory(title="Old title?"))
    assert "Old title?" in client.get("/").content.decode()
    link.question.title = "New title?"
    link.question.save()
    home = client.get("/").content.decode()
    assert "New title?" in home
    assert "Old title?" not in home


def test_signed_in_readers_get_private_uncached_pages(client):
    client.force_login(UserFactory())
    response = client.get("/")
    assert "private" in response["Cache-Control"]
    assert not response.has_header("ETag")


def test_the_site_stays_up_when_redis_is_down(client, settings, dead_redis_cache):
    settings.PUBLIC_RESPONSE_CACHE = True  # its lookups and counts fail: misses, let through
    StoryQuestionFactory()
    for _ in range(2):
        assert client.get("/").status_code == 200
        assert client.get("/questions/").status_code == 200
        assert client.get("/api/v1/questions/").status_code == 200
