"""The reader's forecast form: one percentage per option."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from forecasts import forecasting, maths
from forecasts.models import PROBABILITY_MAX, PROBABILITY_MIN, RATIONALE_MAX_LENGTH

# Percentages to one decimal: the form's fields are tenths of a point.
TENTHS = 1000


class ForecastForm(forms.Form):
    normalise = forms.BooleanField(
        required=False, label="Normalise for me (scale my numbers to add up to 100%)"
    )
    rationale = forms.CharField(
        required=False,
        label="Your reason (optional)",
        help_text=f"Plain text, up to {RATIONALE_MAX_LENGTH} characters. Shown without your "
        "name on this page once the question closes.",
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "maxlength": RATIONALE_MAX_LENGTH,
                "aria-describedby": "id_rationale-help",
            }
        ),
    )

    def __init__(self, question, *args, initial_probabilities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.question = question
        options = list(question.options.all())
        starts = self.starting_percents(options, initial_probabilities or {})
        for option, start in zip(options, starts, strict=True):
            self.fields[self.field_name(option)] = forms.DecimalField(
                label=option.label,
                min_value=Decimal(str(PROBABILITY_MIN * 100)),
                max_value=Decimal(str(PROBABILITY_MAX * 100)),
                decimal_places=2,
                max_digits=5,
                initial=start,
                widget=forms.NumberInput(
                    attrs={"step": "0.1", "class": "forecast__input", "inputmode": "decimal"}
                ),
            )
        self.order_fields([self.field_name(o) for o in options] + ["normalise", "rationale"])
        if question.rationales_at_once:
            self.fields["rationale"].help_text = (
                f"Plain text, up to {RATIONALE_MAX_LENGTH} characters. Shown without your "
                "name on this page."
            )

    @staticmethod
    def starting_percents(options, probabilities):
        """The pre-filled percentages, to one decimal, summing to exactly 100.0: the same
        largest-remainder rounding as the displayed whole percentages, in tenths, so a
        reader who submits them unchanged is never told they add up to 99.9%."""
        values = [probabilities.get(option.pk) for option in options]
        if not values or None in values or sum(values) <= 0:
            return [None] * len(options)
        tenths = maths.largest_remainder_percentages(values, total=TENTHS)
        return [Decimal(n).scaleb(-1) for n in tenths]  # 834 -> 83.4, 830 -> 83.0

    @staticmethod
    def field_name(option):
        return f"option_{option.pk}"

    def option_fields(self):
        return [self[self.field_name(option)] for option in self.question.options.all()]

    def probabilities(self):
        return {
            option.pk: float(self.cleaned_data[self.field_name(option)]) / 100
            for option in self.question.options.all()
        }

    def clean_rationale(self):
        try:
            return forecasting.clean_rationale(self.cleaned_data.get("rationale"))
        except ValidationError as error:
            raise ValidationError(error.messages) from None

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        # The one set of rules, shared with the API: raises a ValidationError for the form.
        try:
            forecasting.clean_probabilities(
                self.question, self.probabilities(), normalise=cleaned.get("normalise", False)
            )
        except ValidationError as error:
            raise reader_error(error) from None
        return cleaned


def reader_error(error):
    """The rule's message, plus how a reader on the site asks for normalising."""
    if getattr(error, "code", None) == forecasting.TOTAL_NOT_100:
        return ValidationError(
            "Your probabilities add up to %(total)s%%, not 100%%. Adjust them, or tick "
            "“Normalise for me” to have them scaled to 100%%.",
            code=error.code,
            params=error.params,
        )
    return error
