"""The editors' desk for questions: options, links, and the road from draft to outcome.

The rules themselves live in forecasts.models and forecasts.authoring; this module turns
them into form errors, actions and pages.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.forms.models import BaseInlineFormSet
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from reversion.admin import VersionAdmin

from config.history import record, revision_for
from forecasts import outcomes
from forecasts.authoring import create_question, parse_question_block
from forecasts.models import Option, Question, StoryQuestion
from news.models import Story

EDITABLE_STATUSES = [Question.Status.DRAFT, Question.Status.PUBLISHED]


class OptionFormSet(BaseInlineFormSet):
    """Checks the options as a set, with the model's rules, before anything is saved."""

    def clean(self):
        # Before super().clean(): the admin's own check would otherwise answer first, with
        # a message about "protected related objects".
        protected = [
            form.instance
            for form in self.forms
            if form.instance.pk and form.cleaned_data.get("DELETE") and form.instance.has_forecasts
        ]
        if protected:
            raise ValidationError(
                [
                    f"“{option.label}” already has forecasts, so it cannot be deleted; "
                    "rename it instead."
                    for option in protected
                ]
            )
        super().clean()
        if any(self.errors):
            return
        kept, label_errors = [], False
        for form in self.forms:
            if form.cleaned_data and not self._should_delete_form(form):
                kept.append(form)
        seen = {}
        for form in kept:
            label = form.cleaned_data["label"].strip()
            if label.casefold() in seen:
                form.add_error(
                    "label", f"“{label}” is the same option as “{seen[label.casefold()]}”."
                )
                label_errors = True
            seen.setdefault(label.casefold(), label)
        if label_errors:
            raise ValidationError("Please correct the options marked below.")
        kind = self.instance.kind
        if kind == Question.Kind.BINARY and not kept:
            return  # save_related() gives it Yes and No
        Question.check_option_labels(kind, [form.cleaned_data["label"] for form in kept])


class OptionInline(admin.TabularInline):
    model = Option
    formset = OptionFormSet
    fields = ["position", "label"]
    extra = 0
    min_num = 0
    ordering = ["position", "id"]
    verbose_name_plural = "options (in display order; a yes/no question gets Yes and No itself)"

    def get_extra(self, request, obj=None, **kwargs):
        return 0 if obj else 4

    def has_delete_permission(self, request, obj=None):
        # The options of a settled question are its record: rename at most.
        if obj is not None and obj.is_settled:
            return False
        return super().has_delete_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        if obj is not None and obj.is_settled:
            return False
        return super().has_add_permission(request, obj)


class StoryLinkInline(admin.TabularInline):
    model = StoryQuestion
    fk_name = "question"
    fields = ["story", "position"]
    autocomplete_fields = ["story"]
    extra = 0
    verbose_name = "story it hangs on"
    verbose_name_plural = "stories it hangs on"


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("open", "Open"),
            ("upcoming", "Not open yet"),
            ("closed", "Closed, awaiting resolution"),
            ("resolved", "Resolved"),
            ("annulled", "Annulled"),
            ("draft", "Draft"),
        ]

    def queryset(self, request, queryset):
        if self.value() in Question.State.values:
            return queryset.in_state(self.value())
        return queryset


class QuestionForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = [
            "title",
            "slug",
            "kind",
            "description",
            "resolution_criteria",
            "status",
            "opens_at",
            "closes_at",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "status" in self.fields:
            # Resolving and annulling are actions with their own page, never a select.
            self.fields["status"].choices = [
                (value, label) for value, label in Question.Status.choices
                if value in EDITABLE_STATUSES
            ]  # fmt: skip
            self.fields[
                "status"
            ].help_text = "Resolve or annul a question with the actions on the question list."


class ResolveForm(forms.Form):
    option = forms.ModelChoiceField(
        queryset=Option.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        label="Winning option",
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        label="Resolution note",
        help_text="What settled it, with the source. Readers see this note.",
    )

    def __init__(self, question, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["option"].queryset = question.options.all()


class StoryAutocomplete(admin.widgets.AutocompleteSelect):
    """The admin's autocomplete, minus its crash on a posted value that is not an id."""

    def optgroups(self, name, value, attr=None):
        ids = [v for v in value if str(v).isdigit() and int(v) < 2**63]
        return super().optgroups(name, ids, attr)


class ImportForm(forms.Form):
    text = forms.CharField(
        label="Question block",
        widget=forms.Textarea(attrs={"rows": 12, "cols": 80, "spellcheck": "false"}),
        help_text="The title line, one line per option like “Seeking asylum • 25%”, then the "
        "resolution source. Percentages are ignored: readers' forecasts set them.",
    )
    closes_at = forms.SplitDateTimeField(widget=AdminSplitDateTime, label="Closes at")
    opens_at = forms.SplitDateTimeField(
        widget=AdminSplitDateTime,
        label="Opens at",
        required=False,
        help_text="Leave empty to open it as soon as it is published.",
    )
    publish = forms.BooleanField(
        required=False, label="Publish now", help_text="Otherwise it is saved as a draft."
    )
    story = forms.ModelChoiceField(
        queryset=Story.objects.all(),
        required=False,
        label="Link to story",
        help_text="Optional: the question is added after the story's other questions.",
    )

    def __init__(self, *args, admin_site=None, **kwargs):
        super().__init__(*args, **kwargs)
        story = self.fields["story"]
        story.widget = StoryAutocomplete(StoryQuestion._meta.get_field("story"), admin_site)
        story.widget.choices = story.choices  # a replaced widget is not bound to the field

    def clean_text(self):
        self.block = parse_question_block(self.cleaned_data["text"])
        return self.cleaned_data["text"]

    def clean(self):
        cleaned = super().clean()
        try:
            Question.check_schedule(
                cleaned.get("opens_at") or timezone.now(), cleaned.get("closes_at")
            )
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned


@admin.register(Question)
class QuestionAdmin(VersionAdmin):
    form = QuestionForm
    list_display = ["title", "state_label", "closes", "forecasters", "linked"]
    list_filter = [StateFilter, "kind", "status"]
    search_fields = ["title", "slug", "description", "resolution_criteria"]
    prepopulated_fields = {"slug": ("title",)}
    inlines = [OptionInline, StoryLinkInline]
    actions = ["close_now", "resolve", "annul"]
    date_hierarchy = "closes_at"
    change_list_template = "admin/forecasts/question/change_list.html"
    fieldsets = [
        (None, {"fields": ["title", "slug", "kind", "description", "resolution_criteria"]}),
        ("Schedule", {"fields": ["status", "opens_at", "closes_at"]}),
    ]
    outcome_fields = ["resolved_option", "resolved_at", "resolution_note"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None and obj.is_settled:
            fieldsets.append(("Outcome", {"fields": self.outcome_fields}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_settled:
            # Settled is final: the record cannot drift back to open through the form.
            return ["kind", "status", "opens_at", "closes_at", *self.outcome_fields]
        return []

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("stories", queryset=Story.objects.only("id", "headline")))
        )

    @admin.display(description="state")
    def state_label(self, question):
        return question.state().label

    @admin.display(description="stories")
    def linked(self, question):
        # A count keeps the list narrow; hovering names the stories.
        headlines = [story.headline for story in question.stories.all()]
        return format_html('<span title="{}">{}</span>', "\n".join(headlines), len(headlines))

    @admin.display(description="closes", ordering="closes_at")
    def closes(self, question):
        return date_format(timezone.localtime(question.closes_at), "M j, Y H:i")

    @admin.display(description="forecasters", ordering="forecaster_count")
    def forecasters(self, question):
        return question.forecaster_count

    class Media:
        css = {"all": ["css/admin.css"]}

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        form.instance.ensure_binary_options()

    # Actions ----------------------------------------------------------------------

    @admin.action(description="Close selected questions now")
    def close_now(self, request, queryset):
        self._each(request, queryset, "Closed", lambda question: outcomes.close(question))

    @admin.action(description="Annul selected questions (no outcome; nobody is scored)")
    def annul(self, request, queryset):
        self._each(request, queryset, "Annulled", lambda question: outcomes.annul(question))

    @admin.action(description="Resolve the selected question…")
    def resolve(self, request, queryset):
        if queryset.count() != 1:
            messages.error(request, "Resolve one question at a time: select exactly one.")
            return None
        return redirect("admin:forecasts_question_resolve", queryset.get().pk)

    def _each(self, request, queryset, verb, change):
        done = 0
        for question in queryset:
            try:
                with transaction.atomic(), revision_for(request, verb):
                    change(question)
                    record(question)
                done += 1
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
        if done:
            messages.success(request, f"{verb} {done} question{'s' if done != 1 else ''}.")

    # Pages ------------------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "<int:pk>/resolve/",
                self.admin_site.admin_view(self.resolve_view),
                name="forecasts_question_resolve",
            ),
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="forecasts_question_import",
            ),
            *super().get_urls(),
        ]

    def _admin_form(self, form):
        """Wrap a plain form so the admin's own fieldset template lays it out."""
        fieldsets = [(None, {"fields": list(form.fields)})]
        return helpers.AdminForm(form, fieldsets, {}, model_admin=self)

    def resolve_view(self, request, pk):
        question = get_object_or_404(Question, pk=pk)
        if not self.has_change_permission(request, question):
            raise PermissionDenied
        form = ResolveForm(question, request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                with transaction.atomic(), revision_for(request, "Resolved"):
                    outcomes.resolve(
                        question, form.cleaned_data["option"], form.cleaned_data["note"]
                    )
                    record(question)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Resolved “{question}”: {form.cleaned_data['option']}.")
                return redirect("admin:forecasts_question_change", question.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Resolve question",
            "question": question,
            "form": form,
            "adminform": self._admin_form(form),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/forecasts/question/resolve.html", context)

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, admin_site=self.admin_site)
        if request.method == "POST" and form.is_valid():
            block, data = form.block, form.cleaned_data
            try:
                with revision_for(request, "Imported from a pasted block"):
                    question = create_question(
                        title=block.title,
                        options=block.options,
                        resolution_criteria=block.resolution_criteria,
                        kind=block.kind,
                        opens_at=data["opens_at"],
                        closes_at=data["closes_at"],
                        status=(
                            Question.Status.PUBLISHED if data["publish"] else Question.Status.DRAFT
                        ),
                        stories=[data["story"]] if data["story"] else [],
                    )
                    record(question)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    f"Imported “{question}” with {len(block.options)} options. Check it below.",
                )
                return redirect("admin:forecasts_question_change", question.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import a question from text",
            "form": form,
            "adminform": self._admin_form(form),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/forecasts/question/import.html", context)
