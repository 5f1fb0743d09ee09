"""Public question pages. Draft questions do not exist for readers."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render

from forecasts.models import Question
from news.models import Story


def question_detail(request, slug):
    questions = (
        Question.objects.visible()
        .with_options()
        .prefetch_related(
            Prefetch("stories", queryset=Story.objects.live(), to_attr="live_stories")
        )
    )
    question = get_object_or_404(questions, slug=slug)
    return render(request, "forecasts/question_detail.html", {"question": question})
