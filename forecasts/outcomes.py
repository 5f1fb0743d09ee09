"""The state changes that end a question's forecasting: close, resolve, annul.

The one place these rules live, for the admin's actions and pages and the API alike.
Each locks the question's row and checks its state again inside the transaction, so of
two editors resolving at the same moment exactly one wins; the other gets a Conflict
naming the outcome that stands (a 409 in the API, a form error in the admin).

Resolving is atomic on its own: the outcome is written and committed, and scoring every
forecaster (forecasts.scoring) runs in the background once it has committed
(forecasts.tasks.score_resolved_question), so the scores follow within moments; scoring
is idempotent, so a retried task cannot score twice. Annulling removes any scores in the
same transaction, since an annulled question scores nothing. Each change fires its
webhook event once committed (forecasts.events).
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from config.conflicts import Conflict
from config.tasks import enqueue_on_commit
from forecasts import events
from forecasts.models import Question
from forecasts.tasks import score_resolved_question

# What _settle writes: nothing an editor may be changing in the form at the same time.
OUTCOME_FIELDS = ["status", "resolved_option", "resolved_at", "resolution_note", "closes_at"]


def close(question, now=None):
    """Stop forecasting now; an already closed or settled question is left alone."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(question)
        if locked.state(now) != Question.State.OPEN:
            raise _not_open(locked, f'"{locked}" is not open, so it cannot be closed', "closed")
        locked.closes_at = now
        locked.save(update_fields=["closes_at", "updated_at"])
        events.question_closed(locked)
    _copy(locked, question)


def resolve(question, option, note="", now=None):
    """Settle the question on `option`, which must be one of its own."""
    with transaction.atomic():
        locked = _lock(question)
        if locked.status != Question.Status.PUBLISHED:
            raise _not_open(locked, f'"{locked}" cannot be resolved', "resolved")
        if option is None or option.question_id != locked.pk:
            raise ValidationError({"resolved_option": "Pick one of this question's options."})
        _settle(locked, Question.Status.RESOLVED, option, note, now)
        enqueue_on_commit(score_resolved_question, locked.pk)
    _copy(locked, question)


def annul(question, note="", now=None):
    """Void the question: no outcome, and nobody is scored on it."""
    with transaction.atomic():
        locked = _lock(question)
        if locked.status not in {Question.Status.PUBLISHED, *Question.UNPUBLISHED}:
            raise _not_open(locked, f'"{locked}" cannot be annulled', "annulled")
        _settle(locked, Question.Status.ANNULLED, None, note, now)
        locked.scores.all().delete()
        events.question_annulled(locked)
    _copy(locked, question)


def _lock(question):
    """The question's row as it is now, locked until the transaction ends."""
    # No join: after waiting for another transaction's lock, PostgreSQL re-reads the
    # locked row but not a joined one, which would show the winning option as missing.
    return Question.objects.select_for_update().get(pk=question.pk)


def _not_open(question, refusal, verb):
    """Why `question` cannot change now. A settled outcome is a conflict that names the
    outcome standing; a draft is a plain error (nobody raced anybody)."""
    if question.status == Question.Status.RESOLVED:
        when = date_format(timezone.localtime(question.resolved_at), "j M Y, H:i")
        return Conflict(
            f"{refusal}: it is already resolved as “{question.resolved_option}” (on {when}), "
            "and that outcome stands.",
            code="conflict",
        )
    if question.status == Question.Status.ANNULLED:
        when = date_format(timezone.localtime(question.resolved_at), "j M Y, H:i")
        return Conflict(f"{refusal}: it is already annulled (on {when}).", code="conflict")
    if question.status in Question.UNPUBLISHED:
        where = "in review" if question.status == Question.Status.IN_REVIEW else "a draft"
        return ValidationError(
            f"{refusal}: it is {where}; only a published question can be {verb}."
        )
    if question.state() == Question.State.UPCOMING:
        return ValidationError(f"{refusal}: it has not opened yet.")
    when = date_format(timezone.localtime(question.closes_at), "j M Y, H:i")
    return Conflict(f"{refusal}: it closed on {when}.", code="conflict")


def _settle(question, status, option, note, now):
    """Record an outcome (or none), closing the question now if it was still open."""
    now = now or timezone.now()
    question.status = status
    question.resolved_option = option
    question.resolved_at = now
    question.resolution_note = note
    if question.closes_at > now:
        question.closes_at = max(now, question.opens_at + timedelta(microseconds=1))
    question.save(update_fields=[*OUTCOME_FIELDS, "updated_at"])


def _copy(locked, question):
    """The caller's instance reflects what was written."""
    if locked is not question:
        for name in [*OUTCOME_FIELDS, "updated_at"]:
            setattr(question, name, getattr(locked, name))
