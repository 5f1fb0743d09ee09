"""Public question pages. Draft questions do not exist for readers."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Avg, Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.csrf import csrf_exempt

from config import cdn
from config.fragments import render_page
from config.http_cache import CountingOncePaginator, counted_once, public_page
from forecasts import following, forecasting, scoring
from forecasts.charts import calibration_chart, probability_chart
from forecasts.forms import ForecastForm, reader_error
from forecasts.models import Follow, Forecast, Question, Score
from news.models import Story, Topic

PAGE_SIZE = 20
LEADERBOARD_SIZE = 100
# The tabs of /questions/, in order: four question states (Question.objects.in_state),
# and two lists of the site's own. Without a `state`, the first tab with questions opens.
TABS = {
    "open": ("Open", "Open questions"),
    "closing": ("Closing soon", "Closing within a week"),
    "closed": ("Awaiting resolution", "Closed, awaiting resolution"),
    "resolved": ("Resolved", "Resolved questions"),
    "annulled": ("Annulled", "Annulled questions"),
    "all": ("All", "All questions"),
}
EMBED_CSP = {"default-src": ["'self'"], "style-src": ["'self'"], "frame-ancestors": ["*"]}


def _question(request, slug):
    questions = (
        Question.objects.visible()
        .with_options()
        .with_day_change()
        .prefetch_related(
            Prefetch("stories", queryset=Story.objects.live(), to_attr="live_stories")
        )
    )
    question = get_object_or_404(questions, slug=slug)
    cdn.tag(request, cdn.question_key(question.pk))
    cdn.tag(request, *(cdn.story_key(story.pk) for story in question.live_stories))
    return question


@public_page
def question_list(request):
    topic = None
    questions = Question.objects.visible()
    if request.GET.get("topic"):
        topic = get_object_or_404(Topic, slug=request.GET["topic"])
        questions = questions.about(topic)
    counts = counted_once(("question-tabs", topic.pk if topic else ""), questions.list_counts)
    state = request.GET.get("state")
    if state not in TABS:
        # Never open on an empty tab when another has questions.
        state = next((key for key in TABS if counts[key]), "open")
    listed = questions.in_list(state)
    if state == "all":
        listed = listed.order_by("-opens_at", "-pk")
    paginator = CountingOncePaginator(
        listed,
        PAGE_SIZE,
        count_key=("questions", state, topic.pk if topic else ""),
        count=counts[state],
    )
    page = paginator.get_page(request.GET.get("page"))
    cdn.tag(request, cdn.LIST_QUESTIONS, cdn.TOPICS)
    cdn.tag_questions(request, page)
    context = {
        "title": TABS[state][1],
        "state": state,
        "tabs": [(key, label, counts[key]) for key, (label, _) in TABS.items()],
        "topic": topic,
        "topics": Topic.objects.all(),
        "page": page,
    }
    return render_page(request, "forecasts/question_list.html", context)


@public_page
def question_detail(request, slug):
    return _render_question(request, _question(request, slug))


@xframe_options_exempt
@csp_override(EMBED_CSP)
@public_page
def question_embed(request, slug):
    """The one page another site may put in an iframe: a question and its bars."""
    return render(request, "forecasts/question_embed.html", {"question": _question(request, slug)})


@login_required
def follow_question(request, slug):
    """POST: follow the question (or, with `unfollow`, stop); back to its page."""
    question = _question(request, slug)
    if request.method == "POST":
        if request.POST.get("unfollow"):
            following.unfollow(request.user, question)
            messages.success(request, "You no longer follow this question.")
        else:
            following.follow(request.user, question)
            messages.success(
                request,
                "You follow this question: one email when it resolves or moves sharply.",
            )
    return redirect(question)


@csrf_exempt  # the token is the credential: mail clients' one-click POST (RFC 8058) has none
def unsubscribe(request, token):
    """The unsubscribe link of a follow email: GET asks to confirm (a link scanner's GET
    changes nothing), POST unsubscribes at once."""
    row = Follow.objects.select_related("question").filter(token=token).first()
    if request.method == "POST":
        if row is not None:
            row.delete()
        return render(request, "forecasts/unsubscribe.html", {"done": True, "follow": row})
    status = 200 if row is not None else 404
    return render(request, "forecasts/unsubscribe.html", {"follow": row}, status=status)


@login_required
def submit_forecast(request, slug):
    """POST a reader's forecast; the question page shows the form and its errors."""
    question = _question(request, slug)
    if request.method != "POST":
        return redirect(question)
    form = ForecastForm(question, request.POST)
    if form.is_valid():
        try:
            forecasting.record_forecast(
                request.user,
                question.pk,
                form.probabilities(),
                normalise=form.cleaned_data["normalise"],
                rationale=form.cleaned_data["rationale"],
            )
        except ValidationError as error:
            form.add_error(None, reader_error(error))
        else:
            messages.success(request, "Your forecast is saved. Change it any time until close.")
            return redirect(question)
    return _render_question(request, question, form, status=400)


