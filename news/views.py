"""Public pages for stories and topics. Readers only ever see live stories."""

from django.shortcuts import get_object_or_404, render

from news.models import Story, Topic

HOME_STORY_COUNT = 20


def home(request):
    stories = Story.objects.live().with_questions()[:HOME_STORY_COUNT]
    return render(request, "news/home.html", {"stories": stories})


def story_detail(request, slug):
    story = get_object_or_404(Story.objects.live().with_questions(), slug=slug)
    return render(request, "news/story_detail.html", {"story": story})


def topic_detail(request, slug):
    topic = get_object_or_404(Topic, slug=slug)
    stories = topic.stories.live().with_questions()[:HOME_STORY_COUNT]
    return render(request, "news/topic_detail.html", {"topic": topic, "stories": stories})
