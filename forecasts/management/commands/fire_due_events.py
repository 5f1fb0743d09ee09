"""Webhook events that the clock makes, not a write: questions that closed at their
close time, scheduled stories that went live. Idempotent; run it every minute (cron, a
systemd timer, or `make run`, which does)."""

from django.core.management.base import BaseCommand

from forecasts.events import fire_due_question_events
from news.events import fire_due_story_events


class Command(BaseCommand):
    help = "Fire question.closed and story.published for what the clock closed or published."

    def handle(self, *args, **options):
        questions = fire_due_question_events()
        stories = fire_due_story_events()
        self.stdout.write(f"{questions} questions closed, {stories} stories went live")
