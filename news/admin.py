"""The editors' desk for stories and topics."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from reversion.admin import VersionAdmin

from config.admin_input import IdsOnlyAdmin
from config.editing import EditConflictForm, RetryRacedSaveAdmin
from config.review_admin import ReviewAdmin, ReviewForm, ReviewInline
from forecasts.admin.forms import NextPositionFormSet
from forecasts.models import StoryQuestion
from news.models import Correction, Story, Topic


@admin.register(Topic)
class TopicAdmin(IdsOnlyAdmin, admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ("name",)}


class PublicationFilter(admin.SimpleListFilter):
    title = "publication"
    parameter_name = "publication"

    def lookups(self, request, model_admin):
        return [
            ("live", "Live"),
            ("scheduled", "Scheduled"),
            ("in_review", "In review"),
            ("draft", "Draft"),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        match self.value():
            case "live":
                return queryset.live(now)
            case "scheduled":
                return queryset.scheduled(now)
            case "in_review":
                return queryset.in_review()
            case "draft":
                return queryset.filter(status=Story.Status.DRAFT)
        return queryset


class LinkedQuestionInline(IdsOnlyAdmin, ReviewInline, admin.TabularInline):
    model = StoryQuestion
    formset = NextPositionFormSet
    fk_name = "story"
    fields = ["position", "question"]
    autocomplete_fields = ["question"]
    extra = 1
    verbose_name = "question"
    verbose_name_plural = "linked questions (the lowest position is the featured question)"

    class Media:
        js = ["js/admin-positions.js"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "question":
            # The whole title and the state: "Other" and "Other reasons" must not look alike.
            field.label_from_instance = lambda question: question.desk_label
        return field


class CorrectionInline(admin.TabularInline):
    """A live story's corrections, as readers see them: the record, never edited here."""

    model = Correction
    fields = ["created_at", "note", "author"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "corrections readers see"

    def has_add_permission(self, request, obj=None):
        return False  # added with the change they correct (the form's "Correction" choice)

    def has_change_permission(self, request, obj=None):
        return False


class StoryForm(ReviewForm, EditConflictForm):
    change_kind = forms.TypedChoiceField(
        choices=Story.Change.choices,
        required=False,
        widget=forms.RadioSelect,
        label="This change is",
    )
    correction_note = forms.CharField(
        required=False,
        max_length=Correction._meta.get_field("note").max_length,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        label="Correction note",
        help_text="Readers see it at the foot of the story, dated: say what was wrong.",
    )

    class Meta:
        model = Story
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:  # as stored: the form's values reach it after clean()
            changed = [name for name in self.changed_data if name in Story.CORRECTABLE_FIELDS]
            try:
                self.instance.check_change(
                    changed, cleaned.get("change_kind"), cleaned.get("correction_note")
                )
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


@admin.register(Story)
class StoryAdmin(IdsOnlyAdmin, ReviewAdmin, RetryRacedSaveAdmin, VersionAdmin):
    form = StoryForm
    list_display = [
        "headline",
        "publication",
        "published_at",
        "topic_names",
        "question_count",
        "is_demo",
    ]
    list_filter = [PublicationFilter, "topics", "published_at", "is_demo"]
    search_fields = ["headline", "summary", "body", "slug"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ("headline",)}
    autocomplete_fields = ["topics"]
    inlines = [LinkedQuestionInline, CorrectionInline]
    actions = ["submit_for_review", "publish", "unpublish"]
    # Demo or not is where a story came from, not something an editor decides.
    readonly_fields = ["author", "is_demo", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["headline", "slug", "summary", "body", "language", "edit_snapshot"]}),
        (
            "Lead image",
            {
                "fields": ["image", "image_alt", "image_caption", "image_credit"],
                "description": "Optional. JPEG, PNG or WebP, at least 1,200 pixels wide for "
                "a sharp picture on every screen; alt text is required with an image.",
            },
        ),
        ("Source", {"fields": ["source_name", "source_url", "dateline"]}),
        (
            "Publication",
            {
                "fields": ["status", "published_at", "topics"],
                "description": "A published story goes live at its publication time: set a "
                "future time to schedule it. Reporters submit stories for review; an editor "
                "publishes them.",
            },
        ),
        (
            "Record",
            {"fields": ["author", "is_demo", "created_at", "updated_at"], "classes": ["collapse"]},
        ),
    ]

    correction_fieldset = (
        "Correction or update",
        {
            "fields": ["change_kind", "correction_note"],
            "description": "Readers have seen this story. If you change its headline or "
            "body, say whether it is a correction (readers see your note) or an update "
            "(a typo fix, say: nothing public is added).",
        },
    )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.is_live and self.has_change_permission(request, obj):
            fieldsets.insert(1, self.correction_fieldset)
        return fieldsets

    def get_inlines(self, request, obj):
        # The corrections' table only once there is one.
        if obj is None or not obj.corrections.exists():
            return [inline for inline in self.inlines if inline is not CorrectionInline]
        return self.inlines

    def history_note(self, form):
        notes = [super().history_note(form)]
        kind = form.cleaned_data.get("change_kind")
        if kind == Story.Change.CORRECTION:
            notes.append(f"Correction: {form.cleaned_data['correction_note'].strip()}")
        elif kind == Story.Change.UPDATE and form.has_changed():
            notes.append("Update (no correction)")
        return "; ".join(note for note in notes if note) or None

    def get_queryset(self, request):
        # One query for the rows (count annotated), one for all their topics.
        return (
            super()
            .get_queryset(request)
            .annotate(question_count=Count("links", distinct=True))
            .prefetch_related("topics")
        )

    class Media:
        css = {"all": ["css/admin.css"]}

    @admin.display(description="status")
    def publication(self, story):
        return story.publication

    @admin.display(description="topics")
    def topic_names(self, story):
        return ", ".join(topic.name for topic in story.topics.all())

    @admin.display(description="questions", ordering="question_count")
    def question_count(self, story):
        return story.question_count

    def get_view_on_site_url(self, obj=None):
        if obj is None:
            return None
        # A draft or scheduled story is 404 on the site; staff see it through the preview.
        if obj.is_live:
            return obj.get_absolute_url()
        return reverse("news:story_preview", args=[obj.slug])

    def save_model(self, request, obj, form, change):
        if not change and obj.author_id is None:
            obj.author = request.user
        super().save_model(request, obj, form, change)
        if form.cleaned_data.get("change_kind") == Story.Change.CORRECTION:
            obj.add_correction(form.cleaned_data["correction_note"], author=request.user)

    def prepare_move(self, data, status):
        # "Publish" without a time means now.
        if status == Story.Status.PUBLISHED and not data.get("published_at_0"):
            now = timezone.localtime()
            data["published_at_0"], data["published_at_1"] = f"{now:%Y-%m-%d}", f"{now:%H:%M:%S}"

    @admin.action(description="Submit selected stories for review", permissions=["change"])
    def submit_for_review(self, request, queryset):
        self.move_selected(request, queryset, Story.Status.IN_REVIEW, "Submitted {n} for review.")

    @admin.action(
        description="Publish selected stories (now, or at their scheduled time)",
        permissions=["publish"],
    )
    def publish(self, request, queryset):
        self.move_selected(request, queryset, Story.Status.PUBLISHED, "Published {n}.")

    @admin.action(
        description="Unpublish selected stories (back to draft)", permissions=["publish"]
    )
    def unpublish(self, request, queryset):
        self.move_selected(request, queryset, Story.Status.DRAFT, "Moved {n} back to draft.")
