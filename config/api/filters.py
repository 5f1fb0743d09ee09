"""Filter plumbing shared by the API's lists."""

from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError


class ListFilterMixin:
    """Filters and ordering narrow lists; a detail URL names its row, whatever its query
    string says (as the schema documents filters on lists only), and skips building them."""

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)


class TimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 time that the database can hold; anything else is a 400."""

    def clean(self, value):
        moment = super().clean(value)
        if moment is not None:
            try:
                moment.astimezone(UTC)
                if not 1900 <= moment.year <= 9999:
                    raise ValueError
            except (OverflowError, ValueError):
                raise DjangoValidationError("Give a time between 1900 and 9999.") from None
        return moment


class TimeFilter(django_filters.IsoDateTimeFilter):
    field_class = TimeField
