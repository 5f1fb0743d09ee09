"""Question, option, forecast and history shapes for the API."""

from django.db import transaction
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_choice_field
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config import workflow
from config.editing import edit_version
from forecasts import authoring
from forecasts.maths import AGGREGATES
from forecasts.models import (
    MAX_OPTIONS,
    MIN_OPTIONS,
    RATIONALE_MAX_LENGTH,
    TOO_FEW_OPTIONS,
    TOO_MANY_OPTIONS,
    Forecast,
    Option,
    Question,
    shown_aggregate,
)


class OptionSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False, help_text="Give it to rename an option.")
    probability = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text="Community probability, 0–1, by the aggregate the site shows (the "
        "question's `aggregate`).",
    )
    percent = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="Whole percentage; a question's percents sum to 100. All four are null "
        "while the question hides its community forecast (`community_hidden`).",
    )
    pooled_probability = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text="The pooled aggregate: recency-weighted, extremized geometric mean, 0–1.",
    )
    mean_probability = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text="The plain mean of readers' latest probabilities, 0–1.",
    )

    change_24h = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="Whole percentage points `percent` moved over the last 24 hours (0 for a "
        "settled question).",
    )
    change_7d = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The same over the last 7 days."
    )

    class Meta:
        model = Option
        fields = [
            "id", "label", "position", "probability", "percent", "pooled_probability",
            "mean_probability", "change_24h", "change_7d",
        ]  # fmt: skip
        read_only_fields = ["position"]

    def to_representation(self, option):
        # Built directly: every option of every question in a list passes here. The
        # question adds the probability and percent, which it computes for all at once.
        return {"id": option.pk, "label": option.label, "position": option.position}


class OutcomeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()


class ResolutionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Question.Status.values)
    option = OutcomeSerializer(allow_null=True, help_text="The winning option, if resolved.")
    resolved_at = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField(allow_blank=True)


class QuestionStatusField(serializers.ChoiceField):
    """A question's status: any of them when read, draft, in_review or published when
    written (resolving and annulling have their own endpoints). The schema says so for each
    direction (QuestionStatusFieldExtension)."""

    WRITABLE = [Question.Status.DRAFT, Question.Status.IN_REVIEW, Question.Status.PUBLISHED]

    def __init__(self, **kwargs):
        # Any status is parsed, so that "resolved" gets validate_status()'s pointer to the
        # resolve endpoint rather than "not a valid choice"; the schema lists WRITABLE.
        super().__init__(choices=Question.Status.choices, **kwargs)


class QuestionStatusFieldExtension(OpenApiSerializerFieldExtension):
    target_class = QuestionStatusField

    def map_serializer_field(self, auto_schema, direction):
        choices = QuestionStatusField.WRITABLE if direction == "request" else Question.Status
        return build_choice_field(serializers.ChoiceField(choices=[c.value for c in choices]))


def resolution_of(question):
    option = question.resolved_option
    return {
        "status": question.status,
        "option": {"id": option.pk, "label": option.label} if option else None,
        "resolved_at": question.resolved_at,
        "note": question.resolution_note,
    }


