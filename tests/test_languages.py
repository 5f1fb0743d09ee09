"""Stories and questions in other languages: `lang` and `dir` on the element that holds
them, right to left for Arabic, and `language` in the API."""

from html.parser import HTMLParser

import pytest
from django.conf import settings

from news.models import Story
from tests.client_helpers import api_client
from tests.factories import QuestionFactory, StoryFactory, StoryQuestionFactory

pytestmark = pytest.mark.django_db

HEADLINE = "ألفا جندي سوري يعبرون إلى العراق عند القائم"
QUESTION = "ما السبب الرئيسي لعبور الجنود؟"


@pytest.fixture
def arabic_story():
    story = StoryFactory(headline=HEADLINE, language="ar", body="عبر الجنود الحدود.")
    question = QuestionFactory(title=QUESTION, language="ar", options=["اللجوء", "الأوامر"])
    StoryQuestionFactory(story=story, question=question, position=0)
    return story


VOID = {"meta", "link", "input", "img", "br", "hr", "source", "wbr"}


class Enclosing(HTMLParser):
    """Finds the elements that enclose the first text node containing `text`."""

    def __init__(self, text):
        super().__init__()
        self.text, self.stack, self.found = text, [], None

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if self.found is None and self.text in data and self.stack[0:1] != [("title", {})]:
            self.found = list(self.stack)


def opening_tag(html, text):
    """The lang and dir of the nearest element around `text` (in the body) that sets lang."""
    parser = Enclosing(text)
    parser.feed(html[html.index("<body") :])
    for tag, attrs in reversed(parser.found):
        if "lang" in attrs:
            return f'<{tag} lang="{attrs["lang"]}" dir="{attrs.get("dir", "")}">'
    return ""


def test_stories_and_questions_default_to_the_sites_language():
    assert StoryFactory().language == settings.LANGUAGE_CODE
    assert QuestionFactory().language == settings.LANGUAGE_CODE
    assert Story(language="").direction == "ltr"


def test_arabic_story_page_marks_the_story_right_to_left(client, arabic_story):
    html = client.get(arabic_story.get_absolute_url()).content.decode()
    assert f'<html lang="{settings.LANGUAGE_CODE}"' in html  # the site's chrome stays English
    story = opening_tag(html, HEADLINE)
    assert 'lang="ar"' in story
    assert 'dir="rtl"' in story
    card = opening_tag(html, QUESTION)
    assert 'lang="ar"' in card
    assert 'dir="rtl"' in card


def test_arabic_question_page_and_embed_read_right_to_left(client, arabic_story):
    question = arabic_story.links.get().question
    html = client.get(question.get_absolute_url()).content.decode()
    assert 'dir="rtl"' in opening_tag(html, QUESTION)
    embed = client.get(f"/questions/{question.slug}/embed/").content.decode()
    assert '<html lang="ar" dir="rtl">' in embed


def test_english_content_reads_left_to_right(client):
    story = StoryFactory(headline="Soldiers cross at Al-Qaim")
    html = client.get(story.get_absolute_url()).content.decode()
    assert 'dir="ltr"' in opening_tag(html, "Soldiers cross at Al-Qaim")


def test_lists_mark_each_card_with_its_own_language(client, arabic_story):
    StoryFactory(headline="An English story")
    html = client.get("/").content.decode()
    assert 'dir="rtl"' in opening_tag(html, HEADLINE)
    assert 'dir="ltr"' in opening_tag(html, "An English story")


def test_api_reports_and_accepts_the_language(arabic_story, editor):
    api = api_client()
    story = api.get(f"/api/v1/stories/{arabic_story.slug}/").json()
    assert story["language"] == "ar"
    question = api.get(f"/api/v1/questions/{story['questions'][0]['slug']}/").json()
    assert question["language"] == "ar"
    response = api_client(editor).post(
        "/api/v1/questions/",
        {"title": "هل يعود الجنود؟", "resolution_criteria": "بيانات رسمية", "kind": "binary",
         "language": "ar", "closes_at": "2030-01-01T00:00:00Z",
         "options": [{"label": "Yes"}, {"label": "No"}]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["language"] == "ar"
    bad = api_client(editor).patch(
        f"/api/v1/stories/{arabic_story.slug}/", {"language": "klingon"}, format="json"
    )
    assert bad.status_code == 400
    assert "language" in bad.json()["error"]["fields"]
