"""The database itself refuses bad rows, whoever writes them (raw SQL, bulk loads, bugs).

Each test inserts or updates rows with raw SQL, bypassing every Python check, and
expects an IntegrityError; the valid counterpart of each row goes in, so a test cannot
pass because the helper itself is broken.
"""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from forecasts.models import Option, Question
from tests.factories import (
    ForecastFactory,
    ForecastProbabilityFactory,
    OptionFactory,
    QuestionFactory,
    StoryFactory,
    StoryQuestionFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


def raw_insert(instance, **columns):
    """INSERT `instance` (a factory .build()) with raw SQL; `columns` override attnames."""
    for attname, value in columns.items():
        setattr(instance, attname, value)
    fields = [f for f in instance._meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    table = connection.ops.quote_name(instance._meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", values)  # noqa: S608


def raw_update(model, pk, **columns):
    table = connection.ops.quote_name(model._meta.db_table)
    sets = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in columns)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {sets} WHERE id = %s", [*columns.values(), pk])  # noqa: S608


def immediately(*constraints):
    """PostgreSQL checks deferred constraints at commit, which a rolled-back test never
    reaches; make the named ones fire at each statement instead."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET CONSTRAINTS {', '.join(constraints)} IMMEDIATE")


def refused(write, *args, **kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        write(*args, **kwargs)
    return True


def test_story_status_must_be_a_known_one():
    raw_insert(StoryFactory.build(status="draft"))
    raw_insert(StoryFactory.build(status="in_review", published_at=None))
    assert refused(raw_insert, StoryFactory.build(), status="archived")


def test_published_story_needs_a_publication_time():
    raw_insert(StoryFactory.build(status="draft", published_at=None))
    assert refused(raw_insert, StoryFactory.build(status="published"), published_at=None)


def test_topic_names_and_slugs_are_unique():
    TopicFactory(name="Syria", slug="syria")
    raw_insert(TopicFactory.build(name="Iraq", slug="iraq"))
    assert refused(raw_insert, TopicFactory.build(name="SYRIA", slug="syria-2"))
    assert refused(raw_insert, TopicFactory.build(name="Syria 2", slug="syria"))


def test_story_slugs_are_unique():
    StoryFactory(slug="al-qaim")
    assert refused(raw_insert, StoryFactory.build(slug="al-qaim"))


def test_question_kind_and_status_must_be_known_ones():
    raw_insert(QuestionFactory.build(status="draft"))
    QuestionFactory(status="in_review")  # with its options: held to them at commit
    assert refused(raw_insert, QuestionFactory.build(status="draft"), kind="numeric")
    assert refused(raw_insert, QuestionFactory.build(), status="pending")


def test_question_closes_after_it_opens():
    now = timezone.now()
    raw_insert(QuestionFactory.build(status="draft", opens_at=now, closes_at=now + timedelta(1)))
    assert refused(raw_insert, QuestionFactory.build(status="draft", opens_at=now, closes_at=now))
    assert refused(
        raw_insert,
        QuestionFactory.build(status="draft", opens_at=now, closes_at=now - timedelta(hours=1)),
    )


def test_resolved_question_has_a_winning_option_and_others_have_none():
    question = QuestionFactory()
    option = question.options.first()
    now = timezone.now()
    raw_update(Question, question.pk, status="resolved", resolved_option_id=option.pk,
               resolved_at=now)  # fmt: skip
    assert refused(raw_update, Question, question.pk, resolved_option_id=None)
    assert refused(raw_update, Question, question.pk, resolved_at=None)
    assert refused(raw_update, Question, question.pk, status="annulled")
    raw_update(Question, question.pk, status="annulled", resolved_option_id=None)


def test_winning_option_must_belong_to_the_question():
    question = QuestionFactory()
    stranger = QuestionFactory().options.first()
    immediately("question_resolved_option_is_its_own")
    now = timezone.now()
    assert refused(
        raw_update, Question, question.pk,
        status="resolved", resolved_option_id=stranger.pk, resolved_at=now,
    )  # fmt: skip
    own = question.options.first()
    raw_update(
        Question, question.pk, status="resolved", resolved_option_id=own.pk, resolved_at=now
    )


def test_winning_option_of_another_question_is_refused_on_insert_too():
    stranger = QuestionFactory().options.first()
    immediately("question_resolved_option_is_its_own")
    assert refused(
        raw_insert,
        QuestionFactory.build(status="resolved"),
        resolved_option_id=stranger.pk,
        resolved_at=timezone.now(),
    )


def test_option_labels_unique_per_question_ignoring_case():
    question = QuestionFactory(options=["Family reunification", "Other"])
    raw_insert(OptionFactory.build(question=question, label="Family ties"))
    raw_insert(OptionFactory.build(question=QuestionFactory(), label="Family reunification"))
    assert refused(
        raw_insert, OptionFactory.build(question=question, label="Family Reunification")
    )
    assert refused(raw_insert, OptionFactory.build(question=question, label="OTHER"))


def test_option_label_is_not_empty():
    assert refused(raw_insert, OptionFactory.build(question=QuestionFactory(), label=""))


def test_a_question_is_linked_to_a_story_once():
    link = StoryQuestionFactory()
    raw_insert(StoryQuestionFactory.build(story=link.story, question=QuestionFactory()))
    assert refused(
        raw_insert, StoryQuestionFactory.build(story=link.story, question=link.question)
    )


@pytest.mark.parametrize("probability", [0.0, 0.0009, 1.0, 1.2, -0.5])
def test_forecast_probabilities_stay_within_bounds(probability):
    forecast = ForecastFactory(probabilities=[0.4, 0.3, 0.2, 0.1])
    option = OptionFactory(question=forecast.question)
    assert refused(
        raw_insert,
        ForecastProbabilityFactory.build(forecast=forecast, option=option),
        probability=probability,
    )


@pytest.mark.parametrize("probability", [0.001, 0.5, 0.999])
def test_forecast_probabilities_at_the_bounds_are_accepted(probability):
    forecast = ForecastFactory(probabilities=[0.4, 0.3, 0.2, 0.1])
    option = OptionFactory(question=forecast.question)
    raw_insert(ForecastProbabilityFactory.build(forecast=forecast, option=option),
               probability=probability)  # fmt: skip


def test_a_forecast_has_one_probability_per_option():
    forecast = ForecastFactory()
    option = forecast.question.options.first()
    assert refused(raw_insert, ForecastProbabilityFactory.build(forecast=forecast, option=option))


@pytest.mark.postgres
def test_published_question_needs_two_options():
    question = QuestionFactory(options=["A", "B"])
    immediately("question_options_valid", "option_set_valid")
    assert refused(Option.objects.filter(pk=question.options.first().pk).delete)
    lone = QuestionFactory.build(status="published")
    assert refused(raw_insert, lone)


@pytest.mark.postgres
def test_a_draft_may_have_fewer_options_until_it_is_published():
    draft = QuestionFactory(status="draft", options=["A"])
    immediately("question_options_valid", "option_set_valid")
    assert refused(raw_update, Question, draft.pk, status="published")
    OptionFactory(question=draft, label="B")
    raw_update(Question, draft.pk, status="published")


@pytest.mark.postgres
def test_a_question_in_review_is_held_to_its_options_like_a_published_one():
    draft = QuestionFactory(status="draft", options=["A"])
    immediately("question_options_valid", "option_set_valid")
    assert refused(raw_update, Question, draft.pk, status="in_review")


@pytest.mark.postgres
def test_binary_question_has_exactly_yes_and_no():
    question = QuestionFactory(binary=True)
    multiple = QuestionFactory(options=["Yes", "Maybe"])
    immediately("question_options_valid", "option_set_valid")
    yes = question.options.get(label="Yes")
    assert refused(raw_update, Option, yes.pk, label="Maybe")
    assert refused(raw_insert, OptionFactory.build(question=question, label="Maybe"))
    raw_update(Option, yes.pk, label="YES")  # case is not a different option
    assert refused(raw_update, Question, multiple.pk, kind="binary")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_committed_questions_keep_their_rules_and_can_be_deleted_whole():
    question = QuestionFactory()
    with transaction.atomic():
        question.status = "resolved"
        question.resolved_option = question.options.first()
        question.resolved_at = timezone.now()
        question.save()
    # Checked at commit: a published question left with one option is refused...
    survivor = QuestionFactory(options=["A", "B"])
    with pytest.raises(IntegrityError), transaction.atomic():
        survivor.options.first().delete()
    assert survivor.options.count() == 2
    # ...while deleting a resolved question together with its options commits.
    question.delete()
    assert not Option.objects.filter(question_id=question.pk).exists()
