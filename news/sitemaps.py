"""sitemap.xml: live stories, topics and visible questions."""

from django.contrib.sitemaps import Sitemap

from forecasts.models import Question
from news.models import Story, Topic


class StorySitemap(Sitemap):
    changefreq = "hourly"
    priority = 0.8

    def items(self):
        return Story.objects.live().only("slug", "updated_at")

    def lastmod(self, story):
        return story.updated_at


class QuestionSitemap(Sitemap):
    changefreq = "hourly"
    priority = 0.6

    def items(self):
        return Question.objects.visible().only("slug", "updated_at").order_by("pk")

    def lastmod(self, question):
        return question.updated_at


class TopicSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.4

    def items(self):
        return Topic.objects.all()


SITEMAPS = {"stories": StorySitemap, "questions": QuestionSitemap, "topics": TopicSitemap}