class QuestionSerializer(serializers.ModelSerializer):
    # The model's limits (Question.check_option_labels), checked here first so a huge list
    # is refused before each entry is, and declared in the schema (minItems, maxItems).
    options = OptionSerializer(
        many=True,
        min_length=MIN_OPTIONS,
        max_length=MAX_OPTIONS,
        error_messages={"min_length": TOO_FEW_OPTIONS, "max_length": TOO_MANY_OPTIONS},
    )
    state = serializers.SerializerMethodField(
        help_text="Derived from the status and the clock: draft, in_review, upcoming, open, "
        "closed, resolved, annulled."
    )
    status = QuestionStatusField(
        required=False,
        help_text="Reporters submit for review (in_review); editors publish. Resolve or annul "
        "with their own endpoints.",
    )
    review_note = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        help_text="With a status change: a word to the editor when submitting for review, or "
        'what to change when an editor sends it back to "draft" (needed then).',
    )
    resolution = serializers.SerializerMethodField()
    stories = serializers.SerializerMethodField(
        help_text="Slugs of the stories it hangs on that this client may see."
    )
    url = serializers.SerializerMethodField()
    aggregate = serializers.SerializerMethodField(
        help_text="The aggregate each option's `probability` and `percent` come from: "
        "pooled (recency-weighted, extremized geometric mean) or mean."
    )
    community_hidden = serializers.SerializerMethodField(
        help_text="True while the question hides its community forecast (anti-anchoring: "
        "until `reveal_forecasters` readers have forecast and `reveal_at` has passed; "
        "always shown once closed): the options' probabilities are null."
    )
    version = serializers.SerializerMethodField(
        help_text='The edit version. Send it back as `If-Match: "<version>"` with a change, '
        "and the change is refused (412) if someone else changed the question meanwhile. "
        "Readers' forecasts do not change it."
    )

    class Meta:
        model = Question
        fields = [
            "id", "slug", "title", "description", "resolution_criteria", "kind", "language",
            "status", "state", "opens_at", "closes_at", "forecaster_count", "options",
            "aggregate", "community_hidden", "reveal_forecasters", "reveal_at",
            "rationales_at_once", "resolution", "stories", "review_note", "url", "version",
        ]  # fmt: skip
        read_only_fields = ["forecaster_count"]
        extra_kwargs = {"slug": {"required": False}}

    def to_representation(self, question):
        data = super().to_representation(question)
        if not self._shows_community(question):
            for option in data["options"]:
                option.update(
                    probability=None, percent=None, pooled_probability=None,
                    mean_probability=None, change_24h=None, change_7d=None,
                )  # fmt: skip
            return data
        shares = {o.pk: (p, percent) for o, p, percent in question.community_forecast()}
        both = {
            method: {o.pk: p for o, p, _ in question.community_forecast(method)}
            for method in AGGREGATES
        }
        day, week = question.day_change, question.week_change
        for option in data["options"]:
            option["probability"], option["percent"] = shares[option["id"]]
            option["change_24h"] = day.get(option["id"], 0)
            option["change_7d"] = week.get(option["id"], 0)
            for method in AGGREGATES:
                option[f"{method}_probability"] = both[method][option["id"]]
        return data

    def _shows_community(self, question):
        return question.community_visible_to(self.context["request"].user)

    def get_community_hidden(self, question) -> bool:
        return not self._shows_community(question)

    @extend_schema_field(serializers.ChoiceField(choices=AGGREGATES))
    def get_aggregate(self, question):
        return shown_aggregate()

    @extend_schema_field(serializers.ChoiceField(choices=Question.State.values))
    def get_state(self, question):
        return question.state().value

    def get_resolution(self, question) -> ResolutionSerializer(allow_null=True):
        return resolution_of(question) if question.is_settled else None

    def get_version(self, question) -> str:
        return edit_version(question)

    def get_url(self, question) -> str:
        return self.context["request"].build_absolute_uri(question.get_absolute_url())

    def get_stories(self, question) -> list[str]:
        # Prefetched by the view with the client's visibility rule (visible_stories).
        stories = getattr(question, "visible_stories", None)
        if stories is None:  # e.g. just created: no story can be live through it yet
            return []
        return [story.slug for story in stories]

    def validate_status(self, status):
        if status not in QuestionStatusField.WRITABLE:
            raise serializers.ValidationError(
                f"A question becomes {status} through its own endpoint (…/resolve/, "
                "…/annul/), not by setting its status."
            )
        return status

    def validate(self, data):
        note = data.pop("review_note", "")
        instance = self.instance or Question()
        if instance.is_settled:
            raise serializers.ValidationError("A resolved or annulled question is final.")
        # Who may make the status move: a reporter's "published" is a 403 saying why.
        old = self.instance.status if self.instance else Question.Status.DRAFT
        self.move = workflow.move_comment(
            self.context["request"].user, instance, old, data.get("status", old), note
        )
        for name, value in data.items():
            if name != "options":
                setattr(instance, name, value)
        Question.check_schedule(instance.opens_at, instance.closes_at)
        options = data.get("options")
        if options is None and not self.instance:
            raise serializers.ValidationError({"options": "Give the options, in order."})
        if options is not None:
            ids = [o["id"] for o in options if o.get("id")]
            if len(set(ids)) != len(ids):
                raise serializers.ValidationError({"options": "Each option id may appear once."})
            labels = [o["label"] for o in options]
        else:  # e.g. only the kind changes: the stored options must still fit it
            labels = list(self.instance.options.values_list("label", flat=True))
        Question.check_option_labels(instance.kind, labels)
        return data

    @transaction.atomic
    def create(self, data):
        return authoring.create_question(
            title=data["title"],
            options=[o["label"] for o in data["options"]],
            resolution_criteria=data["resolution_criteria"],
            closes_at=data["closes_at"],
            kind=data.get("kind"),
            language=data.get("language"),
            opens_at=data.get("opens_at"),
            status=data.get("status", Question.Status.DRAFT),
            description=data.get("description", ""),
            slug=data.get("slug"),
        )

    @transaction.atomic
    def update(self, question, data):
        options = data.pop("options", None)
        for name, value in data.items():
            setattr(question, name, value)
        question.full_clean()
        question.save()
        if options is not None:
            authoring.replace_options(question, options)
        return Question.objects.with_options().get(pk=question.pk)


class ForecastInputSerializer(serializers.Serializer):
    probabilities = serializers.DictField(
        child=serializers.FloatField(),
        help_text='{"<option id>": probability from 0.001 to 0.999, …}, summing to 1.',
        allow_empty=False,
    )
    normalise = serializers.BooleanField(default=False, help_text="Rescale to sum to 1.")
    rationale = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=True,
        help_text="Your reason, plain text (no HTML), at most "
        f"{RATIONALE_MAX_LENGTH} characters; shown without your name on the question page "
        "after it closes.",
    )


class ForecastSerializer(serializers.ModelSerializer):
    question = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    probabilities = serializers.SerializerMethodField()

    class Meta:
        model = Forecast
        fields = ["id", "question", "created_at", "probabilities", "rationale"]

    def get_probabilities(self, forecast) -> dict[str, float]:
        given = getattr(forecast, "given", None)  # a forecast just recorded
        if given is not None:
            return {str(option_id): p for option_id, p in given.items()}
        return {str(p.option_id): p.probability for p in forecast.probabilities.all()}


class ResolveSerializer(serializers.Serializer):
    option = serializers.IntegerField(help_text="The winning option's id.")
    note = serializers.CharField(help_text="What settled it; readers see it.")


class AnnulSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class HistoryPointSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    forecaster_count = serializers.IntegerField()
    probabilities = serializers.DictField(
        child=serializers.FloatField(),
        help_text="{option id: probability} of the aggregate the site showed then.",
    )
    aggregates = serializers.DictField(
        child=serializers.DictField(child=serializers.FloatField()),
        allow_null=True,
        help_text='Both aggregates then: {"pooled": {option id: p}, "mean": {…}}; null for '
        "points recorded before the pooled aggregate existed.",
    )


class HistorySerializer(serializers.Serializer):
    question = serializers.CharField()
    interval = serializers.CharField()
    points = HistoryPointSerializer(many=True)
