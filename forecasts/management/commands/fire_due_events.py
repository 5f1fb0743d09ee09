"""Webhook events that the clock makes, not a write: questions that closed at their
close time, scheduled stories that went live. Idempotent; run it every minute (cron, a
systemd timer, or `make run`, which does). It also renews cached pages when a question's
hidden community forecast is revealed by its reveal time."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from config.versions import bump
from forecasts.events import fire_due_question_events
from forecasts.models import Question
from news.events import fire_due_story_events

# Twice the minute the command runs every: a late run still sees a reveal.
REVEAL_LOOKBACK = timedelta(minutes=2)


class Command(BaseCommand):
    help = "Fire question.closed and story.published for what the clock closed or published."

    def handle(self, *args, **options):
        questions = fire_due_question_events()
        stories = fire_due_story_events()
        now = timezone.now()
        revealed = Question.objects.revealed_by_clock(now - REVEAL_LOOKBACK, now).count()
        if revealed:
            bump()  # pages and ETags that hid their forecasts are retired
        self.stdout.write(
            f"{questions} questions closed, {stories} stories went live, "
            f"{revealed} community forecasts revealed"
        )
