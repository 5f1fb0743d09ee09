"""The questions' webhook events (config.webhooks): what each says, and when it fires.

Published, closed, resolved (with the outcome and a summary of the scores) and annulled
fire once per question; "forecast.moved" fires when the community forecast of an option
moves by more than WEBHOOK_FORECAST_MOVE_POINTS percentage points within an hour.
"""

import time
from datetime import timedelta
from functools import partial
from statistics import fmean

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from config.cdn import purging
from config.webhooks.events import EventType, fire
from config.webhooks.models import Event
from forecasts.maths import largest_remainder_percentages
from forecasts.models import Question, community_probabilities, shown_aggregate

MOVE_WINDOW_SECONDS = 3600


def site_url(path):
    return settings.SITE_URL.rstrip("/") + path


def question_data(question):
    """The question as every event shows it (its options as they stand)."""
    options = list(question.options.all())
    probabilities = community_probabilities(options, question.forecaster_count)
    percents = largest_remainder_percentages(probabilities)
    if not question.reveals_community():  # anti-anchoring: receivers may publish it
        probabilities = percents = [None] * len(options)
    return {
        "id": question.pk,
        "slug": question.slug,
        "title": question.title,
        "url": site_url(question.get_absolute_url()),
        "status": question.status,
        "state": question.state().value,
        "closes_at": question.closes_at.isoformat(),
        "forecaster_count": question.forecaster_count,
        "aggregate": shown_aggregate(),
        "community_hidden": not question.reveals_community(),
        "options": [
            {"id": o.pk, "label": o.label, "probability": p, "percent": percent}
            for o, p, percent in zip(options, probabilities, percents, strict=True)
        ],
    }


def _subject(question):
    return f"question:{question.pk}"


def on_question_saved(sender, instance, raw=False, **kwargs):
    """post_save receiver: a question saved as published is announced once, with its
    options as they stand when the transaction commits."""
    if not raw and instance.status == Question.Status.PUBLISHED:
        transaction.on_commit(partial(_announce_published, instance.pk))


def _announce_published(question_id):
    once_key = f"{EventType.QUESTION_PUBLISHED.value}:question:{question_id}"
    if Event.objects.filter(once_key=once_key).exists():
        return
    question = Question.objects.prefetch_related("options").filter(pk=question_id).first()
    if question is not None and question.status == Question.Status.PUBLISHED:
        fire(EventType.QUESTION_PUBLISHED, _subject(question), question_data(question), once=True)


def fire_due_question_events(now=None, lookback=timedelta(days=1)):
    """Questions that closed by the clock (no write marks that moment) get their
    "question.closed" event; run every minute (`manage.py fire_due_events`)."""
    now = now or timezone.now()
    closed = Question.objects.closed(now).filter(closes_at__gte=now - lookback)
    keys = {
        f"{EventType.QUESTION_CLOSED.value}:question:{pk}": pk
        for pk in closed.values_list("pk", flat=True)
    }
    done = set(Event.objects.filter(once_key__in=keys).values_list("once_key", flat=True))
    due = [pk for key, pk in keys.items() if key not in done]
    for question in Question.objects.filter(pk__in=due).prefetch_related("options"):
        question_closed(question)
        # No write marked the moment: the CDN learns it here.
        purging.changed(question)
    return len(due)


def question_closed(question):
    fire(EventType.QUESTION_CLOSED, _subject(question), question_data(question), once=True)


def question_annulled(question):
    data = {**question_data(question), "note": question.resolution_note}
    fire(EventType.QUESTION_ANNULLED, _subject(question), data, once=True)


def question_resolved(question, scores):
    """Fired by the scoring task once the scores exist."""
    readers = [s for s in scores if s.user_id is not None]
    community = next((s for s in scores if s.user_id is None), None)
    option = question.resolved_option
    data = {
        **question_data(question),
        "outcome": {"id": option.pk, "label": option.label},
        "resolved_at": question.resolved_at.isoformat(),
        "note": question.resolution_note,
        "scores": {
            "forecasters_scored": len(readers),
            "mean_brier": fmean(s.brier for s in readers) if readers else None,
            "community_brier": community.brier if community else None,
            "community_log_score": community.log_score if community else None,
        },
    }
    fire(EventType.QUESTION_RESOLVED, _subject(question), data, once=True)


def check_forecast_moved(question, probabilities):
    """After a forecast: fire "forecast.moved" if an option moved more than the threshold
    since a reference point at most an hour old. One cache read per forecast; the
    reference restarts after a move or once it is an hour old."""
    key = f"forecast-move-ref:{question.pk}"
    now = time.time()
    reference = cache.get(key)
    if reference is None or now - reference["at"] > MOVE_WINDOW_SECONDS:
        cache.set(key, {"at": now, "probabilities": probabilities}, MOVE_WINDOW_SECONDS * 2)
        return False
    before = reference["probabilities"]
    moves = {k: (p - before.get(k, p)) * 100 for k, p in probabilities.items()}
    biggest = max(moves.values(), key=abs, default=0)
    if abs(biggest) <= settings.WEBHOOK_FORECAST_MOVE_POINTS:
        return False
    cache.set(key, {"at": now, "probabilities": probabilities}, MOVE_WINDOW_SECONDS * 2)
    data = {
        **question_data(question),
        "moved_points": {k: round(v, 2) for k, v in moves.items()},
    }
    data["since"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(reference["at"]))
    fire(EventType.FORECAST_MOVED, _subject(question), data)
    return True
