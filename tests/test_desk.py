"""The desk: the day's work for editors, each list with its count, and the counts as
badges on the admin's index, at a fixed number of queries."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone

from config import workflow
from forecasts import outcomes
from forecasts.models import Question
from tests.client_helpers import queries_for, text_of
from tests.factories import (
    EditorFactory,
    QuestionFactory,
    ReporterFactory,
    StoryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DESK = reverse("admin:desk")
INDEX = reverse("admin:index")


def closed_question(title, days_ago, source="Official statements"):
    question = QuestionFactory(
        title=title,
        resolution_criteria=source,
        opens_at=timezone.now() - timedelta(days=days_ago + 30),
        closes_at=timezone.now() - timedelta(days=days_ago),
    )
    return question


def section(page, key):
    """The text of one list on the desk page."""
    html = page.content.decode()
    start = html.index(f'id="{key}"')
    end = html.find('<section class="module', start + 1)
    return text_of(HttpResponse(html[start : end if end > 0 else None]))


def desk_of(client):
    response = client.get(DESK)
    assert response.status_code == 200
    return response


def test_questions_awaiting_an_outcome_oldest_first_with_source_and_resolve_link(client, editor):
    older = closed_question("Did the soldiers return?", 20, source="UNHCR statements")
    newer = closed_question("Did the crossing close?", 2)
    QuestionFactory(title="Still open?")
    resolved = closed_question("Already settled?", 30)
    outcomes.resolve(resolved, resolved.options.first(), "Settled.")
    response = desk_of(client)
    awaiting = section(response, "awaiting")
    assert "Closed, awaiting resolution 2" in awaiting
    assert awaiting.index(older.title) < awaiting.index(newer.title)
    assert "UNHCR statements" in awaiting
    assert "Still open?" not in awaiting
    assert "Already settled?" not in awaiting
    html = response.content.decode()
    assert reverse("admin:forecasts_question_resolve", args=[older.pk]) in html


def test_reporters_see_the_queue_but_no_resolve_link(client, reporter):
    question = closed_question("Did the soldiers return?", 3)
    html = desk_of(client).content.decode()
    assert question.title in html
    assert reverse("admin:forecasts_question_resolve", args=[question.pk]) not in html


def test_closing_within_a_week_and_the_schedule_by_day(client, editor):
    now = timezone.now()
    QuestionFactory(title="Closes in two days?", closes_at=now + timedelta(days=2))
    QuestionFactory(title="Closes next month?", closes_at=now + timedelta(days=40))
    day = timezone.localtime(now + timedelta(days=3)).replace(hour=9, minute=0)
    StoryFactory(headline="Embargoed interview", published_at=day)
    QuestionFactory(
        title="Will talks resume?",
        opens_at=day + timedelta(hours=2),
        closes_at=day + timedelta(days=30),
    )
    StoryFactory(headline="Far future story", published_at=day + timedelta(days=5))
    response = desk_of(client)
    closing = section(response, "closing")
    assert "Closing within 7 days 1" in closing
    assert "Closes in two days?" in closing
    assert "Closes next month?" not in closing
    scheduled = section(response, "scheduled")
    assert "Scheduled 3" in scheduled
    heading = f"{day:%A} {day.day} {day:%B %Y}"
    assert heading in scheduled
    assert "09:00 Story goes live Embargoed interview" in scheduled
    assert "11:00 Question opens Will talks resume?" in scheduled
    assert scheduled.index(heading) < scheduled.index("Far future story")


def test_what_waits_for_review_and_what_was_sent_back(client):
    rami, amira = ReporterFactory(username="rami"), EditorFactory(username="amira")
    story = StoryFactory(draft=True, headline="Soldiers cross at Al-Qaim")
    question = QuestionFactory(status="draft", title="Will Iraq hand the tanks back?")
    workflow.move(story, rami, "in_review", "Ready.")
    workflow.move(question, rami, "in_review")
    sent = StoryFactory(draft=True, headline="Casualty figures")
    workflow.move(sent, rami, "in_review")
    workflow.move(sent, amira, "draft", "Source the figures.")
    client.force_login(amira)
    response = desk_of(client)
    review = section(response, "review")
    assert "Waiting for review 2" in review
    assert "by rami" in review
    assert "Story Soldiers cross at Al-Qaim Submitted for review: Ready." in review
    assert "Question Will Iraq hand the tanks back?" in review
    back = section(response, "sent_back")
    assert "Sent back for changes 1" in back
    assert "Casualty figures Changes requested: Source the figures." in back
    activity = section(response, "activity")
    assert activity.index("Changes requested: Source the figures.") < activity.index(
        "Submitted for review: Ready."
    )
    assert "amira" in activity


def test_the_index_shows_the_counts_as_badges(client, editor):
    closed_question("Did the soldiers return?", 3)
    closed_question("Did the crossing close?", 4)
    StoryFactory(scheduled=True)
    page = text_of(client.get(INDEX))
    assert "The desk: today's work" in page
    assert "Awaiting resolution 2" in page
    assert "Scheduled 1" in page
    assert "Waiting for review 0" in page
    assert f'href="{DESK}#awaiting"' in client.get(INDEX).content.decode()


def test_the_demo_desk_shows_its_twelve_closed_questions(client, editor):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    expected = Question.objects.awaiting_resolution().count()
    assert expected >= 1
    assert f"Awaiting resolution {expected}" in text_of(client.get(INDEX))


def test_staff_outside_the_desk_groups_get_neither_desk_nor_badges(client):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(DESK).status_code == 403
    assert "The desk" not in client.get(INDEX).content.decode()
    client.logout()
    assert client.get(DESK).status_code == 302  # to the login


def newsroom_work(count):
    now = timezone.now()
    rami, amira = ReporterFactory(), EditorFactory()
    for n in range(count):
        closed_question(f"Closed {n}?", n + 1)
        QuestionFactory(closes_at=now + timedelta(days=3))
        StoryFactory(scheduled=True)
        QuestionFactory(opens_at=now + timedelta(days=2), closes_at=now + timedelta(days=9))
        story, question = StoryFactory(draft=True), QuestionFactory(status="draft")
        workflow.move(story, rami, "in_review")
        workflow.move(question, rami, "in_review")
        sent = StoryFactory(draft=True)
        workflow.move(sent, rami, "in_review")
        workflow.move(sent, amira, "draft", "Fix it.")


def test_the_desk_and_the_index_cost_the_same_queries_for_2_and_10_of_everything(client, editor):
    newsroom_work(2)
    desk, index = queries_for(client, DESK), queries_for(client, INDEX)
    newsroom_work(8)
    assert (queries_for(client, DESK), queries_for(client, INDEX)) == (desk, index)


def test_the_desk_page_query_count(client, editor, django_assert_num_queries):
    newsroom_work(3)
    # user (the session comes from the cache), the user's permissions (2), 8 counts,
    # 8 lists, the recent revisions and their versions
    with django_assert_num_queries(21):
        client.get(DESK)
