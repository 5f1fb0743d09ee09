"""Public pages for stories and topics. Readers only ever see live stories."""

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache

from news.models import Story, Topic

HOME_STORY_COUNT = 20


def home(request):
    stories = Story.objects.live().with_questions()[:HOME_STORY_COUNT]
    return render(request, "news/home.html", {"stories": stories})


def story_detail(request, slug):
    story = get_object_or_404(Story.objects.live().with_questions(), slug=slug)
    return render(request, "news/story_detail.html", {"story": story})


@never_cache
@staff_member_required
def story_preview(request, slug):
    """A draft or scheduled story as readers will see it; staff with view rights only."""
    if not request.user.has_perm("news.view_story"):
        raise PermissionDenied
    story = get_object_or_404(Story.objects.with_questions(), slug=slug)
    response = render(request, "news/story_detail.html", {"story": story, "preview": True})
    response["X-Robots-Tag"] = "noindex"
    return response


def topic_detail(request, slug):
    topic = get_object_or_404(Topic, slug=slug)
    stories = topic.stories.live().with_questions()[:HOME_STORY_COUNT]
    return render(request, "news/topic_detail.html", {"topic": topic, "stories": stories})
