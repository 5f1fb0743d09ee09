"""The public reader site: lists, question pages, search, feeds, sitemap, embeds."""

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from forecasts import outcomes
from forecasts.charts import probability_chart
from forecasts.models import Question, with_featured_question
from news.models import Story
from tests.client_helpers import queries_for
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


def text_of(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


queries = queries_for


def newsroom(stories=1, questions_per_story=1, topic=None):
    for _ in range(stories):
        story = StoryFactory(topics=[topic] if topic else [])
        for position in range(questions_per_story):
            StoryQuestionFactory(story=story, position=position)


# Home ------------------------------------------------------------------------------


def test_home_shows_latest_stories_closing_soon_resolved_and_topics(client):
    story = StoryFactory(headline="Border reopens", topics=[TopicFactory(name="Iraq")])
    StoryQuestionFactory(story=story, question=QuestionFactory(title="Featured one?"))
    QuestionFactory(title="Closes tomorrow?", closes_at=NOW + timedelta(days=1))
    QuestionFactory(title="Closes next month?", closes_at=NOW + timedelta(days=40))
    settled = QuestionFactory(title="Settled already?")
    outcomes.resolve(settled, settled.options.first(), "Done.")
    page = text_of(client.get("/"))
    assert "Border reopens" in page
    assert "Featured one?" in page
    closing = page[page.index("Closing soon") : page.index("Recently resolved")]
    assert "Closes tomorrow?" in closing
    assert "Closes next month?" not in closing
    assert "Settled already?" in page[page.index("Recently resolved") :]
    assert "Iraq" in page[page.index("Topics") :]


def test_story_lists_show_each_storys_first_visible_question_only(client):
    topic = TopicFactory()
    story = StoryFactory(headline="Border reopens", topics=[topic])
    draft = QuestionFactory(title="Not yet public?", status=Question.Status.DRAFT)
    StoryQuestionFactory(story=story, question=draft, position=0)
    StoryQuestionFactory(story=story, question=QuestionFactory(title="Featured one?"), position=1)
    StoryQuestionFactory(story=story, question=QuestionFactory(title="Related one?"), position=2)
    other = StoryFactory(headline="Talks resume", topics=[topic])
    StoryQuestionFactory(story=other, question=QuestionFactory(title="Other featured?"))
    for url in ("/", topic.get_absolute_url()):
        page = text_of(client.get(url)).split("Closing soon")[0]  # the stories, not the sidebar
        assert "Featured one?" in page, url
        assert "Other featured?" in page, url
        assert "Related one?" not in page, url
        assert "Not yet public?" not in page, url
    # Only the featured question is loaded, not the related ones to be hidden.
    listed = with_featured_question(Story.objects.all()).get(pk=story.pk)
    assert [link.question.title for link in listed.featured_links] == ["Featured one?"]


def test_home_costs_the_same_queries_whatever_it_shows(client):
    def one_of_each():
        QuestionFactory(closes_at=NOW + timedelta(days=2))
        resolved = QuestionFactory()
        outcomes.resolve(resolved, resolved.options.first())

    newsroom(stories=1, questions_per_story=1)
    one_of_each()
    few = queries(client, "/")
    newsroom(stories=8, questions_per_story=5)
    for _ in range(4):
        one_of_each()
    cache.clear()
    assert queries(client, "/") == few


# Question page ------------------------------------------------------------------------


def test_question_page_shows_state_options_count_criteria_times_and_stories(client):
    question = QuestionFactory(
        title="Will Iraq close Al-Qaim?", binary=True, closes_at=NOW + timedelta(days=3)
    )
    StoryQuestionFactory(question=question, story=StoryFactory(headline="Live story"))
    StoryQuestionFactory(question=question, story=StoryFactory(headline="Draft", draft=True))
    page = text_of(client.get(question.get_absolute_url()))
    assert "Open · closes in 2 days" in page or "Open · closes in 3 days" in page
    assert "Yes 50%" in page
    assert "No 50%" in page
    assert "0 forecasters" in page
    assert "Reports from interviews or official statements" in page
    assert "Opens" in page
    assert "Closes" in page
    assert "Live story" in page
    assert "Draft" not in page.split("Stories")[-1]


@pytest.mark.parametrize(
    ("change", "phrase"),
    [
        (lambda q: outcomes.close(q), "Closed · awaiting resolution"),
        (
            lambda q: outcomes.resolve(q, q.options.get(label="No"), "It stayed open."),
            "Resolved: No",
        ),
        (lambda q: outcomes.annul(q, "Question was unclear."), "Annulled · no outcome"),
    ],
)
def test_question_page_says_what_state_it_is_in(client, change, phrase):
    question = QuestionFactory(binary=True)
    change(question)
    page = client.get(question.get_absolute_url())
    assert phrase in text_of(page)
    html = page.content.decode()
    if "Resolved" in phrase:
        assert re.search(r"No\s*<strong[^>]*>Outcome</strong>", html)
    else:
        assert "Outcome</strong>" not in html  # annulled is not "No"; closed is not resolved


def test_question_page_costs_fixed_queries(client, django_assert_num_queries):
    question = QuestionFactory(options=[f"Option {i}" for i in range(10)])
    for _ in range(30):
        ForecastSnapshotFactory(question=question)
    for _ in range(5):
        StoryQuestionFactory(question=question)
    with django_assert_num_queries(4):
        client.get(question.get_absolute_url())


def test_draft_questions_are_404_everywhere(client):
    draft = QuestionFactory(title="Secret draft?", status=Question.Status.DRAFT)
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(f"/questions/{draft.slug}/embed/").status_code == 404
    for url in ["/questions/?state=all", "/", "/search/?q=Secret", "/feeds/questions/",
                "/feeds/questions/atom/", "/sitemap.xml"]:  # fmt: skip
        assert "Secret draft" not in client.get(url).content.decode(), url


# Chart ------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 10, 12])
def test_chart_is_valid_svg_with_one_distinct_line_per_option(count):
    question = QuestionFactory(options=[f"Outcome {i}" for i in range(count)])
    options = list(question.options.all())
    for hours in (1, 2, 3):
        ForecastSnapshotFactory(
            question=question,
            taken_at=question.opens_at + timedelta(hours=hours),
            probabilities={str(o.pk): (0.5 if i == 0 else 0.5 / (count - 1))
                           for i, o in enumerate(options)},
        )  # fmt: skip
    chart = probability_chart(question, question.snapshots.all())
    svg = ET.fromstring(chart.svg)
    lines = svg.findall("{http://www.w3.org/2000/svg}polyline")
    assert len(lines) == count
    styles = {(line.get("stroke"), line.get("stroke-dasharray")) for line in lines}
    assert len(styles) == count  # every option tells apart, past the ten colours too
    assert [s.label for s in chart.series] == [o.label for o in options]
    assert svg.find("{http://www.w3.org/2000/svg}title").text.startswith("Community forecast")


def test_chart_follows_the_snapshots():
    question = QuestionFactory(options=["Up", "Down"])
    up, down = question.options.all()
    ForecastSnapshotFactory(
        question=question,
        taken_at=question.opens_at + timedelta(hours=1),
        probabilities={str(up.pk): 0.9, str(down.pk): 0.1},
    )
    svg = ET.fromstring(probability_chart(question, question.snapshots.all()).svg)
    first = svg.findall("{http://www.w3.org/2000/svg}polyline")[0].get("points").split()
    heights = [float(point.split(",")[1]) for point in first]
    # From 50% at opening up to 90% at the snapshot: a smaller y is higher on the chart.
    assert min(heights) < heights[0]


def test_chart_escapes_option_labels():
    question = QuestionFactory(options=["<script>x</script>", "B"])
    chart = probability_chart(question, [])
    assert "<script>x" not in chart.svg
    ET.fromstring(chart.svg)


# Lists, topics, pagination ---------------------------------------------------------


def test_question_list_filters_by_state_and_topic(client):
    topic = TopicFactory(slug="syria", name="Syria")
    StoryQuestionFactory(
        story=StoryFactory(topics=[topic]), question=QuestionFactory(title="On Syria?")
    )
    QuestionFactory(title="Elsewhere?")
    soon = QuestionFactory(title="Soon?", closes_at=NOW + timedelta(days=2))
    resolved = QuestionFactory(title="Done?")
    outcomes.resolve(resolved, resolved.options.first())
    assert "Elsewhere?" in text_of(client.get("/questions/"))
    assert "Done?" not in text_of(client.get("/questions/"))
    closing = text_of(client.get("/questions/?state=closing"))
    assert soon.title in closing
    assert "Elsewhere?" not in closing
    assert "Done?" in text_of(client.get("/questions/?state=resolved"))
    on_topic = text_of(client.get("/questions/?state=all&topic=syria"))
    assert "On Syria?" in on_topic
    assert "Elsewhere?" not in on_topic
    assert client.get("/questions/?topic=no-such-topic").status_code == 404
    assert client.get("/questions/?state=nonsense").status_code == 200


def test_question_list_paginates_at_fixed_query_cost(client):
    for _ in range(3):
        QuestionFactory()
    few = queries(client, "/questions/")
    for _ in range(45):
        QuestionFactory()
    cache.clear()
    assert queries(client, "/questions/") == few
    page = text_of(client.get("/questions/?page=3"))
    assert "Page 3 of 3" in page
    assert client.get("/questions/?page=999").status_code == 200  # the last page
    assert client.get("/questions/?page=abc").status_code == 200  # the first page


def test_topic_page_costs_fixed_queries(client):
    topic = TopicFactory()
    newsroom(stories=2, questions_per_story=1, topic=topic)
    few = queries(client, topic.get_absolute_url())
    newsroom(stories=10, questions_per_story=4, topic=topic)
    cache.clear()
    assert queries(client, topic.get_absolute_url()) == few


# Search ------------------------------------------------------------------------------


def test_search_finds_live_stories_and_visible_questions_only(client):
    StoryFactory(headline="Soldiers cross at Al-Qaim")
    StoryFactory(headline="Soldiers cross again", draft=True)
    QuestionFactory(title="Will the soldiers return?")
    QuestionFactory(title="Will the soldiers stay?", status=Question.Status.DRAFT)
    page = text_of(client.get("/search/?q=soldiers"))
    assert "Soldiers cross at Al-Qaim" in page
    assert "Will the soldiers return?" in page
    assert "Soldiers cross again" not in page
    assert "Will the soldiers stay?" not in page


def test_search_without_matches_or_query_is_friendly(client):
    assert "No stories match." in text_of(client.get("/search/?q=zzzzqqq"))
    assert "Search stories and forecast questions" in text_of(client.get("/search/"))
    assert client.get("/search/?q=" + "x" * 5000).status_code == 200
    assert client.get("/search/?q=%22%27%28%29%26%7C%21").status_code == 200


@pytest.mark.postgres
def test_postgres_search_ranks_headline_matches_first_and_stems_words(client):
    StoryFactory(headline="Budget talks", body="Soldiers were mentioned in passing.")
    StoryFactory(headline="Soldiers surrender at the border", body="Nothing else.")
    page = text_of(client.get("/search/?q=soldier"))  # stemmed: soldier ~ soldiers
    assert page.index("Soldiers surrender") < page.index("Budget talks")


@pytest.mark.postgres
def test_postgres_search_uses_the_gin_index():
    from news.models import Story

    for n in range(30):
        StoryFactory(headline=f"Story {n}")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = Story.objects.search("soldiers").query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "story_search_idx" in plan


# Feeds, sitemap, robots ------------------------------------------------------------------


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


# Sharing -------------------------------------------------------------------------------


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


def test_only_the_embed_view_may_be_framed(client):
    question = QuestionFactory()
    embed = client.get(f"/questions/{question.slug}/embed/")
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed
    assert "frame-ancestors *" in embed["Content-Security-Policy"]
    page = client.get(question.get_absolute_url())
    assert page["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]


# HTTP caching ------------------------------------------------------------------------------


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


def test_the_site_stays_up_when_redis_is_down(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "config.redis_cache.ForgivingRedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens on the discard port
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    # The settings fixture swaps the cache handler, so this really talks to a dead Redis.
    settings.PUBLIC_RESPONSE_CACHE = True  # its lookups and counts fail: misses, let through
    StoryQuestionFactory()
    for _ in range(2):
        assert client.get("/").status_code == 200
        assert client.get("/questions/").status_code == 200
        assert client.get("/api/v1/questions/").status_code == 200


# Errors ------------------------------------------------------------------------------------


def test_not_found_pages_are_friendly(client):
    response = client.get("/stories/no-such-story/")
    assert response.status_code == 404
    assert "We could not find that page" in text_of(response)


def test_server_error_page_stands_alone():
    from django.template.loader import render_to_string

    assert "Something went wrong on our side" in render_to_string("500.html")


def test_the_redis_cache_works_when_redis_is_up(settings):
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.2).close()
    except OSError:
        pytest.skip("needs Redis on 127.0.0.1:6379")
    settings.CACHES = {
        "default": {"BACKEND": "config.redis_cache.ForgivingRedisCache",
                    "LOCATION": "redis://127.0.0.1:6379/9"}
    }  # fmt: skip
    from django.core.cache import cache as redis_cache

    redis_cache.set("probe", {"a": 1})
    assert redis_cache.get("probe") == {"a": 1}
    assert redis_cache.add("counter", 1)
    assert redis_cache.incr("counter") == 2
    assert [redis_cache.count("hits", 60) for _ in range(3)] == [1, 2, 3]
    # The response cache's one round trip: a count, and the entries asked for that exist.
    assert redis_cache.count_and_get_many("hits", 60, ["probe", "absent"]) == (
        4,
        {"probe": {"a": 1}},
    )
    raw = redis_cache._cache.get_client()
    assert 0 < raw.ttl(redis_cache.make_key("hits")) <= 60  # the window ends on its own
    redis_cache.clear()
