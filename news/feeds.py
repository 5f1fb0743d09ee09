"""RSS and Atom feeds of live stories."""

from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed

from news.models import Story

FEED_SIZE = 30


class StoriesFeed(Feed):
    title = "Forecast Desk: latest stories"
    link = reverse_lazy("news:home")
    description = "The newest stories and the forecast questions that hang on them."

    def items(self):
        return Story.objects.live().prefetch_related("topics")[:FEED_SIZE]

    def item_title(self, story):
        return story.headline

    def item_description(self, story):
        return story.summary

    def item_pubdate(self, story):
        return story.published_at

    def item_updateddate(self, story):
        return story.updated_at

    def item_categories(self, story):
        return [topic.name for topic in story.topics.all()]


class StoriesAtomFeed(StoriesFeed):
    feed_type = Atom1Feed
    subtitle = StoriesFeed.description
