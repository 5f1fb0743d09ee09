"""The state changes that end a question's forecasting: close, resolve, annul.

The one place these rules live, for the admin's actions and pages, the API and the demo
loader alike. Resolving scores every forecaster (forecasts.scoring) in the same
transaction; annulling removes any scores, since an annulled question scores nothing.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from forecasts.models import Question
from forecasts.scoring import score_question


def close(question, now=None):
    """Stop forecasting now; an already closed or settled question is left alone."""
    now = now or timezone.now()
    if question.state(now) != Question.State.OPEN:
        raise ValidationError(f'"{question}" is not open, so it cannot be closed.')
    question.closes_at = now
    question.save(update_fields=["closes_at", "updated_at"])


def resolve(question, option, note="", now=None):
    """Settle the question on `option`, which must be one of its own."""
    if question.status != Question.Status.PUBLISHED:
        raise ValidationError(
            f'"{question}" is {question.get_status_display().lower()}; only a published '
            "question can be resolved."
        )
    if option is None or option.question_id != question.pk:
        raise ValidationError({"resolved_option": "Pick one of this question's options."})
    with transaction.atomic():
        _settle(question, Question.Status.RESOLVED, option, note, now)
        score_question(question)


def annul(question, note="", now=None):
    """Void the question: no outcome, and nobody is scored on it."""
    if question.status not in {Question.Status.PUBLISHED, Question.Status.DRAFT}:
        raise ValidationError(f'"{question}" is already {question.get_status_display().lower()}.')
    with transaction.atomic():
        _settle(question, Question.Status.ANNULLED, None, note, now)
        question.scores.all().delete()


def _settle(question, status, option, note, now):
    """Record an outcome (or none), closing the question now if it was still open."""
    now = now or timezone.now()
    question.status = status
    question.resolved_option = option
    question.resolved_at = now
    question.resolution_note = note
    if question.closes_at > now:
        question.closes_at = max(now, question.opens_at + timedelta(microseconds=1))
    question.save()