def _forecast_form(request, question):
    """Pre-filled with the reader's last forecast, or else the community's."""
    if not request.user.is_authenticated or not question.is_open:
        return None, None
    mine = forecasting.latest_forecast(request.user, question)
    start = {option.pk: p for option, p, _ in question.community_forecast()}
    if question.community_hidden:  # anti-anchoring: equal shares, not the community's
        start = {option.pk: 1 / len(start) for option in question.options.all()}
    if mine:
        own = {p.option_id: p.probability for p in mine.probabilities.all()}
        if own.keys() >= start.keys():  # an option added since falls back to the community
            start = own
    return ForecastForm(question, initial_probabilities=start), mine


def _render_question(request, question, form=None, status=200):
    mine = None
    if form is None:
        form, mine = _forecast_form(request, question)
    elif request.user.is_authenticated:
        mine = forecasting.latest_forecast(request.user, question)
    chart = probability_chart(question, question.snapshots.all())
    rationales = list(question.public_rationales()) if question.shows_rationales() else None
    context = {
        "question": question,
        "chart": chart,
        "form": form,
        "mine": mine,
        "rationales": rationales,
        "following": following.is_following(request.user, question),
    }
    return render(request, "forecasts/question_detail.html", context, status=status)


@login_required
def my_forecasts(request):
    """The reader's questions: their latest forecast on each, and the score if resolved."""
    rows = list(
        Forecast.objects.filter(user=request.user)
        .latest_per_reader()
        .select_related("question__resolved_option")
        .prefetch_related("probabilities", "question__options")
        .order_by("-created_at", "-pk")
    )
    scores = {s.question_id: s for s in Score.objects.filter(user=request.user)}
    community = {
        s.question_id: s
        for s in Score.objects.filter(user=None, question__in=[f.question_id for f in rows])
    }
    for forecast in rows:
        forecast.score = scores.get(forecast.question_id)
        forecast.community_score = community.get(forecast.question_id)
        shares = {p.option_id: p.probability for p in forecast.probabilities.all()}
        forecast.shares = [(o, shares.get(o.pk, 0) * 100) for o in forecast.question.options.all()]
    context = {
        "open_rows": [f for f in rows if not f.question.is_settled],
        "settled_rows": [f for f in rows if f.question.is_settled],
    }
    return render(request, "forecasts/my_forecasts.html", context)


@public_page
def leaderboard(request):
    rows = (
        Score.objects.filter(user__isnull=False)
        .values("user__username", "user__first_name", "user__last_name")
        .annotate(questions=Count("pk"), brier=Avg("brier"), log_score=Avg("log_score"))
        .filter(questions__gte=scoring.MIN_QUESTIONS_FOR_LEADERBOARD)
        .order_by("brier", "-questions", "user__username")[:LEADERBOARD_SIZE]
    )
    for row in rows:
        full = f"{row['user__first_name']} {row['user__last_name']}".strip()
        row["name"] = full or row["user__username"]
    cdn.tag(request, cdn.LIST_QUESTIONS)  # scores change when a question is resolved
    context = {"rows": rows, "minimum": scoring.MIN_QUESTIONS_FOR_LEADERBOARD}
    return render(request, "forecasts/leaderboard.html", context)


@public_page
def track_record(request):
    community = Score.objects.filter(user__isnull=True).select_related("question")
    summary = community.aggregate(questions=Count("pk"), brier=Avg("brier"), log=Avg("log_score"))
    bins = scoring.calibration(community)
    # Resolved questions are counted from the questions themselves, as the home page
    # lists them: a question resolved outside the site's resolve step (an import, the
    # demo loader) has no scores until `score_question` runs.
    resolved = Question.objects.resolved().count()
    cdn.tag(request, cdn.LIST_QUESTIONS)
    context = {
        "summary": summary,
        "resolved": resolved,
        "unscored": max(resolved - summary["questions"], 0),
        "bins": bins,
        "chart": calibration_chart(bins),
    }
    return render(request, "forecasts/track_record.html", context)
