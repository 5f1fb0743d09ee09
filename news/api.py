"""API for topics and stories (under /api/v1/)."""

import django_filters
from django.db import transaction
from django.db.models import Exists, OuterRef, prefetch_related_objects
from rest_framework import serializers, viewsets

from config import cdn, workflow
from config.api.conditional import ConditionalMixin, IfMatchMixin
from config.api.filters import ListFilterMixin, TimeFilter
from config.api.history import RecordedWrites
from config.api.items import CachedListItems
from config.api.paging import TimeCursorPagination
from config.api.permissions import EditorsWriteOthersRead, ReviewedWrites
from config.editing import edit_version
from forecasts.models import Question, StoryQuestion, public_links, with_questions
from news.models import Correction, Story, Topic


class TopicSerializer(serializers.ModelSerializer):
    class Meta:
        model = Topic
        fields = ["id", "name", "slug"]


class LinkedQuestionSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="question.id", read_only=True)
    slug = serializers.CharField(source="question.slug", read_only=True)
    title = serializers.CharField(source="question.title", read_only=True)
    state = serializers.ChoiceField(
        source="question.state", choices=Question.State.values, read_only=True
    )

    class Meta:
        model = StoryQuestion
        fields = ["position", "id", "slug", "title", "state"]

    def to_representation(self, link):
        # Built directly: this runs for every question of every story in a list, and DRF's
        # per-field path (it inspects the signature of `state` each time) was most of it.
        question = link.question
        return {
            "position": link.position,
            "id": question.pk,
            "slug": question.slug,
            "title": question.title,
            "state": question.state().value,
        }


class CorrectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Correction
        fields = ["note", "created_at"]


class StorySerializer(serializers.ModelSerializer):
    topics = serializers.SlugRelatedField(
        many=True, slug_field="slug", queryset=Topic.objects.all(), required=False
    )
    questions = LinkedQuestionSerializer(source="public_links", many=True, read_only=True)
    question_slugs = serializers.ListField(
        child=serializers.SlugField(),
        write_only=True,
        required=False,
        max_length=100,
        help_text="Link questions in this order; the first is the featured one.",
    )
    url = serializers.SerializerMethodField()
    version = serializers.SerializerMethodField(
        help_text='The edit version. Send it back as `If-Match: "<version>"` with a change, '
        "and the change is refused (412) if someone else changed the story meanwhile."
    )
    corrections = CorrectionSerializer(
        many=True, read_only=True, help_text="Public corrections, oldest first."
    )
    change_kind = serializers.ChoiceField(
        choices=Story.Change.choices,
        write_only=True,
        required=False,
        help_text="Needed when the headline or body of a live story changes: "
        '"correction" (give correction_note; readers see it) or "update" (a typo fix, '
        "say: nothing public is added).",
    )
    correction_note = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=Correction._meta.get_field("note").max_length,
        help_text='With change_kind "correction": the public note, e.g. "An earlier version '
        'said 2,000 soldiers; the count was 1,905."',
    )
    review_note = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        help_text="With a status change: a word to the editor when submitting for review "
        '("in_review"), or what to change when an editor sends it back to "draft" (needed '
        "then). Kept in the story's history.",
    )

    class Meta:
        model = Story
        fields = [
            "id", "slug", "headline", "summary", "body", "source_name", "source_url",
            "dateline", "language", "status", "published_at", "topics", "questions",
            "question_slugs", "corrections", "change_kind", "correction_note", "review_note",
            "url", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]

    def get_version(self, story) -> str:
        return edit_version(story)

    def get_url(self, story) -> str:
        return self.context["request"].build_absolute_uri(story.get_absolute_url())

    def validate_question_slugs(self, slugs):
        if len(set(slugs)) != len(slugs):
            raise serializers.ValidationError("A question can be linked once.")
        found = dict(Question.objects.filter(slug__in=slugs).values_list("slug", "pk"))
        missing = [slug for slug in slugs if slug not in found]
        if missing:
            raise serializers.ValidationError(f"No such question: {', '.join(missing)}.")
        return [found[slug] for slug in slugs]

    def validate(self, data):
        # The model's own rules (a published story needs a time), for create and update.
        note = data.pop("review_note", "")
        self.correction = {
            "kind": data.pop("change_kind", ""),
            "note": data.pop("correction_note", ""),
        }
        if self.instance:  # a live story's headline or body: a correction or an update?
            changed = [
                name for name in Story.CORRECTABLE_FIELDS
                if name in data and data[name] != getattr(self.instance, name)
            ]  # fmt: skip
            self.instance.check_change(changed, **self.correction)
        elif self.correction["kind"] == Story.Change.CORRECTION:
            raise serializers.ValidationError(
                {"change_kind": "A new story has nothing to correct yet."}
            )
        instance = Story(
            **{k: v for k, v in data.items() if k not in ("topics", "question_slugs")}
        )
        if self.instance:
            for field in ("status", "published_at"):
                if field not in data:
                    setattr(instance, field, getattr(self.instance, field))
        instance.clean()
        if "headline" in data:
            data["headline"] = instance.headline  # as clean() normalised it
        # Who may make the status move: a reporter's "published" is a 403 saying why.
        stored = self.instance or Story()
        old = stored.status if self.instance else Story.Status.DRAFT
        self.move = workflow.move_comment(
            self.context["request"].user, stored, old, instance.status, note
        )
        return data

    @transaction.atomic
    def create(self, data):
        slugs = data.pop("question_slugs", None)
        story = super().create(data)
        self._link(story, slugs)
        return story

    @transaction.atomic
    def update(self, story, data):
        slugs = data.pop("question_slugs", None)
        story = super().update(story, data)
        self._link(story, slugs)
        if self.correction["kind"] == Story.Change.CORRECTION:
            story.add_correction(self.correction["note"], author=self.context["request"].user)
        return story

    def _link(self, story, question_ids):
        if question_ids is not None:
            story.links.all().delete()
            StoryQuestion.objects.bulk_create(
                StoryQuestion(story=story, question_id=pk, position=position)
                for position, pk in enumerate(question_ids)
            )
        story.public_links = list(
            StoryQuestion.objects.public().filter(story=story).select_related("question")
        )


