"""The public story page: what the captured page shows, at a fixed number of queries."""

import re

import pytest
from django.core.management import call_command

from forecasts.models import Question
from tests.client_helpers import queries_for, text_of
from tests.factories import QuestionFactory, StoryFactory, StoryQuestionFactory, TopicFactory

pytestmark = pytest.mark.django_db

DEMO_STORY = "/stories/syrian-soldiers-cross-into-iraq-at-al-qaim/"


def options_shown(response):
    """[(label, "25%")] for every option on the page, in order."""
    html = response.content.decode()
    return re.findall(
        r'option__label">([^<]+?)\s*(?:<strong[^>]*>[^<]*</strong>)?</span>\s*'
        r'<span class="option__percent">(\d+%)</span>',
        html,
    )


@pytest.fixture
def demo():
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_demo_story_page_shows_what_the_captured_page_shows(client, demo):
    response = client.get(DEMO_STORY)
    assert response.status_code == 200
    page = text_of(response)
    assert "2,000 Syrian Soldiers with Full Equipment Cross into Iraq at Al-Qaim" in page
    assert "Dec 7, 2024, 02:48 PM" in page
    assert "Approximately 2,000 Syrian soldiers, including civilian employees" in page
    assert "View original story" in page
    assert (
        'href="https://www.devdiscourse.com/article/health/3185757-exodus-syrian-troops-seek-'
        'refuge-in-iraq"' in response.content.decode()
    )
    # The featured question comes first, with its resolution source.
    featured = page.index("Predominant reason cited by Syrian soldiers for crossing")
    assert featured < page.index("Fear of militia takeover") < page.index("Reports from")
    assert page.index("Reports from interviews or official statements") < page.index(
        "Related questions"
    )


def test_demo_featured_question_shows_25_percent_on_each_option(client, demo):
    shown = options_shown(client.get(DEMO_STORY))
    assert shown[:4] == [
        ("Fear of militia takeover", "25%"),
        ("Lack of supplies", "25%"),
        ("Orders from superiors", "25%"),
        ("Seeking asylum", "25%"),
    ]


def test_demo_related_questions_follow_in_captured_order_and_binary_shows_50_50(client, demo):
    shown = options_shown(client.get(DEMO_STORY))
    assert len(shown) == 52
    labels = [label for label, _ in shown]
    assert labels[4:8] == [
        "Internal security concerns", "Other", "International pressure",
        "Violation of Iraqi sovereignty",
    ]  # fmt: skip
    assert shown[44:48] == [("No", "50%"), ("Yes", "50%"), ("No", "50%"), ("Yes", "50%")]
    assert labels[-4:] == ["United Nations", "NATO", "Arab League", "European Union"]
    assert {percent for label, percent in shown if label not in ("Yes", "No")} == {"25%"}


def test_resolved_question_marks_its_outcome(client, demo):
    html = client.get(DEMO_STORY).content.decode()
    assert re.search(r"Returned to Syria <strong[^>]*>Outcome</strong>", html)


def test_draft_and_scheduled_stories_are_404_for_readers(client):
    draft = StoryFactory(draft=True)
    scheduled = StoryFactory(scheduled=True)
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(scheduled.get_absolute_url()).status_code == 404
    assert client.get("/stories/no-such-story/").status_code == 404


def test_draft_questions_do_not_show_on_a_story(client):
    story = StoryFactory()
    StoryQuestionFactory(story=story, question=QuestionFactory(title="Visible question?"))
    hidden = QuestionFactory(title="Secret draft?", status=Question.Status.DRAFT)
    StoryQuestionFactory(story=story, question=hidden, position=0)
    page = text_of(client.get(story.get_absolute_url()))
    assert "Visible question?" in page
    assert "Secret draft?" not in page
    assert client.get(hidden.get_absolute_url()).status_code == 404


def test_story_body_markdown_is_rendered_and_sanitised(client):
    story = StoryFactory(
        body="**Bold** claim.\n\n<script>alert(1)</script><a href='javascript:x'>x</a>"
    )
    html = client.get(story.get_absolute_url()).content.decode()
    assert "<strong>Bold</strong> claim." in html
    assert "<script>alert(1)</script>" not in html
    assert "javascript:x" not in html


def story_with_questions(count):
    story = StoryFactory(topics=[TopicFactory(), TopicFactory()])
    for position in range(count):
        StoryQuestionFactory(story=story, position=position, question=QuestionFactory())
    return story


def test_story_page_costs_the_same_queries_with_1_or_14_questions(client):
    one, fourteen = story_with_questions(1), story_with_questions(14)
    assert queries_for(client, one.get_absolute_url()) == queries_for(
        client, fourteen.get_absolute_url()
    )


