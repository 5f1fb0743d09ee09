"""Cursor paging for every API list: a deep page costs what the first one does."""

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination

from config.times import storable_time

MAX_PAGE_SIZE = 100


class TimeCursorPagination(CursorPagination):
    """Cursor paging: a deep page costs what the first one does. `page_size` ≤ 100."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = "-created_at"

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        ok = raw is None or (raw.isascii() and raw.isdecimal() and 1 <= int(raw) <= MAX_PAGE_SIZE)
        if not ok:
            raise exceptions.ValidationError(
                {"page_size": [f"Must be a whole number from 1 to {MAX_PAGE_SIZE}."]}
            )
        return super().get_page_size(request)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update({"minimum": 1, "maximum": MAX_PAGE_SIZE})
        return parameters

    def paginate_queryset(self, queryset, request, view=None):
        # A hand-edited cursor can carry any value for the ordering field.
        self.model = queryset.model
        try:
            return super().paginate_queryset(queryset, request, view)
        except (exceptions.NotFound, ValueError, TypeError, OverflowError, DjangoValidationError):
            raise exceptions.ValidationError({"cursor": ["This cursor is not valid."]}) from None

    def decode_cursor(self, request):
        """The cursor, with a time position made one the database takes (config.times):
        the database refuses some that Python parses, such as a +20:00 offset."""
        cursor = super().decode_cursor(request)
        if cursor is None or cursor.position is None:
            return cursor
        try:
            field = self.model._meta.get_field(self.ordering[0].lstrip("-"))
        except FieldDoesNotExist:
            return cursor
        if isinstance(field, models.DateTimeField):
            moment = storable_time(field.to_python(cursor.position))
            cursor = cursor._replace(position=moment.isoformat())
        return cursor
