"""The editors' desk: the admin site editors and reporters work in, and its desk page.

The desk page (/admin/desk/) is the day's work in one place, each list with its count:
questions past their close awaiting an outcome (oldest first, with the source that
settles them and a link to resolve), questions closing within a week, what is scheduled
(stories and questions, by day), what waits for review, what an editor sent back, and the
recent history. The admin's index shows the same counts as badges. Every list comes from
a QuerySet method of the models (or config.workflow / config.history for review and
history) and costs a fixed number of queries however long it is.
"""

from dataclasses import dataclass, field
from itertools import groupby

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from config import workflow
from config.history import recent_revisions
from forecasts.models import Question
from news.models import Story

DESK_LIST_SIZE = 10  # rows a desk list shows; its count and "see all" link tell the rest
RECENT_ACTIVITY = 20
# The models whose revisions the activity list names (their options and links follow).
ACTIVITY_MODELS = {("news", "story"), ("forecasts", "question")}


@dataclass
class DeskList:
    """One list on the desk: up to DESK_LIST_SIZE rows, the full count, where to see all."""

    key: str
    title: str
    count: int
    rows: list = field(default_factory=list)
    see_all: str = ""
    shown: int | None = None  # rows shown, when rows are groups (days)

    def __post_init__(self):
        if self.shown is None:
            self.shown = len(self.rows)

    @property
    def more(self):
        """Whether the list holds more than it shows."""
        return self.count > self.shown


@dataclass
class DeskItem:
    """A story or a question in a list that holds both."""

    item: object
    when: object

    @property
    def kind(self):
        return self.item._meta.verbose_name.capitalize()

    @property
    def url(self):
        opts = self.item._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[self.item.pk])


def desk_counts(now=None):
    """{key: count} of each desk list, for the index's badges: one query a list."""
    now = now or timezone.now()
    return {key: queryset.count() for key, queryset in _desk_querysets(now).items()}


def _desk_querysets(now):
    """The querysets behind the desk's lists, whose counts are the badges."""
    questions = Question.objects.all()
    return {
        "awaiting": questions.awaiting_resolution(now),
        "closing": questions.closing_soon(now),
        "scheduled_stories": Story.objects.scheduled(now).order_by("published_at", "pk"),
        "scheduled_questions": questions.upcoming(now).order_by("opens_at", "pk"),
        "review_stories": workflow.waiting_for_review(Story.objects.all()),
        "review_questions": workflow.waiting_for_review(questions),
        "sent_back_stories": workflow.sent_back(Story.objects.all()),
        "sent_back_questions": workflow.sent_back(questions),
    }


def desk_lists(now=None):
    """The desk page's lists, in the order an editor works through them: what waits on
    someone (review, changes), then the resolution queue, then what comes next."""
    now = now or timezone.now()
    querysets = _desk_querysets(now)

    def rows(key):
        return list(querysets[key][:DESK_LIST_SIZE])

    def count(*keys):
        return sum(querysets[key].count() for key in keys)

    changelist = reverse("admin:forecasts_question_changelist")
    stories = reverse("admin:news_story_changelist")
    scheduled = sorted(
        [DeskItem(story, story.published_at) for story in rows("scheduled_stories")]
        + [DeskItem(question, question.opens_at) for question in rows("scheduled_questions")],
        key=lambda item: item.when,
    )
    by_day = [
        (day, list(items))
        for day, items in groupby(scheduled, key=lambda item: timezone.localdate(item.when))
    ]
    return [
        DeskList(
            "review", "Waiting for review", count("review_stories", "review_questions"),
            [DeskItem(i, i.updated_at) for i in rows("review_stories") + rows("review_questions")],
            f"{stories}?publication=in_review",
        ),
        DeskList(
            "sent_back", "Sent back for changes",
            count("sent_back_stories", "sent_back_questions"),
            [DeskItem(i, i.last_changed_at)
             for i in rows("sent_back_stories") + rows("sent_back_questions")],
        ),
        DeskList(
            "awaiting", "Closed, awaiting resolution", count("awaiting"), rows("awaiting"),
            f"{changelist}?state=closed",
        ),
        DeskList(
            "closing", "Closing within 7 days", count("closing"), rows("closing"),
            f"{changelist}?state=open",
        ),
        DeskList(
            "scheduled", "Scheduled", count("scheduled_stories", "scheduled_questions"),
            by_day, f"{stories}?publication=scheduled", shown=len(scheduled),
        ),
    ]  # fmt: skip


def recent_activity(limit=RECENT_ACTIVITY):
    """The newest revisions: who, when, what they said, and the stories and questions
    they touched, with their admin pages. Two queries."""
    activity = []
    for revision in recent_revisions(limit):
        items = [
            (
                version.object_repr,
                reverse(
                    f"admin:{version.content_type.app_label}_{version.content_type.model}_change",
                    args=[version.object_id],
                ),
            )
            for version in revision.version_set.all()
            if (version.content_type.app_label, version.content_type.model) in ACTIVITY_MODELS
        ]
        activity.append((revision, items))
    return activity


class DeskAutocomplete(AutocompleteJsonView):
    """Autocomplete results labelled as editors tell items apart: `desk_label` if the
    model has one ("Open · Will Iraq close Al-Qaim by June 30, 2025?")."""

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        return {**result, "text": getattr(obj, "desk_label", result["text"])}


class DeskSite(admin.AdminSite):
    """Django's admin with the desk: its page, its counts on the index, its labels."""

    index_template = "admin/desk_index.html"

    def get_urls(self):
        return [path("desk/", self.admin_view(self.desk_view), name="desk"), *super().get_urls()]

    @staticmethod
    def works_the_desk(user):
        return user.has_perm("news.view_story") or user.has_perm("forecasts.view_question")

    def index(self, request, extra_context=None):
        if self.works_the_desk(request.user):
            extra_context = {**(extra_context or {}), "desk_counts": _badges(desk_counts())}
        return super().index(request, extra_context)

    def desk_view(self, request):
        if not self.works_the_desk(request.user):
            raise PermissionDenied
        context = {
            **self.each_context(request),
            "title": "The desk",
            "subtitle": None,
            "lists": desk_lists(),
            "activity": recent_activity(),
            "may_resolve": workflow.may_resolve(request.user),
            "now": timezone.now(),
        }
        request.current_app = self.name
        return TemplateResponse(request, "admin/desk.html", context)

    def autocomplete_view(self, request):
        return DeskAutocomplete.as_view(admin_site=self)(request)


def _badges(counts):
    """The index's badges: (label, count, anchor on the desk page)."""
    return [
        ("Waiting for review", counts["review_stories"] + counts["review_questions"], "review"),
        (
            "Sent back for changes",
            counts["sent_back_stories"] + counts["sent_back_questions"],
            "sent_back",
        ),
        ("Awaiting resolution", counts["awaiting"], "awaiting"),
        ("Closing within 7 days", counts["closing"], "closing"),
        ("Scheduled", counts["scheduled_stories"] + counts["scheduled_questions"], "scheduled"),
    ]
