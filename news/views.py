"""Public pages for stories, topics and search. Readers only ever see live stories."""

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Window
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache

from config import cdn
from config.fragments import render_page
from config.http_cache import CountingOncePaginator, public_page
from forecasts.models import Question, with_featured_question, with_questions
from news.models import Story, Topic

HOME_STORY_COUNT = 10
HOME_QUESTION_COUNT = 5
PAGE_SIZE = 20
SEARCH_RESULTS = 20
MAX_QUERY_LENGTH = 200


@public_page
def home(request):
    questions = Question.objects.visible()
    context = {
        # A list: the template shows the first as the lead and the rest as the river.
        "stories": list(
            with_featured_question(Story.objects.live().prefetch_related("topics"))[
                :HOME_STORY_COUNT
            ]
        ),
        "closing_soon": list(questions.closing_soon()[:HOME_QUESTION_COUNT]),
        "recently_resolved": list(questions.resolved()[:HOME_QUESTION_COUNT]),
        "topics": Topic.objects.all(),
    }
    cdn.tag(request, cdn.LIST_STORIES, cdn.LIST_QUESTIONS, cdn.TOPICS)
    cdn.tag_stories(request, context["stories"])
    cdn.tag_questions(request, context["closing_soon"] + context["recently_resolved"])
    return render_page(request, "news/home.html", context)


@public_page
def story_detail(request, slug):
    story = get_object_or_404(with_questions(Story.objects.live().for_page()), slug=slug)
    cdn.tag(request, cdn.TOPICS)
    cdn.tag_stories(request, [story])
    return _render_story(request, story)


def _render_story(request, story, preview=False):
    url = request.build_absolute_uri(story.get_absolute_url())
    context = {"story": story, "preview": preview, "structured_data": story.structured_data(url)}
    return render_page(request, "news/story_detail.html", context)


@never_cache
@staff_member_required
def story_preview(request, slug):
    """A draft or scheduled story as readers will see it; staff with view rights only."""
    if not Story.shows_unpublished_to(request.user):
        raise PermissionDenied
    stories = Story.objects.visible_to(request.user).for_page()
    story = get_object_or_404(with_questions(stories), slug=slug)
    response = _render_story(request, story, preview=True)
    response["X-Robots-Tag"] = "noindex"
    return response


@public_page
def topic_detail(request, slug):
    topic = get_object_or_404(Topic, slug=slug)
    stories = CountingOncePaginator(
        with_featured_question(topic.stories.live().prefetch_related("topics")),
        PAGE_SIZE,
        count_key=("topic", topic.pk),
    )
    page = stories.get_page(request.GET.get("page"))
    cdn.tag(request, cdn.LIST_STORIES, cdn.TOPICS)
    cdn.tag_stories(request, page)
    return render_page(request, "news/topic_detail.html", {"topic": topic, "page": page})


@public_page
def search(request):
    query = " ".join(request.GET.get("q", "").split())[:MAX_QUERY_LENGTH]
    stories = questions = []
    if query:
        # Each row carries the number of matches (COUNT(*) OVER ()): the counts come with
        # the results, in the same query.
        matches = Window(Count("pk"))
        stories = list(
            Story.objects.live()
            .search(query)
            .prefetch_related("topics")
            .annotate(matches=matches)[:SEARCH_RESULTS]
        )
        questions = list(
            Question.objects.visible().search(query).annotate(matches=matches)[:SEARCH_RESULTS]
        )
    cdn.tag(request, cdn.LIST_STORIES, cdn.LIST_QUESTIONS)
    cdn.tag_stories(request, stories)
    cdn.tag_questions(request, questions)
    context = {
        "query": query,
        "stories": stories,
        "questions": questions,
        "story_count": stories[0].matches if stories else 0,
        "question_count": questions[0].matches if questions else 0,
        "limit": SEARCH_RESULTS,
    }
    return render_page(request, "news/search.html", context)
