"""Readers follow questions: one email per event (resolved, or a sharp move on a day) per
reader, through the background mail task, with a one-click unsubscribe link.

The Notice row is the marker: it is created in the same transaction that queues the mail
(send_mail_later enqueues on commit), so a task that runs twice sends nothing twice.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from config.mail import send_mail_later
from config.tasks import enqueue_on_commit
from forecasts.models import Follow, Notice, Question, Score

RESOLVED = "resolved"


def site_url(path):
    return settings.SITE_URL.rstrip("/") + path


def is_following(user, question):
    return user.is_authenticated and Follow.objects.filter(user=user, question=question).exists()


def follow(user, question):
    Follow.objects.get_or_create(user=user, question=question)


def unfollow(user, question):
    Follow.objects.filter(user=user, question=question).delete()


def unsubscribe_url(follow_row):
    return site_url(reverse("readers:unsubscribe", args=[follow_row.token]))


def notify(question, event, message_for):
    """Email each follower of `question` about `event` once; `message_for(follow)` gives
    (subject, body). Returns how many were queued."""
    sent = 0
    follows = Follow.objects.filter(question=question).select_related("user")
    for row in follows:
        if not row.user.email:
            continue
        try:
            with transaction.atomic():
                Notice.objects.create(user=row.user, question=question, event=event)
                subject, body = message_for(row)
                link = unsubscribe_url(row)
                body += f"\n\nStop following this question: {link}\n"
                headers = {
                    "List-Unsubscribe": f"<{link}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                }
                send_mail_later(subject, body, [row.user.email], headers=headers)
        except IntegrityError:  # already told about this event
            continue
        sent += 1
    return sent


def notify_resolved(question):
    """After scoring: each follower's score against the community, with a link to it."""
    scores = {s.user_id: s for s in Score.objects.filter(question=question)}
    community = scores.get(None)
    outcome = question.resolved_option

    def message(row):
        mine = scores.get(row.user_id)
        lines = [f"“{question.title}” resolved: {outcome.label}."]
        if mine is not None:
            lines.append(f"Your Brier score: {mine.brier:.3f} (lower is better).")
        if community is not None:
            lines.append(f"The community's: {community.brier:.3f}.")
        lines.append(f"Your scores: {site_url(reverse('readers:my_forecasts'))}")
        lines.append(f"The question: {site_url(question.get_absolute_url())}")
        return f"Resolved: {question.title}", "\n".join(lines)

    return notify(question, RESOLVED, message)


@task
def notify_moved(question_id):
    """A sharp move (the forecast.moved rule): one email a day at most per follower."""
    question = Question.objects.prefetch_related("options").filter(pk=question_id).first()
    if question is None or not question.reveals_community():
        return 0
    event = f"moved:{timezone.now():%Y-%m-%d}"
    shares = ", ".join(f"{o.label} {p}%" for o, _, p in question.community_forecast())

    def message(row):
        body = (
            f"The community forecast on “{question.title}” moved sharply: now {shares}.\n"
            f"{site_url(question.get_absolute_url())}"
        )
        return f"Moved: {question.title}", body

    return notify(question, event, message)


def moved(question):
    """Queue notify_moved once the forecast that moved it commits."""
    enqueue_on_commit(notify_moved, question.pk)
