"""API for questions, their history and resolution, and readers' forecasts."""

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as APIValidationError
from rest_framework.response import Response

from config import cdn, workflow
from config.api.conditional import ConditionalMixin, IfMatchMixin
from config.api.filters import ListFilterMixin, TimeField, TimeFilter
from config.api.history import RecordedWrites
from config.api.items import CachedListItems
from config.api.paging import TimeCursorPagination
from config.api.permissions import EditorsWriteOthersRead, ReviewedWrites
from config.history import record, revision_by
from forecasts import forecasting, outcomes
from forecasts.api import serializers as s
from forecasts.models import Forecast, ForecastSnapshot, Question, load_for_cards
from news.models import Story, Topic

# The states of Question.objects.in_state(), and the web's own lists (LISTS in
# forecasts/views.py): "closing" (open, closing within a week) and "all".
STATES = [
    "open", "upcoming", "closed", "resolved", "annulled", "draft", "in_review", "closing", "all",
]  # fmt: skip
INTERVALS = {"none": None, "hour": "hour", "day": "day"}


@extend_schema_field(OpenApiTypes.STR)
class SlugFilter(django_filters.ModelChoiceFilter):
    """Picks a row by slug; an unknown slug is a 400, not an empty list."""


class QuestionFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        choices=[(key, key) for key in STATES], method="filter_state", label="State"
    )
    kind = django_filters.ChoiceFilter(choices=Question.Kind.choices)
    topic = SlugFilter(
        queryset=Topic.objects.all(), to_field_name="slug", method="filter_topic",
        label="Topic slug",
    )  # fmt: skip
    story = SlugFilter(
        queryset=lambda request: visible_stories(request), to_field_name="slug",
        field_name="stories", label="Story slug",
    )  # fmt: skip
    closes_after = TimeFilter(field_name="closes_at", lookup_expr="gte")
    closes_before = TimeFilter(field_name="closes_at", lookup_expr="lt")
    q = django_filters.CharFilter(method="filter_text", max_length=200, label="Text search")

    class Meta:
        model = Question
        fields = ["state", "kind", "topic", "story", "closes_after", "closes_before", "q"]

    def filter_state(self, queryset, name, value):
        return queryset.in_list(value)

    def filter_topic(self, queryset, name, topic):
        return queryset.about(topic)

    def filter_text(self, queryset, name, value):
        return queryset.filter(pk__in=Question.objects.search(value).values("pk"))


def visible_stories(request):
    """Stories this client may know about (Story.objects.visible_to)."""
    if request is None:  # the schema generator
        return Story.objects.live()
    return Story.objects.visible_to(request.user)


class QuestionPagination(TimeCursorPagination):
    ordering = ("closes_at", "id")


