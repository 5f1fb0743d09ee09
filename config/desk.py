"""The editors' desk: the admin site that editors and reporters work in.

DeskSite is Django's AdminSite with the desk's own pieces: autocomplete choices that say
what each item is (a question's whole title and its state, not just a title).
"""

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView


class DeskAutocomplete(AutocompleteJsonView):
    """Autocomplete results labelled as editors tell items apart: `desk_label` if the
    model has one ("Will Iraq close Al-Qaim by June 30, 2025? · Open")."""

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        return {**result, "text": getattr(obj, "desk_label", result["text"])}


class DeskSite(admin.AdminSite):
    def autocomplete_view(self, request):
        return DeskAutocomplete.as_view(admin_site=self)(request)
