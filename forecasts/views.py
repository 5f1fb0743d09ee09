"""Public question pages. Draft questions do not exist for readers."""

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override

from forecasts.charts import probability_chart
from forecasts.models import Question
from news.freshness import public_page
from news.models import Story, Topic

PAGE_SIZE = 20
LISTS = {
    "open": ("Open questions", lambda qs: qs.open().order_by("closes_at", "pk")),
    "closing": ("Closing soon", lambda qs: qs.closing_soon()),
    "resolved": ("Resolved", lambda qs: qs.resolved()),
    "annulled": ("Annulled", lambda qs: qs.annulled().order_by("-resolved_at", "-pk")),
    "all": ("All questions", lambda qs: qs.order_by("-opens_at", "-pk")),
}
EMBED_CSP = {"default-src": ["'self'"], "style-src": ["'self'"], "frame-ancestors": ["*"]}


def _question(slug):
    questions = (
        Question.objects.visible()
        .with_options()
        .prefetch_related(
            Prefetch("stories", queryset=Story.objects.live(), to_attr="live_stories")
        )
    )
    return get_object_or_404(questions, slug=slug)


@public_page
def question_list(request):
    state = request.GET.get("state", "open")
    if state not in LISTS:
        state = "open"
    title, select = LISTS[state]
    questions = select(Question.objects.visible().with_options())
    topic = None
    if request.GET.get("topic"):
        topic = get_object_or_404(Topic, slug=request.GET["topic"])
        questions = questions.about(topic)
    page = Paginator(questions, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "title": title,
        "state": state,
        "states": [(key, label) for key, (label, _) in LISTS.items()],
        "topic": topic,
        "topics": Topic.objects.all(),
        "page": page,
    }
    return render(request, "forecasts/question_list.html", context)


@public_page
def question_detail(request, slug):
    question = _question(slug)
    chart = probability_chart(question, question.snapshots.all())
    return render(
        request, "forecasts/question_detail.html", {"question": question, "chart": chart}
    )


@xframe_options_exempt
@csp_override(EMBED_CSP)
@public_page
def question_embed(request, slug):
    """The one page another site may put in an iframe: a question and its bars."""
    return render(request, "forecasts/question_embed.html", {"question": _question(slug)})
