"""RSS and Atom feeds of live stories, with their corrections."""

from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.formats import date_format

from news.models import Story

FEED_SIZE = 30


class StoriesFeed(Feed):
    title = "Forecast Desk: latest stories"
    link = reverse_lazy("news:home")
    description = "The newest stories and the forecast questions that hang on them."

    def items(self):
        return Story.objects.live().prefetch_related("topics", "corrections")[:FEED_SIZE]

    def item_title(self, story):
        return story.headline

    def item_description(self, story):
        """The summary, then each correction as readers see it at the story's foot."""
        corrections = [
            f"Correction, {date_format(timezone.localtime(c.created_at), 'j M Y')}: {c.note}"
            for c in story.corrections.all()
        ]
        return "\n\n".join(part for part in [story.summary, *corrections] if part)

    def item_pubdate(self, story):
        return story.published_at

    def item_updateddate(self, story):
        return story.updated_at

    def item_categories(self, story):
        return [topic.name for topic in story.topics.all()]


class StoriesAtomFeed(StoriesFeed):
    feed_type = Atom1Feed
    subtitle = StoriesFeed.description
