"""The admin, safe from posted values that cannot be ids.

Django's admin puts a posted action selection (`_selected_action`), and an autocomplete's
value shown again after a form error, straight into a query on the primary key: a value
that is not a whole number ("abc", a NUL character) or is too big for the column is a 500
there. `IdsOnlyAdmin` (for model admins and inlines) refuses such a selection with a
message and gives autocompletes that leave such values out; the question importer's story
picker uses the same widget.
"""

from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple

MAX_ID = 2**63 - 1  # a bigint primary key


def is_id(value):
    text = str(value)
    return text.isascii() and text.isdecimal() and int(text) <= MAX_ID


class IdsOnlyAutocompleteSelect(AutocompleteSelect):
    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if is_id(v)], attr)


class IdsOnlyAutocompleteSelectMultiple(AutocompleteSelectMultiple):
    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if is_id(v)], attr)


class IdsOnlyAdmin:
    """Mix into a ModelAdmin or an inline, before the admin class."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = IdsOnlyAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = IdsOnlyAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def response_action(self, request, queryset, *args, **kwargs):
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if not all(is_id(value) for value in selected):
            self.message_user(
                request, "That selection is not one this list shows; nothing was done.",
                messages.ERROR,
            )  # fmt: skip
            return None  # the list is shown again, with the message
        return super().response_action(request, queryset, *args, **kwargs)
