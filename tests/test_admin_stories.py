"""Editors publish stories in the admin: create, schedule, publish, link, reorder."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from forecasts.models import StoryQuestion
from news.models import Story
from tests.client_helpers import errors_of, inline, queries_for, split_datetime
from tests.factories import (
    QuestionFactory,
    StoryFactory,
    StoryQuestionFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

ADD = reverse("admin:news_story_add")
CHANGELIST = reverse("admin:news_story_changelist")


def story_post(links=(), initial_links=0, **fields):
    published_at = fields.pop("published_at", None)
    data = {
        "headline": "Iraq Hands 1,905 Syrian Soldiers Back to Syria at Al-Qaim",
        "slug": "iraq-hands-soldiers-back",
        "summary": "",
        "body": "Iraq's military said on Thursday...",
        "source_name": "Reuters",
        "source_url": "https://example.com/story",
        "dateline": "Baghdad",
        "status": "draft",
        "published_at_0": "",
        "published_at_1": "",
        **inline("links", list(links), initial_links),
        **fields,
    }
    if published_at:
        data.update(split_datetime("published_at", published_at))
    return data


def test_editor_creates_a_story_with_three_linked_questions_in_order(client, editor):
    topic = TopicFactory(name="Iraq")
    questions = [QuestionFactory() for _ in range(3)]
    response = client.post(
        ADD,
        story_post(
            status="published",
            published_at=timezone.now() - timedelta(minutes=1),
            topics=[topic.pk],
            links=[
                {"position": "2", "question": questions[2].pk},
                {"position": "0", "question": questions[0].pk},
                {"position": "1", "question": questions[1].pk},
            ],
        ),
    )
    assert response.status_code == 302, errors_of(response)
    story = Story.objects.get(slug="iraq-hands-soldiers-back")
    assert story.is_live
    assert story.author == editor
    assert list(story.topics.all()) == [topic]
    assert [link.question for link in story.links.all()] == questions
    # A reader now sees it, featured question first.
    page = client.get(story.get_absolute_url()).content.decode()
    assert page.index(questions[0].title) < page.index(questions[1].title)


def test_a_future_publication_time_schedules_the_story(client, editor):
    when = timezone.now() + timedelta(days=2)
    response = client.post(ADD, story_post(status="published", published_at=when))
    assert response.status_code == 302, errors_of(response)
    story = Story.objects.get()
    assert story.publication == "Scheduled"
    assert not Story.objects.live().exists()
    client.logout()
    assert client.get(story.get_absolute_url()).status_code == 404


def test_publishing_without_a_time_is_refused_on_that_field(client, editor):
    response = client.post(ADD, story_post(status="published"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["published_at"] == [
        "A published story needs a publication time."
    ]
    assert not Story.objects.exists()


def test_duplicate_slug_is_refused_and_nothing_is_written(client, editor):
    StoryFactory(slug="iraq-hands-soldiers-back")
    question = QuestionFactory()
    response = client.post(ADD, story_post(links=[{"position": "0", "question": question.pk}]))
    assert response.status_code == 200
    assert "slug" in response.context["adminform"].form.errors
    assert Story.objects.count() == 1
    assert not StoryQuestion.objects.exists()


def test_linking_the_same_question_twice_is_a_form_error(client, editor):
    question = QuestionFactory()
    response = client.post(
        ADD,
        story_post(
            links=[
                {"position": "0", "question": question.pk},
                {"position": "1", "question": question.pk},
            ]
        ),
    )
    assert response.status_code == 200
    assert "Please correct the duplicate data for question" in errors_of(response)
    assert not Story.objects.exists()


def test_editor_reorders_linked_questions(client, editor):
    story = StoryFactory()
    first = StoryQuestionFactory(story=story, position=0)
    second = StoryQuestionFactory(story=story, position=1)
    data = story_post(
        headline=story.headline,
        body=story.body,
        slug=story.slug,
        status="published",
        published_at=story.published_at,
        initial_links=2,
        links=[
            {"id": first.pk, "story": story.pk, "position": "1", "question": first.question_id},
            {"id": second.pk, "story": story.pk, "position": "0", "question": second.question_id},
        ],
    )
    response = client.post(reverse("admin:news_story_change", args=[story.pk]), data)
    assert response.status_code == 302, errors_of(response)
    assert [link.question for link in story.links.all()] == [second.question, first.question]


def test_publish_and_unpublish_actions(client, editor):
    draft = StoryFactory(draft=True)
    scheduled = StoryFactory(draft=True, published_at=timezone.now() + timedelta(days=1))
    client.post(CHANGELIST, {"action": "publish", "_selected_action": [draft.pk, scheduled.pk]})
    draft.refresh_from_db()
    scheduled.refresh_from_db()
    assert draft.publication == "Live"
    assert scheduled.publication == "Scheduled"  # publishing keeps its future time
    client.post(CHANGELIST, {"action": "unpublish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.publication == "Draft"
    comments = Version.objects.get_for_object(draft).values_list("revision__comment", flat=True)
    assert set(comments) == {"Published", "Unpublished"}


def test_view_on_site_of_a_draft_is_its_staff_preview(client, editor):
    draft = StoryFactory(draft=True, headline="Embargoed until Friday")
    response = client.get(reverse("admin:news_story_change", args=[draft.pk]))
    preview = reverse("news:story_preview", args=[draft.slug])
    assert preview in response.content.decode()
    page = client.get(preview)
    assert page.status_code == 200
    assert "Embargoed until Friday" in page.content.decode()
    assert "Readers cannot see this page yet" in page.content.decode()
    client.logout()
    assert client.get(preview).status_code == 302  # to the admin login
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_every_change_is_in_the_history_with_who(client, editor):
    response = client.post(ADD, story_post())
    story = Story.objects.get()
    client.post(
        reverse("admin:news_story_change", args=[story.pk]),
        story_post(headline="A corrected headline"),
    )
    versions = Version.objects.get_for_object(story)
    assert response.status_code == 302
    assert versions.count() == 2
    assert {v.revision.user for v in versions} == {editor}
    old = versions.last()
    assert old.field_dict["headline"].startswith("Iraq Hands 1,905")
    history = client.get(reverse("admin:news_story_history", args=[story.pk]))
    assert editor.username in history.content.decode()
    earlier = client.get(
        reverse("admin:news_story_revision", args=[story.pk, old.pk])
    ).content.decode()
    assert "Iraq Hands 1,905" in earlier


def test_changelist_shows_status_topics_and_question_count(client, editor):
    story = StoryFactory(headline="Border story", topics=[TopicFactory(name="Syria")])
    StoryQuestionFactory(story=story)
    StoryQuestionFactory(story=story)
    StoryFactory(headline="Later story", scheduled=True)
    page = client.get(CHANGELIST).content.decode()
    assert "Border story" in page
    assert "Syria" in page
    assert '<td class="field-question_count">2</td>' in page
    assert "Scheduled" in page
    StoryFactory(headline="Unfinished story", draft=True)
    for publication, headline in [("live", "Border story"), ("scheduled", "Later story"),
                                  ("draft", "Unfinished story")]:  # fmt: skip
        filtered = client.get(CHANGELIST, {"publication": publication}).content.decode()
        shown = {h for h in ("Border story", "Later story", "Unfinished story") if h in filtered}
        assert shown == {headline}
    found = client.get(CHANGELIST, {"q": "Border"}).content.decode()
    assert "Border story" in found
    assert "Later story" not in found


def test_story_changelist_costs_the_same_queries_for_5_and_50_rows(client, editor):
    topics = [TopicFactory(), TopicFactory()]
    for _ in range(5):
        StoryQuestionFactory(story=StoryFactory(topics=topics))
    five = queries_for(client, CHANGELIST)
    for _ in range(45):
        StoryQuestionFactory(story=StoryFactory(topics=topics))
    assert queries_for(client, CHANGELIST) == five


def test_changelist_marks_demo_stories_and_filters_by_it(client, editor):
    StoryFactory(headline="Invented follow-up", is_demo=True)
    StoryFactory(headline="Real reporting")
    page = client.get(CHANGELIST).content.decode()
    assert "column-is_demo" in page
    assert page.count('icon-yes.svg" alt="True"') == 1  # the admin's tick, on the demo row
    demo = client.get(CHANGELIST, {"is_demo__exact": "1"}).content.decode()
    assert "Invented follow-up" in demo
    assert "Real reporting" not in demo


def test_an_editor_cannot_untick_demo_on_a_story(client, editor):
    story = StoryFactory(is_demo=True)
    page = client.get(reverse("admin:news_story_change", args=[story.pk])).content.decode()
    assert 'name="is_demo"' not in page
    assert "Invented by" in page  # its help text, beside the read-only value
