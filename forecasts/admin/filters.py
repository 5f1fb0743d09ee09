"""List filters of the questions' admin."""

from django.contrib import admin

from forecasts.models import Question


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
            ("in_review", "In review"),
            ("draft", "Draft"),
        ]

    def queryset(self, request, queryset):
        if self.value() in Question.State.values:
            return queryset.in_state(self.value())
        return queryset
