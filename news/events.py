"""The stories' webhook events (config.webhooks): published and corrected.

`story_corrected(story, note)` is the one call a correction makes (the corrections
feature calls it when an editor marks one).
"""

from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config import cdn
from config.cdn import purging
from config.webhooks.events import EventType, fire
from config.webhooks.models import Event
from news.models import Story


def story_data(story):
    return {
        "id": story.pk,
        "slug": story.slug,
        "headline": story.headline,
        "summary": story.summary,
        "url": settings.SITE_URL.rstrip("/") + story.get_absolute_url(),
        "published_at": story.published_at.isoformat() if story.published_at else None,
    }


def _once_key(pk):
    return f"{EventType.STORY_PUBLISHED.value}:story:{pk}"


def on_story_saved(sender, instance, raw=False, **kwargs):
    """post_save receiver: a story saved live is announced once, after commit. A story
    scheduled for later is announced by fire_due_story_events() when its time comes."""
    if not raw and instance.is_live:
        transaction.on_commit(partial(_announce_published, instance.pk))


def _announce_published(story_id, now=None):
    if Event.objects.filter(once_key=_once_key(story_id)).exists():
        return
    story = Story.objects.live(now).filter(pk=story_id).first()
    if story is not None:
        fire(EventType.STORY_PUBLISHED, f"story:{story.pk}", story_data(story), once=True)


def fire_due_story_events(now=None, lookback=timedelta(days=1)):
    """Scheduled stories whose time came within `lookback` get their "story.published"."""
    now = now or timezone.now()
    live = Story.objects.live(now).filter(published_at__gte=now - lookback)
    keys = {_once_key(pk): pk for pk in live.values_list("pk", flat=True)}
    done = set(Event.objects.filter(once_key__in=keys).values_list("once_key", flat=True))
    due = [pk for key, pk in keys.items() if key not in done]
    for pk in due:
        _announce_published(pk, now)
    if cdn.enabled():  # no write marked the moment: the CDN learns it here
        for story in Story.objects.filter(pk__in=due):
            purging.changed(story)
    return len(due)


def story_corrected(story, note=""):
    """Every correction is an event of its own."""
    fire(EventType.STORY_CORRECTED, f"story:{story.pk}", {**story_data(story), "note": note})