class StoryFilter(django_filters.FilterSet):
    topic = django_filters.ModelChoiceFilter(
        field_name="topics", to_field_name="slug", queryset=Topic.objects.all(),
        help_text="Topic slug.",
    )  # fmt: skip
    published_after = TimeFilter(field_name="published_at", lookup_expr="gte")
    published_before = TimeFilter(field_name="published_at", lookup_expr="lt")
    has_open_questions = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_open",
        label="Has open questions",
    )
    q = django_filters.CharFilter(method="filter_text", max_length=200, label="Text search")

    class Meta:
        model = Story
        fields = ["topic", "published_after", "published_before", "has_open_questions", "q"]

    def filter_open(self, queryset, name, value):
        open_links = StoryQuestion.objects.filter(
            story=OuterRef("pk"), question__in=Question.objects.open()
        )
        return queryset.filter(Exists(open_links) if value == "true" else ~Exists(open_links))

    def filter_text(self, queryset, name, value):
        return queryset.filter(pk__in=Story.objects.search(value).values("pk"))


class TopicViewSet(ConditionalMixin, viewsets.ReadOnlyModelViewSet):
    """Topics, by name."""

    queryset = Topic.objects.all()
    serializer_class = TopicSerializer
    surrogate_list_key = cdn.TOPICS
    lookup_field = "slug"
    pagination_class = None


class StoryViewSet(
    CachedListItems,
    RecordedWrites,
    ListFilterMixin,
    IfMatchMixin,
    ConditionalMixin,
    viewsets.ModelViewSet,
):
    """Live stories with their topics and linked questions in order; editors see drafts
    and scheduled stories too, and write."""

    serializer_class = StorySerializer
    permission_classes = [EditorsWriteOthersRead, ReviewedWrites]
    filterset_class = StoryFilter
    lookup_field = "slug"
    pagination_class = TimeCursorPagination
    ordering_fields = ["published_at", "updated_at"]
    ordering = ["-published_at", "-id"]
    queryset = Story.objects.all()
    surrogate_key = staticmethod(cdn.story_key)
    surrogate_list_key = cdn.LIST_STORIES

    def get_queryset(self):
        stories = Story.objects.visible_to(self.request.user)
        if self.action == "list":
            # Cursor paging walks publication times; an undated draft is reached by slug.
            # What the items show is loaded for those the cache lacks: prepare_list_items.
            return stories.filter(published_at__isnull=False)
        return with_questions(stories.prefetch_related("topics", "corrections"))

    def prepare_list_items(self, stories):
        prefetch_related_objects(stories, "topics", "corrections", public_links())
