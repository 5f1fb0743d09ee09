"""Feeds, the sitemap and robots.txt: valid, and public items only."""

import xml.etree.ElementTree as ET

import pytest

from forecasts.models import Question
from tests.factories import (
    QuestionFactory,
    StoryFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    ["/feeds/stories/", "/feeds/stories/atom/", "/feeds/questions/", "/feeds/questions/atom/"],
)
def test_feeds_are_valid_xml_with_only_public_items(client, url):
    StoryFactory(headline="Public story")
    StoryFactory(headline="Embargoed story", scheduled=True)
    QuestionFactory(title="Public question?")
    QuestionFactory(title="Draft question?", status=Question.Status.DRAFT)
    response = client.get(url)
    assert response.status_code == 200
    ET.fromstring(response.content)
    body = response.content.decode()
    if "stories" in url:
        assert "Public story" in body
        assert "Embargoed story" not in body
    else:
        assert "Public question?" in body
        assert "Draft question?" not in body


def test_sitemap_lists_public_pages_only(client):
    live = StoryFactory()
    draft = StoryFactory(draft=True)
    question = QuestionFactory()
    topic = TopicFactory()
    body = client.get("/sitemap.xml").content.decode()
    assert live.get_absolute_url() in body
    assert question.get_absolute_url() in body
    assert topic.get_absolute_url() in body
    assert draft.get_absolute_url() not in body


def test_robots_txt_points_at_the_sitemap_and_hides_the_admin(client):
    body = client.get("/robots.txt").content.decode()
    assert "Disallow: /admin/" in body
    assert "Sitemap: http://testserver/sitemap.xml" in body
