"""The reader's forecast form: one percentage per option."""

from decimal import Decimal

from django import forms

from forecasts import forecasting
from forecasts.models import PROBABILITY_MAX, PROBABILITY_MIN


class ForecastForm(forms.Form):
    normalise = forms.BooleanField(
        required=False, label="Normalise for me (scale my numbers to add up to 100%)"
    )

    def __init__(self, question, *args, initial_probabilities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.question = question
        initial_probabilities = initial_probabilities or {}
        for option in question.options.all():
            start = initial_probabilities.get(option.pk)
            self.fields[self.field_name(option)] = forms.DecimalField(
                label=option.label,
                min_value=Decimal(str(PROBABILITY_MIN * 100)),
                max_value=Decimal(str(PROBABILITY_MAX * 100)),
                decimal_places=2,
                max_digits=5,
                initial=round(start * 100, 1) if start is not None else None,
                widget=forms.NumberInput(attrs={"step": "0.1", "class": "forecast__input"}),
            )
        self.order_fields([self.field_name(o) for o in question.options.all()] + ["normalise"])

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

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        # The one set of rules, shared with the API: raises a ValidationError for the form.
        forecasting.clean_probabilities(
            self.question, self.probabilities(), normalise=cleaned.get("normalise", False)
        )
        return cleaned
