"""Forecast questions, their options, readers' forecasts and the community's snapshots.

The rules that hold for every caller (admin, public pages, API, `load_demo`) live here and
in small modules beside it: forecasts.outcomes (close, resolve, annul), forecasts.forecasting
(recording a forecast) and forecasts.maths (the arithmetic); the database enforces those it
can express as constraints.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import OuterRef, Prefetch, Subquery, prefetch_related_objects
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property

from config import cdn
from config.languages import default_language, language_choices, text_direction
from config.search import search_vector, text_search
from config.text import visible_text
from config.times import storable_time
from forecasts import maths
from news.models import Story

QUESTION_SEARCH_VECTOR = search_vector("title", "description", "resolution_criteria")
CLOSING_SOON = timedelta(days=7)
# Cards show how far each option moved over these (from ForecastSnapshot history).
CHANGE_WINDOW = timedelta(hours=24)
WEEK_CHANGE_WINDOW = timedelta(days=7)
CARD_OPTIONS = 4  # a card shows this many options, then "+ K more"
MIN_OPTIONS = 2
RATIONALE_MAX_LENGTH = 1000  # characters of a reader's reason for a forecast
RATIONALES_SHOWN = 50  # the newest reasons a question page shows
# The most options a question may have: the admin, the API (its schema says maxItems),
# the importer and `load_demo` all stop here (Question.check_option_labels).
MAX_OPTIONS = 50
TOO_FEW_OPTIONS = f"A question needs at least {MIN_OPTIONS} options."
TOO_MANY_OPTIONS = f"A question has at most {MAX_OPTIONS} options."


def normalise_label(label):
    """An option label as it is stored and compared: without invisible characters,
    composed (NFC), single-spaced and stripped (config.text.visible_text).

    Every way a label comes in (the admin's inline, the API, the importer, `load_demo`)
    stores what this returns, so labels that look the same are the same label.
    """
    return visible_text(label)


def save_without(instance, running_fields, args, kwargs):
    """Save an existing row without writing its running aggregates.

    Those columns change only through F() updates in forecasts.forecasting; a plain save()
    of an instance loaded a moment earlier would otherwise write a stale count back.
    """
    if instance.pk and not instance._state.adding and kwargs.get("update_fields") is None:
        kwargs["update_fields"] = [
            field.name
            for field in instance._meta.concrete_fields
            if not field.primary_key and field.name not in running_fields
        ]
    return kwargs


BINARY_LABELS = ("Yes", "No")
PROBABILITY_MIN = 0.001
PROBABILITY_MAX = 0.999


class QuestionQuerySet(models.QuerySet):
    def visible(self):
        """Questions readers may see: everything but drafts and questions in review."""
        return self.exclude(status__in=Question.UNPUBLISHED)

    def visible_to(self, user):
        """What `user` may see: drafts too for those who may view or change questions in
        the admin (editors, as the admin's own has_view_permission), else visible()."""
        editor = user.has_perm("forecasts.view_question") or user.has_perm(
            "forecasts.change_question"
        )
        return self if editor else self.visible()

    def in_state(self, state, now=None):
        """The questions in `state` (a Question.State value): the one mapping from the
        states that readers, editors and API clients filter by to a query."""
        now = now or timezone.now()
        match state:
            case Question.State.UPCOMING:
                return self.upcoming(now)
            case Question.State.OPEN:
                return self.open(now)
            case Question.State.CLOSED:
                return self.closed(now)
            case Question.State.RESOLVED:
                return self.resolved()
            case Question.State.ANNULLED:
                return self.annulled()
        return self.filter(state_condition(state, now))

    def in_list(self, name, now=None):
        """The questions of a list readers and clients pick by name: a state of
        in_state(), or "closing" (closing_soon()) or "all" (as they are). The web's tabs
        (/questions/?state=) and the API's `state` filter both use it."""
        if name == "closing":
            return self.closing_soon(now)
        if name == "all":
            return self
        return self.in_state(name, now)

    def open(self, now=None):
        """Published, opened and not closed yet: taking forecasts. Closing first."""
        return self.filter(state_condition(Question.State.OPEN, now)).order_by("closes_at", "pk")

    def in_review(self):
        """Submitted for review and waiting for an editor (config.workflow)."""
        return self.filter(status=Question.Status.IN_REVIEW)

    def upcoming(self, now=None):
        """Published but not open yet."""
        return self.filter(state_condition(Question.State.UPCOMING, now))

    def closed(self, now=None):
        """Published, past its close time, not yet resolved or annulled."""
        return self.filter(state_condition(Question.State.CLOSED, now))

    def awaiting_resolution(self, now=None):
        """Closed and waiting for an outcome, the longest waiting first: the desk's queue."""
        return self.closed(now).order_by("closes_at", "pk")

    def closing_soon(self, now=None):
        """Open and closing within CLOSING_SOON, soonest first."""
        return self.filter(closing_soon_condition(now)).order_by("closes_at")

    def list_counts(self, now=None):
        """{name: count} of the lists readers browse (/questions/'s tabs), in one query:
        each state that readers see, "closing" (closing_soon()) and "all"."""
        now = now or timezone.now()
        counts = {
            state: models.Count("pk", filter=state_condition(state, now))
            for state in (
                Question.State.OPEN,
                Question.State.CLOSED,
                Question.State.RESOLVED,
                Question.State.ANNULLED,
            )
        }
        return self.aggregate(
            **counts,
            closing=models.Count("pk", filter=closing_soon_condition(now)),
            all=models.Count("pk"),
        )

    def resolved(self):
        return self.filter(state_condition(Question.State.RESOLVED)).order_by(
            "-resolved_at", "-pk"
        )

    def annulled(self):
        return self.filter(state_condition(Question.State.ANNULLED)).order_by(
            "-resolved_at", "-pk"
        )

    def about(self, topic):
        """Questions hanging on a live story of `topic`."""
        stories = Story.objects.live().filter(topics=topic)
        return self.filter(
            pk__in=StoryQuestion.objects.filter(story__in=stories).values("question")
        )

    def search(self, query):
        return text_search(
            self, query, QUESTION_SEARCH_VECTOR, ["title", "description", "resolution_criteria"]
        )

    def with_options(self):
        return self.select_related("resolved_option").prefetch_related("options")

    def with_day_change(self, now=None):
        """Each question with the community forecast of CHANGE_WINDOW and
        WEEK_CHANGE_WINDOW ago, for Question.day_change and week_change: subqueries in the
        same query, so a list of any length costs nothing more."""
        return self.annotate(
            day_ago_probabilities=probabilities_before(OuterRef("pk"), now),
            week_ago_probabilities=probabilities_before(OuterRef("pk"), now, WEEK_CHANGE_WINDOW),
        )

    def revealed_by_clock(self, since, now):
        """Questions whose reveal time passed in (since, now]: the clock, not a write,
        changed what their pages show (`fire_due_events` renews cached pages for them)."""
        return self.filter(reveal_at__gt=since, reveal_at__lte=now)

    def delete_with_forecasts(self):
        """Delete these questions and the readers' forecasts on them, which would otherwise
        protect the options they name (scores and snapshots go with the questions)."""
        with transaction.atomic():
            Forecast.objects.filter(question__in=self).delete()
            return self.delete()


def state_condition(state, now=None):
    """The condition (a Q) for questions in `state`: derived from status and the clock.
    QuestionQuerySet.in_state() and its counts are built on it."""
    now = now or timezone.now()
    published = models.Q(status=Question.Status.PUBLISHED)
    match state:
        case Question.State.DRAFT:
            return models.Q(status=Question.Status.DRAFT)
        case Question.State.IN_REVIEW:
            return models.Q(status=Question.Status.IN_REVIEW)
        case Question.State.UPCOMING:
            return published & models.Q(opens_at__gt=now)
        case Question.State.OPEN:
            return published & models.Q(opens_at__lte=now, closes_at__gt=now)
        case Question.State.CLOSED:
            return published & models.Q(closes_at__lte=now)
        case Question.State.RESOLVED:
            return models.Q(status=Question.Status.RESOLVED)
        case Question.State.ANNULLED:
            return models.Q(status=Question.Status.ANNULLED)
    raise ValueError(f"not a question state: {state!r}")


def closing_soon_condition(now=None):
    now = now or timezone.now()
    return state_condition(Question.State.OPEN, now) & models.Q(closes_at__lte=now + CLOSING_SOON)


def probabilities_before(question, now=None, window=CHANGE_WINDOW):
    """Subquery: the probabilities of `question`'s last snapshot taken `window` or more
    before `now` (NULL when there is none). Uses the (question, taken_at) index."""
    cutoff = (now or timezone.now()) - window
    snapshots = ForecastSnapshot.objects.filter(question=question, taken_at__lte=cutoff)
    return Subquery(
        snapshots.order_by("-taken_at", "-pk").values("probabilities")[:1],
        output_field=models.JSONField(),
    )


@dataclass
class OptionRow:
    """One option as a card or the question page shows it."""

    option: "Option"
    probability: float
    percent: int
    change: int  # whole points over CHANGE_WINDOW; 0 when it did not move or is unknown
    is_outcome: bool
    is_leading: bool
    week_change: int = 0  # the same over WEEK_CHANGE_WINDOW

    @property
    def label(self):
        return self.option.label


class Question(models.Model):
    class Kind(models.TextChoices):
        BINARY = "binary", "Yes / No"
        MULTIPLE_CHOICE = "multiple_choice", "Multiple choice"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        PUBLISHED = "published", "Published"
        RESOLVED = "resolved", "Resolved"
        ANNULLED = "annulled", "Annulled"

    class State(models.TextChoices):
        """What a reader sees; derived from status and the clock, never stored."""

        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        UPCOMING = "upcoming", "Not open yet"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"
        RESOLVED = "resolved", "Resolved"
        ANNULLED = "annulled", "Annulled"

    title = models.CharField(max_length=255)
    slug = models.SlugField(max_length=255, unique=True)
    description = models.TextField(blank=True)
    resolution_criteria = models.TextField(
        help_text='The source that settles it, e.g. "Reports from interviews or official '
        'statements".'
    )
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.MULTIPLE_CHOICE)
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    language = models.CharField(
        max_length=16,
        choices=language_choices,
        default=default_language,
        blank=True,  # blank means the site's own language (save() fills it in)
        help_text="The language the question and its options are written in.",
    )
    opens_at = models.DateTimeField(default=timezone.now)
    closes_at = models.DateTimeField()
    # RESTRICT, not PROTECT: the winning option cannot be deleted on its own, but the
    # question can still be deleted together with its options.
    resolved_option = models.ForeignKey(
        "Option",
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(blank=True)
    stories = models.ManyToManyField(
        "news.Story", through="StoryQuestion", related_name="questions", blank=True
    )
    # Running aggregate of the latest forecast per reader (see forecasts.forecasting).
    forecaster_count = models.PositiveIntegerField(default=0, editable=False)
    # Anti-anchoring: the community forecast stays hidden until both hold (reveals_community).
    reveal_forecasters = models.PositiveIntegerField(
        "reveal after forecasters",
        default=0,
        help_text="Hide the community forecast until this many readers have forecast, so "
        "early readers are not anchored by it (0: show it at once). Shown at close anyway.",
    )
    reveal_at = models.DateTimeField(
        "reveal at",
        null=True,
        blank=True,
        help_text="Hide the community forecast until this time (empty: no wait). Shown at "
        "close anyway.",
    )
    rationales_at_once = models.BooleanField(
        "show reasons at once",
        default=False,
        help_text="Show readers' reasons on the question page while it is open, not only "
        "after it closes.",
    )
    # When a forecast's pooled weight is 1 (forecasts.maths.pooled_weight); set by the
    # first forecast and moved forward by a rebase. None: nobody has forecast yet.
    pooled_origin = models.DateTimeField(null=True, blank=True, editable=False)
    is_demo = models.BooleanField(
        "demo",
        default=False,
        help_text="Invented by `manage.py load_demo`, with simulated readers' forecasts.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuestionQuerySet.as_manager()

    # Readers never see these (visible()); the database holds them to fewer rules.
    UNPUBLISHED = (Status.DRAFT, Status.IN_REVIEW)

    # What an editor edits: its hash is the question's edit version (config.editing).
    # Readers' forecasts move forecaster_count and updated_at, never the version.
    EDITORIAL_FIELDS = [
        "title", "slug", "kind", "description", "resolution_criteria", "status", "opens_at",
        "closes_at", "resolved_option_id", "resolution_note", "reveal_forecasters",
        "reveal_at", "rationales_at_once",
    ]  # fmt: skip

    class Meta:
        ordering = ["closes_at", "id"]
        # Changing a question is neither publishing nor settling it: config.workflow.
        permissions = [
            ("publish_question", "Can publish questions and approve them in review"),
            ("resolve_question", "Can close, resolve and annul questions"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["binary", "multiple_choice"]),
                name="question_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["draft", "in_review", "published", "resolved", "annulled"]
                ),
                name="question_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="question_closes_after_opens",
                violation_error_message="The close time must be after the open time.",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        status="resolved",
                        resolved_option__isnull=False,
                        resolved_at__isnull=False,
                    )
                    | (~models.Q(status="resolved") & models.Q(resolved_option__isnull=True))
                ),
                name="question_resolution_consistent",
                violation_error_message=(
                    "A resolved question needs its winning option and resolution time; "
                    "any other question has no winning option."
                ),
            ),
        ]
        indexes = [
            # The open / closing-soon lists filter on status and sort by close time.
            models.Index(fields=["status", "closes_at"], name="question_status_closes_idx"),
            models.Index(fields=["status", "-resolved_at"], name="question_resolved_idx"),
            # The API's question list: every visible question, by close time, cursor-paged.
            models.Index(fields=["closes_at", "id"], name="question_closes_id_idx"),
            GinIndex(QUESTION_SEARCH_VECTOR, name="question_search_idx"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.language = self.language or default_language()
        super().save(
            *args, **save_without(self, {"forecaster_count", "pooled_origin"}, args, kwargs)
        )

    def get_absolute_url(self):
        return reverse("forecasts:question", args=[self.slug])

    def surrogate_keys(self):
        """What a change to the question must purge from the CDN (config.cdn): every page
        that shows it, the question lists it may join or leave, and its stories' pages
        (a question turned public is on none of them yet)."""
        stories = self.stories.values_list("pk", flat=True) if self.pk else []
        return [cdn.question_key(self.pk), cdn.LIST_QUESTIONS, *map(cdn.story_key, stories)]

    @property
    def desk_label(self):
        """How editors tell questions apart in a list of choices: the state, then the
        whole title (a narrow box cuts the end, never the state)."""
        return f"{self.state().label} · {self.title}"

    def editorial_extras(self):
        """The options in order: renaming, adding or dropping one is an editorial change.
        Uses the prefetched options when the caller prefetched them."""
        return {"options": [[o.pk, o.label, o.position] for o in self.options.all()]}

    def clean(self):
        errors = {}
        typed, self.title = self.title, visible_text(self.title or "")
        if typed and not self.title:  # blank is refused by the field itself
            errors["title"] = "Give the question a title readers can see."
        if self.pk:
            stored = Question.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored in {self.Status.RESOLVED, self.Status.ANNULLED} and self.status != stored:
                errors["status"] = (
                    f"This question is {stored}; its outcome is final and cannot be reopened."
                )
        try:
            self.opens_at, self.closes_at = self.check_schedule(self.opens_at, self.closes_at)
        except ValidationError as error:
            errors.update(error.message_dict)
        try:
            self.resolved_at = storable_time(self.resolved_at)
        except ValidationError as error:
            errors["resolved_at"] = error.messages
        if self.status == self.Status.RESOLVED:
            if self.resolved_option_id is None:
                errors["resolved_option"] = "Pick the option that won."
            elif self.pk and self.resolved_option.question_id != self.pk:
                errors["resolved_option"] = "The winning option must be one of this question's."
        elif self.resolved_option_id is not None:
            errors["resolved_option"] = "Only a resolved question has a winning option."
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def check_schedule(opens_at, closes_at):
        """Both times are ones the database can hold (config.times) and the question
        closes after it opens; returns them in UTC, raises ValidationError by field.

        Its clean(), the admin's import form, the API and `load_demo` all call it (the
        database holds the order as a constraint)."""
        errors = {}
        times = {"opens_at": opens_at, "closes_at": closes_at}
        for name, moment in times.items():
            try:
                times[name] = storable_time(moment)
            except ValidationError as error:
                errors[name] = error.messages
        opens_at, closes_at = times["opens_at"], times["closes_at"]
        if not errors and opens_at and closes_at and closes_at <= opens_at:
            errors["closes_at"] = "The close time must be after the open time."
        if errors:
            raise ValidationError(errors)
        return opens_at, closes_at

    @classmethod
    def check_option_labels(cls, kind, labels):
        """Validate a question's option labels as a whole; returns them normalised
        (normalise_label), raises ValidationError.

        The one place the rules on a question's set of options live: from MIN_OPTIONS to
        MAX_OPTIONS of them, each with a visible label, unique once normalised and
        ignoring case, and exactly "Yes" and "No" for a binary question. Admin formsets,
        the API, the importer and `load_demo` all call it.
        """
        cleaned = [normalise_label(label) for label in labels]
        errors = []
        for number, label in enumerate(cleaned, 1):
            if not label:
                errors.append(
                    f"Option {number} needs a label readers can see (spaces and invisible "
                    "characters do not count)."
                )
        seen = {}
        for label in cleaned:
            key = label.casefold()
            if label and key in seen:
                errors.append(
                    f'"{label}" is the same option as "{seen[key]}" '
                    "(case ignored, as are spacing and invisible characters)."
                )
            seen.setdefault(key, label)
        if len(cleaned) < MIN_OPTIONS:
            errors.append(TOO_FEW_OPTIONS)
        if len(cleaned) > MAX_OPTIONS:
            errors.append(TOO_MANY_OPTIONS)
        if kind == cls.Kind.BINARY and sorted(label.casefold() for label in cleaned) != sorted(
            label.casefold() for label in BINARY_LABELS
        ):
            errors.append('A yes/no question has exactly the options "Yes" and "No".')
        if errors:
            raise ValidationError(errors)
        return cleaned

    def state(self, now=None):
        if self.status == self.Status.DRAFT:
            return self.State.DRAFT
        if self.status == self.Status.IN_REVIEW:
            return self.State.IN_REVIEW
        if self.status == self.Status.RESOLVED:
            return self.State.RESOLVED
        if self.status == self.Status.ANNULLED:
            return self.State.ANNULLED
        now = now or timezone.now()
        if now < self.opens_at:
            return self.State.UPCOMING
        if now < self.closes_at:
            return self.State.OPEN
        return self.State.CLOSED

    @property
    def direction(self):
        """ "rtl" or "ltr": the `dir` of the element that holds the question."""
        return text_direction(self.language)

    @property
    def is_open(self):
        return self.state() == self.State.OPEN

    @property
    def is_closed(self):
        """Past its close time, or settled; a closed question takes no forecasts."""
        return self.state() in {self.State.CLOSED, self.State.RESOLVED, self.State.ANNULLED}

    def reveals_community(self, now=None):
        """Whether anyone may see the community forecast yet: once the question has
        `reveal_forecasters` forecasters and `reveal_at` has passed, and always once it
        has closed. Pages, embeds, feeds, exports, the API, live streams and webhooks ask
        this; a reader always sees their own forecast."""
        if self.state(now) in {self.State.CLOSED, self.State.RESOLVED, self.State.ANNULLED}:
            return True
        if self.forecaster_count < self.reveal_forecasters:
            return False
        return self.reveal_at is None or (now or timezone.now()) >= self.reveal_at

    def community_visible_to(self, user, now=None):
        """reveals_community(), or `user` may edit questions (editors see it at once)."""
        return self.reveals_community(now) or Question.sees_hidden_community(user)

    @staticmethod
    def sees_hidden_community(user):
        """Whether `user` sees a community forecast before its reveal: editors do."""
        return user.has_perm("forecasts.change_question")

    def shows_rationales(self, now=None):
        """Whether readers' reasons show on the page: once it closes, or at once when the
        question says so."""
        return self.rationales_at_once or self.state(now) in {
            self.State.CLOSED, self.State.RESOLVED, self.State.ANNULLED,
        }  # fmt: skip

    def public_rationales(self):
        """The reasons readers see: each reader's latest forecast's, unless an editor hid
        it, newest first; without names (nobody sees another reader's forecast)."""
        return (
            Forecast.objects.latest_per_reader()
            .filter(question=self, rationale_hidden=False)
            .exclude(rationale="")
            .order_by("-created_at", "-pk")
            .values_list("rationale", "created_at")[:RATIONALES_SHOWN]
        )

    @cached_property
    def community_hidden(self):
        """Not reveals_community() now: what templates ask."""
        return not self.reveals_community()

    @property
    def is_settled(self):
        """Resolved or annulled: its outcome is final and the form no longer edits it."""
        return self.status in {self.Status.RESOLVED, self.Status.ANNULLED}

    def publish(self, now=None):
        """Readers see it from `opens_at` on (config.workflow decides who may publish)."""
        self.status = self.Status.PUBLISHED
        self.save(update_fields=["status", "updated_at"])

    def ensure_binary_options(self):
        """Give a yes/no question without options its "Yes" and "No"."""
        if self.kind == self.Kind.BINARY and not self.options.exists():
            Option.objects.bulk_create(
                Option(question=self, label=label, position=position)
                for position, label in enumerate(BINARY_LABELS)
            )

    def leading_option(self):
        """(option, percent, tied) of the option the community gives most, or None before
        anyone forecast. Uses the prefetched options, like community_forecast()."""
        if not self.forecaster_count:
            return None
        shares = self.community_forecast()
        top = max(probability for _, probability, _ in shares)
        leaders = [(option, percent) for option, probability, percent in shares
                   if probability == top]  # fmt: skip
        option, percent = leaders[0]
        return option, percent, len(leaders) > 1

    def community_forecast(self, method=None):
        """[(option, probability, percent)] in display order; percents sum to 100. The
        aggregate is `method` (maths.POOLED or maths.MEAN), by default the one the site
        shows (COMMUNITY_AGGREGATE).

        Uses the prefetched options when the caller prefetched them, so a page showing
        many questions costs one query for all their options.
        """
        options = list(self.options.all())
        probabilities = community_probabilities(options, self.forecaster_count, method)
        percents = maths.largest_remainder_percentages(probabilities)
        return list(zip(options, probabilities, percents, strict=True))

    @cached_property
    def day_change(self):
        """{option id: whole percentage points moved over CHANGE_WINDOW}, options that moved
        only; {} for a settled question or when the caller did not load
        `day_ago_probabilities` (QuestionQuerySet.with_day_change())."""
        return self._change(getattr(self, "day_ago_probabilities", ...), CHANGE_WINDOW)

    @cached_property
    def week_change(self):
        """The same as day_change over WEEK_CHANGE_WINDOW."""
        return self._change(getattr(self, "week_ago_probabilities", ...), WEEK_CHANGE_WINDOW)

    def _change(self, then, window):
        """{option id: points moved} since `then` (the snapshot's probabilities `window`
        ago; ... when not loaded).

        The forecast then is the last snapshot before then; with none, the question had
        no forecasts yet and stood at 1/N if it was open, or did not exist to move.
        """
        if self.is_settled or then is ...:
            return {}
        current = self.community_forecast()
        if then is None:
            if self.opens_at > timezone.now() - window:
                return {}
            then_percents = maths.largest_remainder_percentages([1] * len(current))
        else:
            values = [float(then.get(str(option.pk), 0.0)) for option, _, _ in current]
            if sum(values) <= 0:
                return {}
            then_percents = maths.largest_remainder_percentages(values)
        return {
            option.pk: percent - before
            for (option, _, percent), before in zip(current, then_percents, strict=True)
            if percent != before
        }

    @cached_property
    def option_rows(self):
        """[OptionRow] in display order: what the bars show."""
        current = self.community_forecast()
        percents = sorted((percent for _, _, percent in current), reverse=True)
        leading = None  # an option ahead of every other; none when the top is shared
        if percents and (len(percents) == 1 or percents[0] > percents[1]):
            leading = next(option.pk for option, _, percent in current if percent == percents[0])
        changes, week = self.day_change, self.week_change
        return [
            OptionRow(
                option=option,
                probability=probability,
                percent=percent,
                change=changes.get(option.pk, 0),
                week_change=week.get(option.pk, 0),
                is_outcome=option.pk == self.resolved_option_id,
                is_leading=option.pk == leading,
            )
            for option, probability, percent in current
        ]

    @property
    def leading_row(self):
        """The option with the highest share, when one is ahead of the rest."""
        return next((row for row in self.option_rows if row.is_leading), None)

    @property
    def more_options(self):
        """How many options a card leaves out ("+ 3 more options")."""
        return max(len(self.option_rows) - CARD_OPTIONS, 0)


def shown_aggregate():
    """The aggregate readers see: maths.POOLED or maths.MEAN (COMMUNITY_AGGREGATE)."""
    return settings.COMMUNITY_AGGREGATE


def community_probabilities(options, forecaster_count, method=None):
    """The community probabilities of `options` (in order, with their running sums) by
    `method`, by default the shown aggregate."""
    method = method or shown_aggregate()
    if method == maths.MEAN:
        return maths.mean_probabilities([o.forecast_sum for o in options], forecaster_count)
    return maths.pooled_probabilities(
        [o.pooled_log_sum for o in options],
        [o.pooled_weight for o in options],
        forecaster_count,
        settings.COMMUNITY_EXTREMIZING,
    )


def community_state(options, forecaster_count):
    """What a snapshot, a live stream and a webhook record of the community forecast:
    {"forecaster_count", "method", "probabilities": {option id: p} of the shown aggregate,
    "aggregates": {method: {option id: p}} of both}."""
    aggregates = {
        method: {
            str(o.pk): p
            for o, p in zip(
                options, community_probabilities(options, forecaster_count, method), strict=True
            )
        }
        for method in maths.AGGREGATES
    }
    method = shown_aggregate()
    return {
        "forecaster_count": forecaster_count,
        "method": method,
        "probabilities": aggregates[method],
        "aggregates": aggregates,
    }


class StoryQuestionQuerySet(models.QuerySet):
    def public(self):
        return self.exclude(question__status__in=Question.UNPUBLISHED)


def with_questions(stories):
    """`stories` with their reader-visible linked questions in order, in `story.public_links`.

    One query however many questions hang on the stories. The questions come without
    their options: their cards load what they show when the cache does not have them
    (load_for_cards).
    """
    return stories.prefetch_related(public_links())


def public_links():
    """The Prefetch of with_questions(), for stories already loaded."""
    return Prefetch("links", queryset=_public_links(), to_attr="public_links")


def with_featured_question(stories):
    """`stories` with only their featured question, in `story.featured_links`: a list
    of stories shows one question per story."""
    links = _public_links()[:1]
    return stories.prefetch_related(Prefetch("links", queryset=links, to_attr="featured_links"))


def _public_links():
    return StoryQuestion.objects.public().select_related("question")


def load_for_cards(questions):
    """What a question card (or an API list item) shows beyond the question's own row,
    for `questions` loaded without it: the options, the outcome and the 24-hour and 7-day
    changes. Two queries however many questions; those loaded with it
    (with_options().with_day_change()) cost none."""
    pending = [q for q in questions if not hasattr(q, "day_ago_probabilities")]
    if not pending:
        return
    prefetch_related_objects(pending, "options")
    then = {
        pk: (day, week)
        for pk, day, week in Question.objects.filter(pk__in={q.pk for q in pending})
        .with_day_change()
        .values_list("pk", "day_ago_probabilities", "week_ago_probabilities")
    }
    for question in pending:
        question.day_ago_probabilities, question.week_ago_probabilities = then.get(
            question.pk, (None, None)
        )
        if question.resolved_option_id:
            # The outcome is one of the options just loaded: no query of its own.
            question.resolved_option = next(
                o for o in question.options.all() if o.pk == question.resolved_option_id
            )


class StoryQuestion(models.Model):
    """A question hanging on a story; the lowest position is the story's featured one."""

    story = models.ForeignKey("news.Story", on_delete=models.CASCADE, related_name="links")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="links")
    position = models.PositiveSmallIntegerField(default=0)

    objects = StoryQuestionQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "linked question"
        constraints = [
            models.UniqueConstraint(
                fields=["story", "question"],
                name="story_question_once",
                violation_error_message="This question is already linked to the story.",
            ),
        ]
        indexes = [models.Index(fields=["story", "position"], name="story_question_order_idx")]

    def __str__(self):
        return f"{self.story} → {self.question}"

    def surrogate_keys(self):
        return [cdn.story_key(self.story_id), cdn.question_key(self.question_id)]


class Option(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)
    # Sum of the probabilities readers' latest forecasts give this option.
    forecast_sum = models.FloatField(default=0.0, editable=False)
    # The pooled aggregate's running sums over those forecasts: Σ w·ln p and Σ w, with w
    # each forecast's recency weight (forecasts.maths).
    pooled_log_sum = models.FloatField(default=0.0, editable=False)
    pooled_weight = models.FloatField(default=0.0, editable=False)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                "question",
                Lower("label"),
                name="option_label_unique_ci",
                violation_error_message="This question already has an option with that label "
                "(case is ignored).",
            ),
            models.CheckConstraint(condition=~models.Q(label=""), name="option_label_not_empty"),
            models.CheckConstraint(
                condition=models.Q(forecast_sum__gte=0), name="option_forecast_sum_not_negative"
            ),
            # Target of the composite foreign key that keeps a question's winning option
            # among its own options (added in SQL by the migration; Django has no
            # composite foreign keys).
            models.UniqueConstraint(fields=["question", "id"], name="option_question_id_unique"),
        ]

    def __str__(self):
        return self.label

    def save(self, *args, **kwargs):
        running = {"forecast_sum", "pooled_log_sum", "pooled_weight"}
        super().save(*args, **save_without(self, running, args, kwargs))

    def surrogate_keys(self):
        return [cdn.question_key(self.question_id)]

    def clean(self):
        typed, self.label = self.label, normalise_label(self.label or "")
        if typed and not self.label:  # blank is refused by the field itself
            raise ValidationError(
                {"label": "Give the option a label readers can see (spaces and invisible "
                 "characters do not count)."}
            )  # fmt: skip

    @property
    def has_forecasts(self):
        """Options readers have forecast on can be renamed but never deleted."""
        return ForecastProbability.objects.filter(option=self).exists()


