"""What an editor notices in the admin: choices that tell questions apart, new rows that
come numbered, labels that read naturally, the leading option in the question list."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from forecasts import outcomes
from forecasts.forecasting import record_forecast
from forecasts.models import Question
from tests.client_helpers import errors_of, inline, queries_for, split_datetime
from tests.factories import (
    QuestionFactory,
    StoryFactory,
    StoryQuestionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

QUESTIONS = reverse("admin:forecasts_question_changelist")


def forecast(question, probabilities):
    """A reader's forecast through the write path, so the running sums are right."""
    record_forecast(UserFactory(), question.pk, {str(o.pk): p for o, p in probabilities.items()})


def test_question_choices_show_the_whole_title_and_the_state(client, editor):
    QuestionFactory(title="Predominant reason cited by Syrian soldiers for crossing into Iraq?")
    draft = QuestionFactory(title="Predominant reason for returning to Syria?", status="draft")
    answer = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "forecasts", "model_name": "storyquestion", "field_name": "question",
         "term": "predominant"},
    )  # fmt: skip
    texts = sorted(result["text"] for result in answer.json()["results"])
    assert texts == [
        "Draft · Predominant reason for returning to Syria?",
        "Open · Predominant reason cited by Syrian soldiers for crossing into Iraq?",
    ]
    story = StoryFactory()
    StoryQuestionFactory(story=story, question=draft)
    page = client.get(reverse("admin:news_story_change", args=[story.pk])).content.decode()
    assert "Draft · Predominant reason for returning to Syria?" in page


def test_new_rows_come_numbered_after_the_last(client, editor):
    page = client.get(reverse("admin:forecasts_question_add")).content.decode()
    for index in range(4):
        assert f'name="options-{index}-position" value="{index}"' in page
    story = StoryFactory()
    StoryQuestionFactory(story=story, position=0)
    StoryQuestionFactory(story=story, position=1)
    page = client.get(reverse("admin:news_story_change", args=[story.pk])).content.decode()
    assert 'name="links-2-position" value="2"' in page
    assert "js/admin-positions.js" in page


def test_a_row_left_without_a_position_goes_last(client, editor):
    rows = [{"position": "0", "label": "Alpha"}, {"position": "", "label": "Bravo"},
            {"position": "1", "label": "Charlie"}]  # fmt: skip
    now = timezone.now()
    data = {
        "title": "Which?", "slug": "which", "kind": "multiple_choice", "description": "",
        "resolution_criteria": "Officials", "status": "draft", "review_note": "",
        **split_datetime("opens_at", now), **split_datetime("closes_at", now + timedelta(days=9)),
        **inline("options", rows), **inline("links", []),
    }  # fmt: skip
    response = client.post(reverse("admin:forecasts_question_add"), data)
    assert response.status_code == 302, errors_of(response)
    question = Question.objects.get()
    assert [(o.label, o.position) for o in question.options.all()] == [
        ("Alpha", 0), ("Charlie", 1), ("Bravo", 2),
    ]  # fmt: skip


def test_inline_buttons_read_naturally(client, editor):
    question = QuestionFactory()
    page = client.get(reverse("admin:forecasts_question_change", args=[question.pk]))
    html = page.content.decode()
    assert "&quot;addText&quot;: &quot;Add another option&quot;" in html
    assert "&quot;addText&quot;: &quot;Add another story&quot;" in html
    html = client.get(reverse("admin:news_story_add")).content.decode()
    assert "&quot;addText&quot;: &quot;Add another question&quot;" in html


@pytest.mark.usefixtures("mean_aggregate")  # numbers of the mean
def test_the_question_list_shows_the_leading_option_and_its_probability(client, editor):
    leading = QuestionFactory(title="Leading?", options=["Granted asylum", "Returned"])
    granted, returned = leading.options.all()
    forecast(leading, {granted: 0.3, returned: 0.7})
    QuestionFactory(title="Untouched?")
    resolved = QuestionFactory(title="Settled?", binary=True)
    outcomes.resolve(resolved, resolved.options.get(label="No"), "Reported.")
    page = client.get(QUESTIONS).content.decode()
    assert "Returned · 70%" in page
    assert 'title="No forecasts yet">—</span>' in page
    assert "✓ No" in page


def test_the_question_list_costs_the_same_queries_for_5_and_50_rows_with_forecasts(client, editor):
    def add(count):
        for _ in range(count):
            question = QuestionFactory(options=["A", "B"])
            forecast(question, dict(zip(question.options.all(), [0.6, 0.4], strict=True)))

    add(5)
    five = queries_for(client, QUESTIONS)
    add(45)
    assert queries_for(client, QUESTIONS) == five


def test_the_import_page_names_stories_by_headline_and_publication(client, editor):
    story = StoryFactory(headline="Soldiers cross at Al-Qaim", draft=True)
    text = "Will Iraq reopen Al-Qaim by June 30, 2027?\nYes • 50%\nNo • 50%\nOfficials"
    response = client.post(
        reverse("admin:forecasts_question_import"),
        {"text": text, "story": story.pk, "closes_at_0": "", "closes_at_1": ""},
    )
    assert "Draft · Soldiers cross at Al-Qaim" in response.content.decode()
