from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import m2m_changed, post_delete, post_save
from PIL import Image

from config import versions


class NewsConfig(AppConfig):
    name = "news"
    verbose_name = "Stories"

    def ready(self):
        # Pillow refuses to decode past this many pixels: no rendition can be a bomb.
        Image.MAX_IMAGE_PIXELS = settings.IMAGE_MAX_PIXELS
        # Readers see stories, their corrections and topics: a change must not be served
        # stale.
        for name in ("Story", "Topic", "Correction"):
            model = self.get_model(name)
            post_save.connect(versions.bump, sender=model, dispatch_uid=f"bump-save-{name}")
            post_delete.connect(versions.bump, sender=model, dispatch_uid=f"bump-del-{name}")
        m2m_changed.connect(
            versions.bump,
            sender=self.get_model("Story").topics.through,
            dispatch_uid="bump-m2m",
        )
        # Webhooks: a story saved live is announced once (news.events).
        from news import events

        post_save.connect(
            events.on_story_saved,
            sender=self.get_model("Story"),
            dispatch_uid="webhook-story-published",
        )
