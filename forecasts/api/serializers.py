"""Question, option, forecast and history shapes for the API."""

from django.db import transaction
from rest_framework import serializers

from forecasts import authoring
from forecasts.models import (
    MAX_OPTIONS,
    MIN_OPTIONS,
    TOO_FEW_OPTIONS,
    TOO_MANY_OPTIONS,
    Forecast,
    Option,
    Question,
)


class OptionSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False, help_text="Give it to rename an option.")
    probability = serializers.FloatField(read_only=True, help_text="Community probability, 0–1.")
    percent = serializers.IntegerField(
        read_only=True, help_text="Whole percentage; a question's percents sum to 100."
    )

    class Meta:
        model = Option
        fields = ["id", "label", "position", "probability", "percent"]
        read_only_fields = ["position"]

    def to_representation(self, option):
        # Built directly: every option of every question in a list passes here. The
        # question adds the probability and percent, which it computes for all at once.
        return {"id": option.pk, "label": option.label, "position": option.position}


class ResolutionSerializer(serializers.Serializer):
    status = serializers.CharField()
    option = serializers.DictField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField(allow_blank=True)


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
    state = serializers.SerializerMethodField(help_text="open, upcoming, closed, …")
    # Every status can be read (a settled question is resolved or annulled); only draft and
    # published can be written: validate_status().
    status = serializers.ChoiceField(
        choices=Question.Status.choices,
        required=False,
        help_text="Write draft or published; resolve or annul with their own endpoints.",
    )
    resolution = serializers.SerializerMethodField()
    stories = serializers.SerializerMethodField(
        help_text="Slugs of the stories it hangs on that this client may see."
    )
    url = serializers.SerializerMethodField()

    class Meta:
        model = Question
        fields = [
            "id", "slug", "title", "description", "resolution_criteria", "kind", "status",
            "state", "opens_at", "closes_at", "forecaster_count", "options", "resolution",
            "stories", "url",
        ]  # fmt: skip
        read_only_fields = ["forecaster_count"]
        extra_kwargs = {"slug": {"required": False}}

    def to_representation(self, question):
        data = super().to_representation(question)
        shares = {o.pk: (p, percent) for o, p, percent in question.community_forecast()}
        for option in data["options"]:
            option["probability"], option["percent"] = shares[option["id"]]
        return data

    def get_state(self, question) -> str:
        return question.state().value

    def get_resolution(self, question) -> ResolutionSerializer(allow_null=True):
        return resolution_of(question) if question.is_settled else None

    def get_url(self, question) -> str:
        return self.context["request"].build_absolute_uri(question.get_absolute_url())

    def get_stories(self, question) -> list[str]:
        # Prefetched by the view with the client's visibility rule (visible_stories).
        stories = getattr(question, "visible_stories", None)
        if stories is None:  # e.g. just created: no story can be live through it yet
            return []
        return [story.slug for story in stories]

    def validate_status(self, status):
        if status not in (Question.Status.DRAFT, Question.Status.PUBLISHED):
            raise serializers.ValidationError(
                f"A question becomes {status} through its own endpoint (…/resolve/, "
                "…/annul/), not by setting its status."
            )
        return status

    def validate(self, data):
        instance = self.instance or Question()
        if instance.is_settled:
            raise serializers.ValidationError("A resolved or annulled question is final.")
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


class ForecastSerializer(serializers.ModelSerializer):
    question = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    probabilities = serializers.SerializerMethodField()

    class Meta:
        model = Forecast
        fields = ["id", "question", "created_at", "probabilities"]

    def get_probabilities(self, forecast) -> dict[str, float]:
        return {str(p.option_id): p.probability for p in forecast.probabilities.all()}


class ResolveSerializer(serializers.Serializer):
    option = serializers.IntegerField(help_text="The winning option's id.")
    note = serializers.CharField(help_text="What settled it; readers see it.")


class AnnulSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class HistoryPointSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    forecaster_count = serializers.IntegerField()
    probabilities = serializers.DictField(child=serializers.FloatField())


class HistorySerializer(serializers.Serializer):
    question = serializers.CharField()
    interval = serializers.CharField()
    points = HistoryPointSerializer(many=True)
