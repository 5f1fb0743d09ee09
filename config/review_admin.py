"""Review before publishing in the admin: config.workflow's rules as form choices and
errors, buttons, permissions and history comments, for the stories' and questions' admins.

- The status select offers only the moves the user may make; a crafted post is refused
  by the same check (workflow.move_comment) as the API's.
- Buttons beside Save make a move in one click: "Submit for review" for reporters,
  "Publish" / "Approve and publish" and "Request changes" (with the review note) for
  editors. They set the status and save the form, so there is one code path.
- A published (or settled) item is read-only to whoever may not publish it.
- The revision of a save that moved the status starts with the move ("Changes
  requested: …"), so the history and the desk read it.

Both admins that use it also get inlines whose button reads "Add another option".
"""

import json

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext
from reversion import is_active, set_comment

from config import workflow

# Button name -> the status it moves to.
REVIEW_BUTTONS = {
    "_submit_for_review": workflow.IN_REVIEW,
    "_publish": workflow.PUBLISHED,
    "_request_changes": workflow.DRAFT,
}
# Fields of the form that are not the model's: a read-only page does not show them.
FORM_ONLY = {"edit_snapshot", "review_note", "change_kind", "correction_note"}
# What a move alone changes (a story's Publish button may fill in its time).
MOVE_FIELDS = {"status", "published_at"}


class ReviewForm(forms.ModelForm):
    """A model form whose status moves are checked by config.workflow. The admin sets
    `user` on the class (ReviewAdmin.get_form)."""

    user = None

    review_note = forms.CharField(
        required=False,
        label="Review note",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="For the history: what to change when you send it back (needed then), "
        "or a word to the editor when you submit it.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.move = None
        status = self.fields.get("status")
        if status is not None and self.user is not None:
            allowed = workflow.statuses_for(self.user, self.instance)
            status.choices = [(v, label) for v, label in status.choices if v in allowed]

    def clean(self):
        cleaned = super().clean()
        new = cleaned.get("status")
        if new is None or self.user is None:
            return cleaned
        # Until _post_clean(), self.instance holds the stored values.
        old = self.instance.status if self.instance.pk else workflow.DRAFT
        try:
            self.move = workflow.move_comment(
                self.user, self.instance, old, new, cleaned.get("review_note", "")
            )
        except PermissionDenied as refusal:
            self.add_error("status", str(refusal))
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned


class NaturalInlineAdminFormSet(helpers.InlineAdminFormSet):
    """ "Add another option", not "Add another Option"."""

    def inline_formset_data(self):
        data = json.loads(super().inline_formset_data())
        data["options"]["addText"] = gettext("Add another %(verbose_name)s") % {
            "verbose_name": self.opts.verbose_name
        }
        return json.dumps(data)


class ReviewInline:
    """An inline of a reviewed model: as read-only as the item it belongs to."""

    def _parent_editable(self, request, obj):
        return obj is None or workflow.may_edit(request.user, obj)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._parent_editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._parent_editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._parent_editable(request, obj)


class ReviewAdmin:
    """A ModelAdmin mixin for a model in config.workflow's review flow."""

    review_fieldset = ("Review", {"fields": ["review_note"], "classes": ["review"]})

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.user = request.user  # a class made for this request by modelform_factory
        return form

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None and not self.has_change_permission(request, obj):
            return [
                (name, {**opts, "fields": [f for f in opts["fields"] if f not in FORM_ONLY]})
                for name, opts in fieldsets
            ]
        if workflow.review_required() and (obj is None or obj.status in workflow.UNPUBLISHED):
            # Last but for the collapsed record: right above the buttons that use it.
            names = [name for name, _ in fieldsets]
            at = names.index("Record") if "Record" in names else len(fieldsets)
            fieldsets.insert(at, self.review_fieldset)
        return fieldsets

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or workflow.may_edit(request.user, obj))

    def has_publish_permission(self, request):
        return workflow.may_publish(request.user, self.model)

    def get_inline_formsets(self, request, formsets, inline_instances, obj=None):
        inline_formsets = super().get_inline_formsets(request, formsets, inline_instances, obj)
        # Django builds these itself, with no hook for the class: retag each one.
        for inline_formset in inline_formsets:
            inline_formset.__class__ = NaturalInlineAdminFormSet
        return inline_formsets

    def move_selected(self, request, queryset, status, done):
        """An action's body: move each selected item, saying which were refused and why."""
        moved = 0
        for item in queryset:
            try:
                if workflow.move(item, request.user, status):
                    moved += 1
            except (PermissionDenied, ValidationError) as error:
                refusal = error.messages if isinstance(error, ValidationError) else [str(error)]
                messages.error(request, f"“{item}”: {' '.join(refusal)}")
        if moved:
            noun = self.opts.verbose_name if moved == 1 else self.opts.verbose_name_plural
            messages.success(request, done.format(n=f"{moved} {noun}"))

    # The buttons ------------------------------------------------------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST":
            status = next((s for b, s in REVIEW_BUTTONS.items() if b in request.POST), None)
            if status is not None:
                request.POST = request.POST.copy()
                request.POST["status"] = status
                self.prepare_move(request.POST, status)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def prepare_move(self, data, status):
        """Adjust a button's post before the form sees it (a story's publication time)."""

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["review"] = self.review_context(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def review_context(self, request, obj):
        """What the change form shows of the review: the last move and the buttons."""
        user, status = request.user, obj.status if obj is not None else workflow.DRAFT
        editable = obj is None or self.has_change_permission(request, obj)
        allowed = workflow.statuses_for(user, obj or self.model()) if editable else []
        in_review = status == workflow.IN_REVIEW
        last_move = workflow.latest_move(obj) if obj is not None else None
        return {
            "on": workflow.review_required(),
            "status": status,
            "last_move": last_move,
            "sent_back": status == workflow.DRAFT
            and last_move is not None
            and last_move.comment.startswith(workflow.CHANGES_REQUESTED),
            "can_submit": status == workflow.DRAFT and workflow.IN_REVIEW in allowed,
            "can_publish": status in workflow.UNPUBLISHED and workflow.PUBLISHED in allowed,
            "can_request_changes": in_review
            and workflow.review_required()
            and workflow.may_publish(user, self.model),
            "publish_label": "Approve and publish" if in_review else "Publish",
        }

    # The history ------------------------------------------------------------------

    def construct_change_message(self, request, form, formsets, add=False):
        changed = [name for name in form.changed_data if name not in FORM_ONLY]
        form.__dict__["changed_data"] = changed  # the note is in the revision's comment
        # A move alone ("Submitted for review") needs no "Changed Status." after it, and
        # a new item's first revision is its move.
        form.instance.history_note = self.history_note(form)
        form.instance.history_alone = add or (
            set(changed) <= MOVE_FIELDS and not any(f.has_changed() for f in formsets)
        )
        return super().construct_change_message(request, form, formsets, add)

    def history_note(self, form):
        """What the revision's comment starts with: the review move, if the save made one."""
        return getattr(form, "move", None)

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        self._comment_move(obj, entry)
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        self._comment_move(obj, entry)
        return entry

    def _comment_move(self, obj, entry):
        note = getattr(obj, "history_note", None)
        if note and is_active():
            alone = getattr(obj, "history_alone", False)
            set_comment(note if alone else f"{note} · {entry.get_change_message()}")

    def response_add(self, request, obj, post_url_continue=None):
        self._say_move(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        self._say_move(request, obj)
        return super().response_change(request, obj)

    def _say_move(self, request, obj):
        note = getattr(obj, "history_note", None)
        if note:
            messages.info(request, f"{note.split(':')[0]}: “{obj}”.")
