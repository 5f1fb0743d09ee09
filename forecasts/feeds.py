"""RSS and Atom feeds of questions readers can see, newest first."""

from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed

from forecasts.models import Question

FEED_SIZE = 30


class QuestionsFeed(Feed):
    title = "Forecast Desk: latest questions"
    link = reverse_lazy("forecasts:list")
    description = "New forecast questions and their community forecast."

    def items(self):
        return Question.objects.visible().with_options().order_by("-opens_at", "-pk")[:FEED_SIZE]

    def item_title(self, question):
        return question.title

    def item_description(self, question):
        if question.reveals_community():
            shares = ", ".join(f"{o.label} {p}%" for o, _, p in question.community_forecast())
        else:  # anti-anchoring
            shares = "The community forecast is hidden for now"
        return f"{question.state().label}. {shares}. Resolves on: {question.resolution_criteria}"

    def item_pubdate(self, question):
        return question.opens_at

    def item_updateddate(self, question):
        return question.updated_at


class QuestionsAtomFeed(QuestionsFeed):
    feed_type = Atom1Feed
    subtitle = QuestionsFeed.description
