"""The questions' admin pages beyond add and change: resolve one question, import one.

A mixin for QuestionAdmin, so its URLs, permissions and admin chrome are the admin's own.
"""

from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from config.history import record, revision_for
from forecasts import outcomes
from forecasts.admin.forms import ImportForm, ResolveForm
from forecasts.authoring import create_question
from forecasts.models import Question


class QuestionPages:
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
        if not self.has_resolve_permission(request):
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
        form = ImportForm(request.POST or None, admin_site=self.admin_site, user=request.user)
        if request.method == "POST" and form.is_valid() and form.proposal:
            # No close time given: show the one the title proposes, and create nothing yet.
            form = form.with_proposal()
        elif request.method == "POST" and form.is_valid():
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
                            Question.Status.PUBLISHED
                            if data.get("publish")
                            else Question.Status.DRAFT
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
            "proposal": form.proposal,
            "proposal_passed": form.proposal is not None and form.proposal <= timezone.now(),
            "form": form,
            "adminform": self._admin_form(form),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/forecasts/question/import.html", context)