class ForecastQuerySet(models.QuerySet):
    def latest_per_reader(self):
        """Each reader's newest forecast per question (ties broken by id): the ones the
        community forecast is made of."""
        newer = Forecast.objects.filter(
            models.Q(created_at__gt=models.OuterRef("created_at"))
            | models.Q(created_at=models.OuterRef("created_at"), pk__gt=models.OuterRef("pk")),
            user=models.OuterRef("user"),
            question=models.OuterRef("question"),
        )
        return self.filter(~models.Exists(newer))


class Forecast(models.Model):
    """One reader's forecast at one time; a newer one replaces it in the aggregate."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forecasts"
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="forecasts")
    created_at = models.DateTimeField(default=timezone.now)
    # Why, in the reader's words: plain text (forecasting.clean_rationale), shown without
    # their name on the question page (Question.shows_rationales) unless an editor hid it.
    rationale = models.TextField(blank=True, max_length=RATIONALE_MAX_LENGTH)
    rationale_hidden = models.BooleanField(
        "hidden", default=False, help_text="Hidden from the question page by an editor."
    )

    objects = ForecastQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # "this reader's latest forecast on this question", and the forecast that
            # stood at close for scoring.
            models.Index(fields=["question", "user", "-created_at"], name="forecast_latest_idx"),
            models.Index(fields=["user", "-created_at"], name="forecast_user_idx"),
        ]

    def __str__(self):
        return f"{self.user} on {self.question} at {self.created_at:%Y-%m-%d %H:%M}"

    def surrogate_keys(self):
        return [cdn.question_key(self.question_id)]


class Rationale(Forecast):
    """Forecasts as the admin's moderation list of readers' reasons."""

    class Meta:
        proxy = True
        ordering = ["-created_at", "-id"]
        verbose_name = "reader's reason"
        verbose_name_plural = "readers' reasons"


class ForecastProbability(models.Model):
    forecast = models.ForeignKey(Forecast, on_delete=models.CASCADE, related_name="probabilities")
    option = models.ForeignKey(Option, on_delete=models.PROTECT, related_name="+")
    probability = models.FloatField()

    class Meta:
        verbose_name_plural = "forecast probabilities"
        constraints = [
            models.UniqueConstraint(fields=["forecast", "option"], name="forecast_option_once"),
            models.CheckConstraint(
                condition=models.Q(probability__gte=PROBABILITY_MIN)
                & models.Q(probability__lte=PROBABILITY_MAX),
                name="forecast_probability_in_range",
            ),
        ]

    def __str__(self):
        return f"{self.option_id}: {self.probability:.3f}"


class ForecastSnapshot(models.Model):
    """The community forecast at one moment: the points of a question's chart."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="snapshots")
    taken_at = models.DateTimeField(default=timezone.now)
    forecaster_count = models.PositiveIntegerField()
    # {option id (as a string, JSON keys are strings): probability} of the aggregate the
    # site showed then (COMMUNITY_AGGREGATE)
    probabilities = models.JSONField()
    # {"pooled": {option id: p}, "mean": {…}}: both aggregates (None before they existed)
    aggregates = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["taken_at", "id"]
        indexes = [models.Index(fields=["question", "taken_at"], name="snapshot_question_idx")]

    def __str__(self):
        return f"{self.question_id} at {self.taken_at:%Y-%m-%d %H:%M}"

    def surrogate_keys(self):
        return [cdn.question_key(self.question_id)]


