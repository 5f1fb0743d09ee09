"""Question rules: derived open/closed state, option sets, times and resolution."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from forecasts import forecasting, outcomes
from forecasts.models import Forecast, Option, Question
from tests.factories import ForecastFactory, QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def question_at(opens, closes, **kwargs):
    return QuestionFactory(opens_at=NOW + opens, closes_at=NOW + closes, **kwargs)


@pytest.mark.parametrize(
    ("opens", "closes", "status", "state"),
    [
        (timedelta(days=-1), timedelta(days=1), Question.Status.PUBLISHED, Question.State.OPEN),
        (timedelta(days=1), timedelta(days=2), Question.Status.PUBLISHED, Question.State.UPCOMING),
        (timedelta(days=-2), timedelta(days=-1), Question.Status.PUBLISHED, Question.State.CLOSED),
        (timedelta(days=-1), timedelta(days=1), Question.Status.DRAFT, Question.State.DRAFT),
        (timedelta(days=-1), timedelta(days=1), Question.Status.ANNULLED, Question.State.ANNULLED),
    ],
)
def test_state_is_derived_from_status_and_the_clock(opens, closes, status, state):
    question = question_at(opens, closes, status=status)
    assert question.state(now=NOW) == state


def test_question_closes_exactly_at_closes_at():
    question = question_at(timedelta(days=-1), timedelta(days=1))
    assert question.state(now=question.closes_at - timedelta(microseconds=1)) == "open"
    assert question.state(now=question.closes_at) == "closed"


def test_open_and_closed_querysets_agree_with_state():
    open_question = question_at(timedelta(days=-1), timedelta(days=1))
    closed_question = question_at(timedelta(days=-2), timedelta(days=-1))
    question_at(timedelta(days=1), timedelta(days=2))  # not open yet
    question_at(timedelta(days=-1), timedelta(days=1), status=Question.Status.DRAFT)
    assert list(Question.objects.open(now=NOW)) == [open_question]
    assert list(Question.objects.closed(now=NOW)) == [closed_question]
    assert open_question.is_open
    assert closed_question.is_closed
    assert not closed_question.is_open


def test_closed_is_not_resolved_and_annulled_is_not_no():
    closed = question_at(timedelta(days=-2), timedelta(days=-1), binary=True)
    annulled = question_at(
        timedelta(days=-2), timedelta(days=-1), binary=True, status=Question.Status.ANNULLED
    )
    assert closed.state() == Question.State.CLOSED
    assert annulled.state() == Question.State.ANNULLED
    assert annulled.resolved_option is None
    assert not Question.objects.closed().filter(pk=annulled.pk).exists()


def test_drafts_are_not_visible_to_readers():
    visible = QuestionFactory()
    QuestionFactory(status=Question.Status.DRAFT)
    assert list(Question.objects.visible()) == [visible]


def test_close_time_must_be_after_open_time():
    question = QuestionFactory.build(opens_at=NOW, closes_at=NOW)
    with pytest.raises(ValidationError) as error:
        question.full_clean()
    assert error.value.message_dict["closes_at"] == ["The close time must be after the open time."]


@pytest.mark.parametrize(
    ("kind", "labels", "message"),
    [
        ("multiple_choice", ["Only one"], "at least 2 options"),
        ("multiple_choice", [], "at least 2 options"),
        ("multiple_choice", ["Family reunification", "Family Reunification"], "case ignored"),
        ("multiple_choice", ["Other", " other "], "case ignored"),
        ("multiple_choice", ["A", ""], "needs a label"),
        ("binary", ["Yes", "Maybe"], 'exactly the options "Yes" and "No"'),
        ("binary", ["Yes", "No", "Maybe"], 'exactly the options "Yes" and "No"'),
        ("binary", ["Yes"], "at least 2 options"),
    ],
)
def test_bad_option_sets_are_refused_with_a_clear_message(kind, labels, message):
    with pytest.raises(ValidationError) as error:
        Question.check_option_labels(kind, labels)
    assert any(message in text for text in error.value.messages)


@pytest.mark.parametrize(
    ("kind", "labels"),
    [("binary", ["No", "Yes"]), ("binary", ["yes", "no"]), ("multiple_choice", ["A", "B"])],
)
def test_good_option_sets_pass(kind, labels):
    Question.check_option_labels(kind, labels)


def test_a_resolved_question_needs_its_winning_option():
    question = QuestionFactory.build(status=Question.Status.RESOLVED, resolved_at=NOW)
    with pytest.raises(ValidationError) as error:
        question.full_clean()
    assert "resolved_option" in error.value.message_dict


def test_the_winning_option_must_be_the_questions_own():
    question = QuestionFactory()
    other = QuestionFactory()
    question.status = Question.Status.RESOLVED
    question.resolved_at = NOW
    question.resolved_option = other.options.first()
    with pytest.raises(ValidationError) as error:
        question.full_clean()
    assert error.value.message_dict["resolved_option"] == [
        "The winning option must be one of this question's."
    ]
    question.resolved_option = question.options.first()
    question.full_clean()


def test_an_unresolved_question_has_no_winning_option():
    question = QuestionFactory()
    question.resolved_option = question.options.first()
    with pytest.raises(ValidationError) as error:
        question.full_clean()
    assert "resolved_option" in error.value.message_dict


def test_option_labels_are_unique_per_question_ignoring_case():
    question = QuestionFactory(options=["Family reunification", "Other"])
    duplicate = question.options.model(question=question, label="Family Reunification")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "already has an option with that label" in str(error.value)
    # The same label on another question is fine.
    QuestionFactory(options=["Family Reunification", "Other"])


def test_community_forecast_without_forecasts_is_uniform():
    question = QuestionFactory()
    assert [percent for _, _, percent in question.community_forecast()] == [25, 25, 25, 25]
    binary = QuestionFactory(binary=True)
    assert [(o.label, p) for o, _, p in binary.community_forecast()] == [("Yes", 50), ("No", 50)]


def test_options_keep_their_order():
    question = QuestionFactory(options=["Zulu", "Alpha", "Mike"])
    assert [o.label for o in question.options.all()] == ["Zulu", "Alpha", "Mike"]


@pytest.mark.parametrize("settle", ["resolve", "annul"])
def test_a_settled_question_cannot_be_reopened_through_the_model(settle):
    question = QuestionFactory()
    if settle == "resolve":
        outcomes.resolve(question, question.options.first(), "Settled.")
    else:
        outcomes.annul(question, "Unclear.")
    question.status = Question.Status.PUBLISHED
    question.resolved_option = None
    with pytest.raises(ValidationError) as error:
        question.full_clean()
    assert "its outcome is final" in error.value.message_dict["status"][0]


def test_resolve_refuses_an_option_of_another_question_and_a_draft():
    question = QuestionFactory()
    with pytest.raises(ValidationError):
        outcomes.resolve(question, QuestionFactory().options.first())
    draft = QuestionFactory(status=Question.Status.DRAFT)
    with pytest.raises(ValidationError, match="only a published question can be resolved"):
        outcomes.resolve(draft, draft.options.first())
    question.refresh_from_db()
    assert question.status == Question.Status.PUBLISHED


def test_resolving_an_open_question_closes_it_now():
    question = QuestionFactory()
    outcomes.resolve(question, question.options.last(), "Early news.")
    assert question.closes_at <= timezone.now()
    assert question.state() == Question.State.RESOLVED


@pytest.mark.usefixtures("mean_aggregate")  # numbers of the mean
def test_community_forecast_follows_the_running_sums():
    question = QuestionFactory(options=["Stay", "Leave"])
    stay, leave = question.options.all()
    # Two readers: (0.7, 0.3) and (0.5, 0.5) -> 60% / 40%.
    # Written the way forecasts.forecasting writes them: by update, never by save().
    Option.objects.filter(pk=stay.pk).update(forecast_sum=1.2)
    Option.objects.filter(pk=leave.pk).update(forecast_sum=0.8)
    Question.objects.filter(pk=question.pk).update(forecaster_count=2)
    question = Question.objects.with_options().get(pk=question.pk)
    assert [(o.label, p) for o, _, p in question.community_forecast()] == [
        ("Stay", 60),
        ("Leave", 40),
    ]


def test_in_state_is_the_one_mapping_from_a_state_to_its_questions():
    made = {
        Question.State.OPEN: question_at(timedelta(days=-1), timedelta(days=1)),
        Question.State.UPCOMING: question_at(timedelta(days=1), timedelta(days=2)),
        Question.State.CLOSED: question_at(timedelta(days=-2), timedelta(days=-1)),
        Question.State.DRAFT: QuestionFactory(status=Question.Status.DRAFT),
    }
    resolved, annulled = QuestionFactory(), QuestionFactory()
    outcomes.resolve(resolved, resolved.options.first(), "Settled.")
    outcomes.annul(annulled, "Unclear.")
    made[Question.State.RESOLVED], made[Question.State.ANNULLED] = resolved, annulled
    for state, question in made.items():
        assert list(Question.objects.in_state(state)) == [question], state
        assert question.state() == state
    with pytest.raises(ValueError, match="not a question state"):
        Question.objects.in_state("sideways")


def test_check_schedule_refuses_a_close_at_or_before_the_open():
    Question.check_schedule(NOW, NOW + timedelta(seconds=1))
    Question.check_schedule(None, NOW)  # nothing to compare yet: other checks say so
    for closes in (NOW, NOW - timedelta(days=1)):
        with pytest.raises(ValidationError) as error:
            Question.check_schedule(NOW, closes)
        assert error.value.message_dict == {
            "closes_at": ["The close time must be after the open time."]
        }


def test_latest_per_reader_keeps_each_readers_newest_forecast_per_question():
    question, other = QuestionFactory(), QuestionFactory()
    reader, someone = UserFactory(), UserFactory()
    ForecastFactory(user=reader, question=question, created_at=NOW - timedelta(hours=2))
    newest = ForecastFactory(user=reader, question=question, created_at=NOW - timedelta(hours=1))
    elsewhere = ForecastFactory(user=reader, question=other, created_at=NOW - timedelta(days=1))
    theirs = ForecastFactory(user=someone, question=question, created_at=NOW - timedelta(days=3))
    # Two at the same moment: the later row wins, as it was written last.
    tie = ForecastFactory(user=someone, question=other, created_at=NOW)
    tie_later = ForecastFactory(user=someone, question=other, created_at=NOW)
    assert tie_later.pk > tie.pk
    assert set(Forecast.objects.latest_per_reader()) == {newest, elsewhere, theirs, tie_later}


def test_deleting_questions_with_forecasts_takes_the_forecasts_along():
    question, other = QuestionFactory(binary=True), QuestionFactory(binary=True)
    for each in (question, other):
        yes, no = each.options.all()
        forecasting.record_forecast(UserFactory(), each.pk, {yes.pk: 0.7, no.pk: 0.3})
    Question.objects.filter(pk=question.pk).delete_with_forecasts()
    assert not Question.objects.filter(pk=question.pk).exists()
    assert list(Forecast.objects.values_list("question", flat=True)) == [other.pk]
