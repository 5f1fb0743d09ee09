"""Filter plumbing shared by the API's lists."""

import django_filters

from config.times import storable_time


class ListFilterMixin:
    """Filters and ordering narrow lists; a detail URL names its row, whatever its query
    string says (as the schema documents filters on lists only), and skips building them."""

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)


class TimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 time the database can hold (config.times), in UTC; anything else is a
    400."""

    def clean(self, value):
        return storable_time(super().clean(value))


class TimeFilter(django_filters.IsoDateTimeFilter):
    field_class = TimeField