class Score(models.Model):
    """How one forecaster (or, with no user, the community) did on a resolved question.

    Scored on the forecast that stood when the question closed. Lower Brier is better
    (0 perfect, 2 worst); the log score is ln(probability given to the outcome), higher
    is better (0 perfect).
    """

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="scores")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="scores",
    )
    forecast = models.ForeignKey(Forecast, null=True, on_delete=models.SET_NULL, related_name="+")
    brier = models.FloatField()
    log_score = models.FloatField()
    # {option id: probability} scored, kept for calibration.
    probabilities = models.JSONField()
    scored_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "user"], name="score_once_per_forecaster"),
            models.UniqueConstraint(
                fields=["question"],
                condition=models.Q(user__isnull=True),
                name="score_once_for_community",
            ),
            models.CheckConstraint(
                condition=models.Q(brier__gte=0, brier__lte=2), name="score_brier_in_range"
            ),
            models.CheckConstraint(condition=models.Q(log_score__lte=0), name="score_log_le_0"),
        ]
        indexes = [models.Index(fields=["user", "question"], name="score_user_idx")]

    def __str__(self):
        who = self.user or "community"
        return f"{who} on {self.question_id}: Brier {self.brier:.3f}"


def new_unsubscribe_token():
    return secrets.token_urlsafe(32)


class Follow(models.Model):
    """A reader follows a question: one email when it resolves or moves sharply
    (forecasts.following). The token is the one-click unsubscribe link's secret."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="follows")
    token = models.CharField(max_length=64, unique=True, default=new_unsubscribe_token)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "question"], name="follow_once"),
        ]

    def __str__(self):
        return f"{self.user} follows {self.question_id}"


class Notice(models.Model):
    """An email about one event of a question sent to one reader: the marker that makes
    it once, however often the event's task runs."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=40)  # "resolved", or "moved:<date>"
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "question", "event"], name="notice_once_per_event"
            ),
        ]

    def __str__(self):
        return f"{self.event} of {self.question_id} to {self.user_id}"
