"""The forms of the questions' admin: the question, its options, resolving, importing.

Each turns the model layer's rules (forecasts.models, forecasts.authoring) into form
errors; none re-implements them.
"""

from django import forms
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils import timezone

from config import workflow
from config.admin_input import IdsOnlyAutocompleteSelect
from config.editing import EditConflictForm
from config.review_admin import ReviewForm
from forecasts.authoring import parse_question_block
from forecasts.models import Option, Question, StoryQuestion, normalise_label
from news.models import Story

EDITABLE_STATUSES = [Question.Status.DRAFT, Question.Status.IN_REVIEW, Question.Status.PUBLISHED]


class NextPositionFormSet(BaseInlineFormSet):
    """Rows with a `position`: new rows come numbered after the last one, and a row left
    without a position goes last. (static/js/admin-positions.js numbers the rows that
    "Add another" adds in the browser.)"""

    def _after_last(self):
        return max((row.position for row in self.get_queryset()), default=-1) + 1

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if index is not None and index >= self.initial_form_count():
            position = self._after_last() + index - self.initial_form_count()
            kwargs["initial"] = {**kwargs.get("initial", {}), "position": position}
        return kwargs

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["position"].required = False

    def clean(self):
        super().clean()
        kept = [f for f in self.forms if f.cleaned_data and not self._should_delete_form(f)]
        taken = [
            f.cleaned_data["position"] for f in kept if f.cleaned_data.get("position") is not None
        ]
        following = max(taken, default=-1) + 1
        for form in kept:
            if form.cleaned_data.get("position") is None:
                form.cleaned_data["position"] = form.instance.position = following
                following += 1


class OptionFormSet(NextPositionFormSet):
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
            label = normalise_label(form.cleaned_data["label"])
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


class QuestionForm(ReviewForm, EditConflictForm):
    class Meta:
        model = Question
        fields = [
            "title",
            "slug",
            "kind",
            "language",
            "description",
            "resolution_criteria",
            "status",
            "opens_at",
            "closes_at",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "status" in self.fields:
            # Resolving and annulling are actions with their own page, never a select;
            # ReviewForm has already left out the moves this user may not make.
            self.fields["status"].choices = [
                (value, label) for value, label in self.fields["status"].choices
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


class ImportForm(forms.Form):
    text = forms.CharField(
        label="Question block",
        widget=forms.Textarea(attrs={"rows": 12, "cols": 80, "spellcheck": "false"}),
        help_text="The title line, one line per option like “Seeking asylum • 25%”, then the "
        "resolution source. Percentages are ignored: readers' forecasts set them.",
    )
    closes_at = forms.SplitDateTimeField(
        widget=AdminSplitDateTime,
        label="Closes at",
        required=False,
        help_text="Leave empty to take the date in the title (“by June 30, 2027” is the end "
        "of that day): you see the proposal here before anything is created.",
    )
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

    def __init__(self, *args, admin_site=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.admin_site, self.user, self.proposal = admin_site, user, None
        if user is not None and not workflow.may_publish(user, Question):
            del self.fields["publish"]  # a reporter's import is a draft to submit for review
        story = self.fields["story"]
        story.label_from_instance = lambda story: story.desk_label
        story.widget = IdsOnlyAutocompleteSelect(
            StoryQuestion._meta.get_field("story"), admin_site
        )
        story.widget.choices = story.choices  # a replaced widget is not bound to the field

    def clean_text(self):
        self.block = parse_question_block(self.cleaned_data["text"])
        return self.cleaned_data["text"]

    def clean(self):
        cleaned = super().clean()
        self.proposal = None
        block = getattr(self, "block", None)
        if not cleaned.get("closes_at") and "closes_at" not in self.errors and block:
            self.proposal = block.proposed_closes_at()
            if self.proposal is None:
                self.add_error(
                    "closes_at", "Give a close time: the title names no date to take it from."
                )
            return cleaned
        try:
            Question.check_schedule(
                cleaned.get("opens_at") or timezone.now(), cleaned.get("closes_at")
            )
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned

    def with_proposal(self):
        """This form again, its close time filled in with the proposal, for the editor to
        check before creating anything."""
        data = self.data.copy()
        local = timezone.localtime(self.proposal)
        data[self.add_prefix("closes_at") + "_0"] = f"{local:%Y-%m-%d}"
        data[self.add_prefix("closes_at") + "_1"] = f"{local:%H:%M:%S}"
        proposed = type(self)(data, admin_site=self.admin_site, user=self.user)
        proposed.proposal = self.proposal
        return proposed
