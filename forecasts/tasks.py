"""The forecasts app's background work (config.tasks): scoring a resolved question and
telling its followers."""

from django.conf import settings
from django.tasks import task

from config.tasks import retry_later
from forecasts import events, following
from forecasts.models import Question
from forecasts.scoring import score_question


@task
def score_resolved_question(question_id, attempt=1):
    """Score a resolved question (idempotent: it replaces any scores), then tell webhook
    subscribers the outcome with a summary of the scores. Retried with backoff."""
    try:
        question = Question.objects.filter(pk=question_id).first()
        if question is None:
            return 0
        scores = score_question(question)
        if question.status == Question.Status.RESOLVED:
            events.question_resolved(question, scores)
            following.notify_resolved(question)  # once per reader (Notice)
        return len(scores)
    except Exception:
        retry_later(
            score_resolved_question,
            question_id,
            attempt=attempt,
            max_attempts=settings.TASK_MAX_ATTEMPTS,
            base_seconds=settings.TASK_RETRY_SECONDS,
        )
        raise