def test_story_page_query_count_is_fixed(client, django_assert_num_queries):
    story = story_with_questions(14)
    # story (with its author), its topics, corrections, linked questions; for the cards
    # the cache did not have, their options and their forecasts a day ago
    with django_assert_num_queries(6):
        client.get(story.get_absolute_url())


def test_home_lists_live_stories_with_their_featured_question(client, demo):
    StoryFactory(draft=True, headline="Unpublished scoop")
    page = text_of(client.get("/"))
    assert "Iraq Hands 1,905 Syrian Soldiers Back to Syria at Al-Qaim" in page
    assert "2,000 Syrian Soldiers" in page
    assert "Unpublished scoop" not in page
    assert page.index("Iraq Hands 1,905") < page.index("2,000 Syrian Soldiers")


def test_topic_page_shows_only_its_live_stories(client, demo):
    page = text_of(client.get("/topics/conflict/"))
    assert "2,000 Syrian Soldiers" in page
    assert "Iraq Hands 1,905" not in page
    assert client.get("/topics/no-such-topic/").status_code == 404


def test_question_page_shows_options_criteria_and_live_stories(
    client, demo, django_assert_num_queries
):
    # question, options, live stories, snapshots, and readers' reasons (it is resolved)
    with django_assert_num_queries(5):
        response = client.get("/questions/al-qaim-soldiers-fate/")
    page = text_of(response)
    assert "What will happen to the Syrian soldiers who crossed at Al-Qaim" in page
    assert "Resolved" in page
    assert "Official statements by the Iraqi government" in page
    assert "Iraq Hands 1,905 Syrian Soldiers" in page
    assert ("Returned to Syria", "25%") in options_shown(response)


def test_healthz_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_pages_send_a_content_security_policy(client, demo):
    response = client.get(DEMO_STORY)
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.usefixtures("mean_aggregate")  # numbers of the mean
def test_pages_show_the_community_forecast_not_just_equal_shares(client):
    story = StoryFactory()
    question = QuestionFactory(options=["Stay", "Leave", "Other"])
    StoryQuestionFactory(story=story, question=question, position=0)
    for option, total in zip(question.options.all(), [2.0, 0.7, 0.3], strict=True):
        type(option).objects.filter(pk=option.pk).update(forecast_sum=total)
    Question.objects.filter(pk=question.pk).update(forecaster_count=3)
    shown = options_shown(client.get(story.get_absolute_url()))
    assert shown == [("Stay", "67%"), ("Leave", "23%"), ("Other", "10%")]
    assert "3 forecasters" in text_of(client.get(question.get_absolute_url()))


def test_story_page_has_canonical_url_cards_and_news_article_json_ld(client):
    story = StoryFactory(headline="Iraq hands soldiers back </script><b>")
    html = client.get(story.get_absolute_url()).content.decode()
    assert f'<link rel="canonical" href="http://testserver{story.get_absolute_url()}">' in html
    assert '<meta property="og:type" content="article">' in html
    assert '<meta name="twitter:card" content="summary">' in html
    block = re.search(r'<script[^>]*type="application/ld\+json">(.*?)</script>', html, re.S)
    import json

    data = json.loads(block.group(1))
    assert data["@type"] == "NewsArticle"
    assert data["headline"].startswith("Iraq hands soldiers back")
    assert "</script><b>" not in block.group(1)


def test_story_page_shows_time_zone_resolution_source_and_compact_related(client, demo):
    response = client.get(DEMO_STORY)
    page = text_of(response)
    html = response.content.decode()
    assert "Dec 7, 2024, 02:48 PM UTC" in page
    assert "Resolution source Reports from interviews or official statements" in page
    # The first three related questions show; the rest wait behind "show all" (no JS).
    assert re.search(r"<details class=\"show-all\">\s*<summary>Show all 13 related", html)
    before_details = html[: html.index('<details class="show-all">')]
    assert before_details.count('question-card--compact"') == 3


def test_open_questions_on_a_story_invite_a_forecast(client):
    story = story_with_questions(2)
    html = client.get(story.get_absolute_url()).content.decode()
    assert html.count('#forecast">Forecast<span class="visually-hidden">') == 2


def test_demo_stories_and_questions_say_so_to_readers(client):
    story = StoryFactory(is_demo=True)
    question = QuestionFactory(is_demo=True)
    StoryQuestionFactory(story=story, question=question)
    assert "Demo story: written to show this site at work" in text_of(
        client.get(story.get_absolute_url())
    )
    assert "Demo question: invented to show this site at work" in text_of(
        client.get(question.get_absolute_url())
    )
    real = StoryFactory()
    assert "Demo story" not in text_of(client.get(real.get_absolute_url()))
