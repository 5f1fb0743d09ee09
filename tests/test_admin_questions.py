"""Editors run questions in the admin: options, rules as form errors, close, resolve, annul."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from forecasts import outcomes
from forecasts.models import Option, Question
from tests.client_helpers import errors_of, inline, queries_for, split_datetime
from tests.factories import (
    ForecastFactory,
    QuestionFactory,
    StoryFactory,
    StoryQuestionFactory,
)

pytestmark = pytest.mark.django_db

ADD = reverse("admin:forecasts_question_add")
CHANGELIST = reverse("admin:forecasts_question_changelist")


def question_post(options=(), initial_options=0, links=(), **fields):
    now = timezone.now()
    data = {
        "title": "Predominant reason cited by Syrian soldiers for crossing into Iraq?",
        "slug": "reason-for-crossing",
        "kind": "multiple_choice",
        "description": "",
        "resolution_criteria": "Reports from interviews or official statements",
        "status": "published",
        **split_datetime("opens_at", fields.pop("opens_at", now - timedelta(hours=1))),
        **split_datetime("closes_at", fields.pop("closes_at", now + timedelta(days=30))),
        **inline("options", list(options), initial_options),
        **inline("links", list(links)),
        **fields,
    }
    return data


def labels(*names):
    return [{"position": str(i), "label": name} for i, name in enumerate(names)]


def change_url(question):
    return reverse("admin:forecasts_question_change", args=[question.pk])


def test_editor_creates_a_question_with_ordered_options_and_a_story(client, editor):
    story = StoryFactory()
    response = client.post(
        ADD,
        question_post(
            options=labels("Fear of militia takeover", "Lack of supplies", "Seeking asylum"),
            links=[{"story": story.pk, "position": "0"}],
        ),
    )
    assert response.status_code == 302, errors_of(response)
    question = Question.objects.get()
    assert [o.label for o in question.options.all()] == [
        "Fear of militia takeover", "Lack of supplies", "Seeking asylum",
    ]  # fmt: skip
    assert list(question.stories.all()) == [story]
    assert question.is_open


def test_binary_question_gets_yes_and_no_by_itself(client, editor):
    response = client.post(ADD, question_post(kind="binary"))
    assert response.status_code == 302, errors_of(response)
    question = Question.objects.get()
    assert [o.label for o in question.options.all()] == ["Yes", "No"]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"options": labels("Family reunification", "Family Reunification")},
            "label",
            "“Family Reunification” is the same option as “Family reunification”.",
        ),
        ({"options": labels("Only one")}, None, "A question needs at least 2 options."),
        ({"options": []}, None, "A question needs at least 2 options."),
        (
            {"kind": "binary", "options": labels("Yes", "Maybe")},
            None,
            "A yes/no question has exactly the options “Yes” and “No”.".replace("“", '"')
            .replace("”", '"'),
        ),
        (
            {"options": labels("A", "B"), "closes_at": timezone.now() - timedelta(days=1),
             "opens_at": timezone.now()},
            "closes_at",
            "The close time must be after the open time.",
        ),
        ({"options": labels("A", "B"), "status": "resolved"}, "status", "Select a valid choice"),
    ],
)  # fmt: skip
def test_invalid_questions_come_back_with_the_error_and_write_nothing(
    client, editor, fields, field, message
):
    response = client.post(ADD, question_post(**fields))
    assert response.status_code == 200
    if field == "closes_at" or field == "status":
        assert message in str(response.context["adminform"].form.errors[field])
    else:
        assert message in errors_of(response)
    if field == "label":
        option_forms = response.context["inline_admin_formsets"][0].formset.forms
        assert message in str(option_forms[1].errors["label"])
    assert not Question.objects.exists()
    assert not Option.objects.exists()


def test_editor_renames_and_reorders_options(client, editor):
    question = QuestionFactory(options=["Alpha", "Bravo"])
    alpha, bravo = question.options.all()
    rows = [
        {"id": alpha.pk, "question": question.pk, "position": "1", "label": "Alpha (renamed)"},
        {"id": bravo.pk, "question": question.pk, "position": "0", "label": "Bravo"},
    ]
    response = client.post(
        change_url(question),
        question_post(slug=question.slug, options=rows, initial_options=2),
    )
    assert response.status_code == 302, errors_of(response)
    assert [o.label for o in question.options.all()] == ["Bravo", "Alpha (renamed)"]
    assert Version.objects.get_for_object(question).count() == 1
    version = Version.objects.get_for_object(question).get()
    assert {v.object_repr for v in version.revision.version_set.all()} >= {"Alpha (renamed)"}


def test_an_option_with_forecasts_cannot_be_deleted_but_can_be_renamed(client, editor):
    question = QuestionFactory(options=["Alpha", "Bravo", "Charlie"])
    ForecastFactory(question=question, probabilities=[0.5, 0.3, 0.2])
    alpha, bravo, charlie = question.options.all()
    rows = [
        {"id": alpha.pk, "question": question.pk, "position": "0", "label": "Alpha"},
        {"id": bravo.pk, "question": question.pk, "position": "1", "label": "Bravo"},
        {"id": charlie.pk, "question": question.pk, "position": "2", "label": "Charlie",
         "DELETE": "on"},
    ]  # fmt: skip
    response = client.post(
        change_url(question), question_post(slug=question.slug, options=rows, initial_options=3)
    )
    assert response.status_code == 200
    assert "“Charlie” already has forecasts, so it cannot be deleted; rename it instead." in (
        errors_of(response)
    )
    assert question.options.count() == 3
    rows[2] = {"id": charlie.pk, "question": question.pk, "position": "2", "label": "Other"}
    response = client.post(
        change_url(question), question_post(slug=question.slug, options=rows, initial_options=3)
    )
    assert response.status_code == 302, errors_of(response)
    assert question.options.get(pk=charlie.pk).label == "Other"


def test_close_now_action(client, editor):
    question = QuestionFactory()
    client.post(CHANGELIST, {"action": "close_now", "_selected_action": [question.pk]})
    question.refresh_from_db()
    assert question.state() == Question.State.CLOSED
    assert question.status == Question.Status.PUBLISHED  # closed is not resolved


def test_resolve_through_its_page(client, editor):
    question = QuestionFactory(options=["Granted asylum", "Returned to Syria"])
    response = client.post(CHANGELIST, {"action": "resolve", "_selected_action": [question.pk]})
    resolve_url = reverse("admin:forecasts_question_resolve", args=[question.pk])
    assert response.url == resolve_url
    page = client.get(resolve_url).content.decode()
    assert "Returned to Syria" in page
    winner = question.options.get(label="Returned to Syria")
    response = client.post(resolve_url, {"option": winner.pk, "note": "Handed over on Dec 19."})
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.status == Question.Status.RESOLVED
    assert question.resolved_option == winner
    assert question.resolution_note == "Handed over on Dec 19."
    assert question.state() == Question.State.RESOLVED
    assert Version.objects.get_for_object(question).get().revision.comment == "Resolved"


def test_resolve_refuses_another_questions_option_or_a_missing_note(client, editor):
    question = QuestionFactory()
    stranger = QuestionFactory().options.first()
    resolve_url = reverse("admin:forecasts_question_resolve", args=[question.pk])
    response = client.post(resolve_url, {"option": stranger.pk, "note": "x"})
    assert response.status_code == 200
    assert "option" in response.context["form"].errors
    response = client.post(resolve_url, {"option": question.options.first().pk, "note": ""})
    assert "note" in response.context["form"].errors
    question.refresh_from_db()
    assert question.status == Question.Status.PUBLISHED


def test_resolve_action_wants_exactly_one_question(client, editor):
    a, b = QuestionFactory(), QuestionFactory()
    response = client.post(
        CHANGELIST, {"action": "resolve", "_selected_action": [a.pk, b.pk]}, follow=True
    )
    assert "Resolve one question at a time" in response.content.decode()


def test_annul_action_voids_the_question(client, editor):
    question = QuestionFactory(binary=True)
    client.post(CHANGELIST, {"action": "annul", "_selected_action": [question.pk]})
    question.refresh_from_db()
    assert question.state() == Question.State.ANNULLED
    assert question.resolved_option is None  # annulled is not "No"
    response = client.post(
        CHANGELIST, {"action": "annul", "_selected_action": [question.pk]}, follow=True
    )
    assert "is already annulled" in response.content.decode()


def test_a_resolved_question_cannot_be_edited_back_to_open(client, editor):
    question = QuestionFactory()
    outcomes.resolve(question, question.options.first(), "Settled.")
    page = client.get(change_url(question)).content.decode()
    assert 'name="status"' not in page
    assert 'name="closes_at_0"' not in page
    rows = [
        {"id": o.pk, "question": question.pk, "position": str(i), "label": o.label}
        for i, o in enumerate(question.options.all())
    ]
    data = question_post(
        slug=question.slug,
        status="published",
        closes_at=timezone.now() + timedelta(days=60),
        options=rows,
        initial_options=len(rows),
    )
    client.post(change_url(question), data)
    question.refresh_from_db()
    assert question.status == Question.Status.RESOLVED
    assert question.state() == Question.State.RESOLVED


def test_changelist_state_filter_covers_every_state(client, editor):
    now = timezone.now()
    titles = {
        "open": QuestionFactory(title="An open one?"),
        "upcoming": QuestionFactory(title="A future one?", opens_at=now + timedelta(days=1)),
        "closed": QuestionFactory(title="A closed one?"),
        "resolved": QuestionFactory(title="A resolved one?"),
        "annulled": QuestionFactory(title="An annulled one?"),
        "draft": QuestionFactory(title="A draft one?", status="draft"),
    }
    outcomes.close(titles["closed"])
    outcomes.resolve(titles["resolved"], titles["resolved"].options.first())
    outcomes.annul(titles["annulled"])
    for state in titles:
        page = client.get(CHANGELIST, {"state": state}).content.decode()
        shown = {other for other, q in titles.items() if q.title in page}
        assert shown == {state}, (state, shown)


def test_changelist_filters_by_state_and_kind(client, editor):
    QuestionFactory(title="Open one?")
    closed = QuestionFactory(title="Closed one?")
    outcomes.close(closed)
    QuestionFactory(title="Binary one?", binary=True)
    page = client.get(CHANGELIST, {"state": "closed"}).content.decode()
    assert "Closed one?" in page
    assert "Open one?" not in page
    page = client.get(CHANGELIST, {"kind__exact": "binary"}).content.decode()
    assert "Binary one?" in page
    assert "Open one?" not in page
    page = client.get(CHANGELIST, {"q": "Open one"}).content.decode()
    assert "Open one?" in page
    assert "Closed one?" not in page


def test_question_changelist_costs_the_same_queries_for_5_and_50_rows(client, editor):
    story = StoryFactory()
    for _ in range(5):
        StoryQuestionFactory(story=story)
    five = queries_for(client, CHANGELIST)
    for _ in range(45):
        StoryQuestionFactory(story=story)
    assert queries_for(client, CHANGELIST) == five


def test_changelist_links_to_the_demo_questions_alone(client, editor):
    QuestionFactory(title="Invented question?", is_demo=True)
    QuestionFactory(title="Real question?")
    page = client.get(CHANGELIST).content.decode()
    assert '<a href="?is_demo__exact=1"' in page
    demo = client.get(CHANGELIST, {"is_demo__exact": "1"}).content.decode()
    assert "Invented question?" in demo
    assert "Real question?" not in demo
    assert '<a href="?">All questions</a>' in demo
