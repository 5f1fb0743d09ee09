"""oEmbed: discovery links on question and story pages, and the provider's answers."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.factories import QuestionFactory, StoryFactory, StoryQuestionFactory

pytestmark = pytest.mark.django_db


def discovery(response):
    match = re.search(
        r'<link rel="alternate" type="application/json\+oembed" href="([^"]+)"',
        response.content.decode(),
    )
    return match and match.group(1).replace("&amp;", "&")


def test_question_and_story_pages_carry_the_discovery_link(client):
    question = QuestionFactory(slug="crossing")
    story = StoryFactory(slug="al-qaim")
    StoryQuestionFactory(story=story, question=question)
    for path in ("/questions/crossing/", "/stories/al-qaim/"):
        href = discovery(client.get(path))
        assert href, path
        query = parse_qs(urlsplit(href).query)
        assert query == {"url": [f"http://testserver{path}"], "format": ["json"]}
    assert discovery(client.get("/")) is None
    assert discovery(client.get("/questions/crossing/embed/")) is None


def test_a_question_url_embeds_its_embed_page(client):
    question = QuestionFactory(slug="crossing", title="Will the crossing reopen?")
    response = client.get("/oembed", {"url": "http://testserver/questions/crossing/"})
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == "1.0"
    assert body["type"] == "rich"
    assert body["title"] == question.title
    assert (body["width"], body["height"]) == (400, 320)
    assert 'src="http://testserver/questions/crossing/embed/"' in body["html"]
    assert body["provider_url"] == "http://testserver/"
    small = client.get(
        "/oembed",
        {"url": "http://testserver/questions/crossing/", "maxwidth": 300, "maxheight": 9999},
    ).json()
    assert (small["width"], small["height"]) == (300, 320)


def test_a_story_url_embeds_its_featured_question_or_is_a_link(client):
    story = StoryFactory(slug="al-qaim")
    body = client.get("/oembed", {"url": "http://testserver/stories/al-qaim/"}).json()
    assert body["type"] == "link"
    assert body["title"] == story.headline
    StoryQuestionFactory(story=story, question=QuestionFactory(slug="featured"), position=0)
    StoryQuestionFactory(story=story, question=QuestionFactory(slug="related"), position=1)
    body = client.get("/oembed", {"url": "http://testserver/stories/al-qaim/"}).json()
    assert body["type"] == "rich"
    assert "/questions/featured/embed/" in body["html"]


@pytest.mark.parametrize(
    "url",
    [
        "http://elsewhere.example/questions/crossing/",
        "http://testserver/questions/no-such-question/",
        "http://testserver/questions/draft-one/",
        "http://testserver/stories/scheduled-one/",
        "http://testserver/search/?q=x",
        "not a url",
        "",
    ],
)
def test_unknown_foreign_or_hidden_urls_are_404(client, url):
    QuestionFactory(slug="crossing")
    QuestionFactory(slug="draft-one", status="draft")
    StoryFactory(slug="scheduled-one", scheduled=True)
    assert client.get("/oembed", {"url": url}).status_code == 404


def test_xml_is_not_implemented(client):
    QuestionFactory(slug="crossing")
    response = client.get(
        "/oembed", {"url": "http://testserver/questions/crossing/", "format": "xml"}
    )
    assert response.status_code == 501
