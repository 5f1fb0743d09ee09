"""The editors' desk for questions: options, links, and the road from draft to outcome.

The rules themselves live in forecasts.models, forecasts.outcomes and forecasts.authoring;
this package turns them into form errors (forms.py), actions (here) and pages (pages.py).
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from reversion.admin import VersionAdmin

from config import workflow
from config.admin_input import IdsOnlyAdmin
from config.editing import RetryRacedSaveAdmin
from config.history import record, revision_for
from config.review_admin import ReviewAdmin, ReviewInline
from config.versions import bump
from forecasts import outcomes
from forecasts.admin.filters import StateFilter
from forecasts.admin.forms import OptionFormSet, QuestionForm
from forecasts.admin.pages import QuestionPages
from forecasts.models import MAX_OPTIONS, Option, Question, Rationale, StoryQuestion
from news.models import Story


class OptionInline(ReviewInline, admin.TabularInline):
    model = Option
    formset = OptionFormSet
    fields = ["position", "label"]
    extra = 0
    min_num = 0
    max_num = MAX_OPTIONS
    ordering = ["position", "id"]
    verbose_name = "option"
    verbose_name_plural = "options (in display order; a yes/no question gets Yes and No itself)"

    class Media:
        js = ["js/admin-positions.js"]

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


class StoryLinkInline(IdsOnlyAdmin, ReviewInline, admin.TabularInline):
    model = StoryQuestion
    fk_name = "question"
    fields = ["story", "position"]
    autocomplete_fields = ["story"]
    extra = 0
    verbose_name = "story"
    verbose_name_plural = "stories it hangs on"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "story":
            field.label_from_instance = lambda story: story.desk_label
        return field


QUESTION_TEXT_FIELDS = [
    "title", "slug", "kind", "language", "description", "resolution_criteria",
]  # fmt: skip


@admin.register(Question)
class QuestionAdmin(IdsOnlyAdmin, ReviewAdmin, RetryRacedSaveAdmin, QuestionPages, VersionAdmin):
    form = QuestionForm
    list_display = [
        "title", "state_label", "leading", "closes", "forecasters", "linked", "is_demo",
    ]  # fmt: skip
    list_filter = [StateFilter, "kind", "status", "is_demo"]
    search_fields = ["title", "slug", "description", "resolution_criteria"]
    prepopulated_fields = {"slug": ("title",)}
    inlines = [OptionInline, StoryLinkInline]
    actions = ["submit_for_review", "publish", "close_now", "resolve", "annul"]
    date_hierarchy = "closes_at"
    change_list_template = "admin/forecasts/question/change_list.html"
    fieldsets = [
        (None, {"fields": [*QUESTION_TEXT_FIELDS, "edit_snapshot"]}),
        ("Schedule", {"fields": ["status", "opens_at", "closes_at"]}),
        (
            "Readers: hide the community forecast (anti-anchoring), show reasons",
            {
                "fields": ["reveal_forecasters", "reveal_at", "rationales_at_once"],
                "classes": ["collapse"],
            },
        ),
    ]
    outcome_fields = ["resolved_option", "resolved_at", "resolution_note"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "reveal_forecasters" in form.base_fields:
            # Left out of a post (a form from before it existed), it keeps its 0.
            form.base_fields["reveal_forecasters"].required = False
        return form

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
        # The rows with their winning option, then all their options and all their
        # stories: three queries whatever the number of rows.
        return (
            super()
            .get_queryset(request)
            .with_options()
            .prefetch_related(Prefetch("stories", queryset=Story.objects.only("id", "headline")))
        )

    @admin.display(description="state")
    def state_label(self, question):
        return question.state().label

    @admin.display(description="leading")
    def leading(self, question):
        if question.status == Question.Status.RESOLVED:
            return format_html("✓ {}", question.resolved_option)
        if question.status == Question.Status.ANNULLED:
            return "—"
        leading = question.leading_option()
        if leading is None:
            return format_html('<span class="muted" title="{}">—</span>', "No forecasts yet")
        option, percent, tied = leading
        return f"{option} · {percent}%{' (tied)' if tied else ''}"

    @admin.display(description="stories")
    def linked(self, question):
        # A count keeps the list narrow; hovering names the stories.
        headlines = [story.headline for story in question.stories.all()]
        return format_html('<span title="{}">{}</span>', "\n".join(headlines), len(headlines))

    @admin.display(description="closes", ordering="closes_at")
    def closes(self, question):
        # Date over time: the list stays within a laptop's width beside its filters.
        closes_at = timezone.localtime(question.closes_at)
        return format_html(
            "{}<br>{}", date_format(closes_at, "M j, Y"), date_format(closes_at, "H:i")
        )

    @admin.display(description="forecasters", ordering="forecaster_count")
    def forecasters(self, question):
        return question.forecaster_count

    class Media:
        css = {"all": ["css/admin.css"]}

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        form.instance.ensure_binary_options()

    def has_resolve_permission(self, request):
        return workflow.may_resolve(request.user)

    # Actions ----------------------------------------------------------------------

    @admin.action(description="Submit selected questions for review", permissions=["change"])
    def submit_for_review(self, request, queryset):
        self.move_selected(
            request, queryset, Question.Status.IN_REVIEW, "Submitted {n} for review."
        )

    @admin.action(description="Publish selected questions", permissions=["publish"])
    def publish(self, request, queryset):
        self.move_selected(request, queryset, Question.Status.PUBLISHED, "Published {n}.")

    @admin.action(description="Close selected questions now", permissions=["resolve"])
    def close_now(self, request, queryset):
        self._each(request, queryset, "Closed", lambda question: outcomes.close(question))

    @admin.action(
        description="Annul selected questions (no outcome; nobody is scored)",
        permissions=["resolve"],
    )
    def annul(self, request, queryset):
        self._each(request, queryset, "Annulled", lambda question: outcomes.annul(question))

    @admin.action(description="Resolve the selected question…", permissions=["resolve"])
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


@admin.register(Rationale)
class RationaleAdmin(admin.ModelAdmin):
    """Readers' reasons, newest first, for moderation: an editor hides or shows one; the
    reason's text and the forecast stay the reader's."""

    list_display = ["reason", "question", "created_at", "rationale_hidden"]
    list_filter = ["rationale_hidden"]
    list_select_related = ["question"]
    search_fields = ["rationale", "question__title"]
    actions = ["hide", "show"]
    fields = ["question", "created_at", "rationale", "rationale_hidden"]
    readonly_fields = ["question", "created_at", "rationale"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(rationale="")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="reason")
    def reason(self, forecast):
        text = forecast.rationale
        return text if len(text) <= 120 else text[:119] + "…"

    @admin.action(description="Hide the selected reasons from the question page")
    def hide(self, request, queryset):
        count = queryset.update(rationale_hidden=True)
        bump()  # cached question pages show it no longer
        self.message_user(request, f"{count} reason(s) hidden.", messages.SUCCESS)

    @admin.action(description="Show the selected reasons again")
    def show(self, request, queryset):
        count = queryset.update(rationale_hidden=False)
        bump()
        self.message_user(request, f"{count} reason(s) shown.", messages.SUCCESS)