class QuestionViewSet(
    CachedListItems,
    RecordedWrites,
    ListFilterMixin,
    IfMatchMixin,
    ConditionalMixin,
    viewsets.ModelViewSet,
):
    """Questions with their options and the community's probability for each."""

    serializer_class = s.QuestionSerializer
    permission_classes = [EditorsWriteOthersRead, ReviewedWrites]
    filterset_class = QuestionFilter
    pagination_class = QuestionPagination
    ordering_fields = ["closes_at", "opens_at", "forecaster_count"]
    lookup_field = "slug"
    queryset = Question.objects.all()
    surrogate_key = staticmethod(cdn.question_key)
    surrogate_list_key = cdn.LIST_QUESTIONS

    def get_queryset(self):
        if self.action == "list":  # what the items show: prepare_list_items
            return self._visible_questions()
        return (
            self._visible_questions()
            .with_options()
            .with_day_change()
            .prefetch_related(self._stories())
        )

    def _stories(self):
        stories = visible_stories(self.request).only("slug")  # all a question shows of them
        return Prefetch("stories", queryset=stories, to_attr="visible_stories")

    def prepare_list_items(self, questions):
        load_for_cards(questions)
        prefetch_related_objects(questions, self._stories())

    def list_item_variant(self):
        # Which of its stories a question lists, and whether a hidden community forecast
        # shows (Question.community_visible_to), depend on who asks.
        user = self.request.user
        return (Story.shows_unpublished_to(user), Question.sees_hidden_community(user))

    def _visible_questions(self):
        return Question.objects.visible_to(self.request.user)

    def perform_destroy(self, question):
        if question.is_settled or question.forecasts.exists():
            raise APIValidationError(
                "A question that readers forecast on, or that is settled, is part of the "
                "record: annul it instead of deleting it."
            )
        super().perform_destroy(question)

    def _question(self):
        return get_object_or_404(self.get_queryset(), slug=self.kwargs["slug"])

    def _editor_action(self, request, verb, change):
        if not workflow.may_resolve(request.user):
            self.permission_denied(request, message="Only an editor can close, resolve or annul.")
        question = self._question()
        with revision_by(request.user, verb):
            change(question)
            record(question)
        question = self.get_queryset().get(pk=question.pk)
        return Response(self.get_serializer(question).data)

    @extend_schema(request=None, responses=s.QuestionSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, slug=None):
        """Stop forecasting now."""
        return self._editor_action(request, "Closed", lambda question: outcomes.close(question))

    @extend_schema(request=s.ResolveSerializer, responses=s.QuestionSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, slug=None):
        """Settle the question on one of its options, with a note; scores everyone."""
        body = s.ResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)

        def resolve(question):
            option = question.options.filter(pk=body.validated_data["option"]).first()
            if option is None:
                raise APIValidationError({"option": ["Pick one of this question's options."]})
            outcomes.resolve(question, option, body.validated_data["note"])

        return self._editor_action(request, "Resolved", resolve)

    @extend_schema(request=s.AnnulSerializer, responses=s.QuestionSerializer)
    @action(detail=True, methods=["post"])
    def annul(self, request, slug=None):
        """Void the question: no outcome, nobody is scored."""
        body = s.AnnulSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._editor_action(
            request, "Annulled", lambda q: outcomes.annul(q, body.validated_data["note"])
        )

    @extend_schema(responses=s.ResolutionSerializer)
    @action(detail=True, methods=["get"])
    def resolution(self, request, slug=None):
        """How the question was settled (status, winning option, time, note)."""
        question = self._question()
        cdn.tag(request, cdn.question_key(question.pk))
        return Response(s.resolution_of(question))

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "since", OpenApiTypes.DATETIME, description="Only points from then on."
            ),
            OpenApiParameter(
                "interval",
                str,
                enum=list(INTERVALS),
                description="Bucket size; the last point of each bucket.",
            ),
        ],
        responses=s.HistorySerializer,
    )
    @action(detail=True, methods=["get"])
    def history(self, request, slug=None):
        """The community forecast over time."""
        # The same visibility as every other lookup here, without the options and stories
        # that get_queryset() loads for the question's own representation.
        question = get_object_or_404(self._visible_questions(), slug=slug)
        cdn.tag(request, cdn.question_key(question.pk))
        interval = request.query_params.get("interval", "none")
        if interval not in INTERVALS:
            raise APIValidationError({"interval": [f"Choose one of {', '.join(INTERVALS)}."]})
        snapshots = ForecastSnapshot.objects.filter(question=question).order_by("taken_at", "pk")
        if not question.community_visible_to(request.user):  # anti-anchoring: no points yet
            snapshots = snapshots.none()
        since = request.query_params.get("since")
        if since is not None:
            field = TimeField()
            try:
                snapshots = snapshots.filter(taken_at__gte=field.clean(since))
            except ValidationError as error:
                raise APIValidationError({"since": error.messages}) from None
        points = {}
        rows = snapshots.values_list(
            "pk", "taken_at", "forecaster_count", "probabilities", "aggregates"
        )
        for pk, taken_at, forecaster_count, probabilities, both in rows.iterator(chunk_size=2000):
            key = bucket_start(taken_at, INTERVALS[interval]) if INTERVALS[interval] else pk
            points[key] = {
                "at": taken_at,
                "forecaster_count": forecaster_count,
                "probabilities": probabilities,
                "aggregates": both,
            }
        return Response(
            {"question": question.slug, "interval": interval, "points": list(points.values())}
        )

    @extend_schema(request=s.ForecastInputSerializer, responses={201: s.ForecastSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path="forecasts",
        permission_classes=[permissions.IsAuthenticated],
    )
    def submit_forecast(self, request, slug=None):
        """A signed-in reader's forecast; replaces their previous one in the aggregate."""
        body = s.ForecastInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            forecast = forecasting.record_forecast(
                request.user,
                None,
                body.validated_data["probabilities"],
                normalise=body.validated_data["normalise"],
                slug=slug,
                rationale=body.validated_data["rationale"],
            )
        except forecasting.NoSuchQuestion:
            raise Http404 from None
        except ValidationError as error:
            messages = error.messages
            if getattr(error, "code", None) == forecasting.TOTAL_NOT_100:
                messages = [messages[0] + ' Or send "normalise": true to have them rescaled.']
            code = str(getattr(error, "code", ""))
            field = "rationale" if code.startswith("rationale") else "probabilities"
            raise APIValidationError({field: messages}) from None
        # Built from what was written: reading it back would cost two more queries.
        return Response(s.ForecastSerializer(forecast).data, status=status.HTTP_201_CREATED)


def bucket_start(moment, unit):
    if unit == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


class ForecastViewSet(ConditionalMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The signed-in reader's own forecasts, newest first. Nobody sees anyone else's."""

    serializer_class = s.ForecastSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = TimeCursorPagination
    ordering_fields = ["created_at"]
    per_user = True
    queryset = Forecast.objects.none()

    def get_queryset(self):
        return (
            Forecast.objects.filter(user=self.request.user)
            .select_related("question")
            .prefetch_related("probabilities")
        )
