"""REST API plumbing shared by every app's endpoints: errors, paging, throttles, caching.

One error shape for every 4xx:
    {"error": {"status": 400, "code": "invalid", "message": "…", "fields": {"name": ["…"]}}}
"""

import hashlib
from datetime import UTC

import django_filters
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler

from news.freshness import clock_bucket, request_version

MAX_PAGE_SIZE = 100


def _fields(detail, prefix=""):
    """DRF's nested error detail flattened to {"options[1].label": [messages]}."""
    fields = {}
    for key, errors in detail.items():
        if isinstance(key, int):
            name = f"{prefix}[{key}]"
        elif key == "non_field_errors" and prefix:
            name = prefix
        else:
            name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(errors, dict):
            for inner, messages in _fields(errors, name).items():
                fields.setdefault(inner, []).extend(messages)
        elif isinstance(errors, list) and errors and isinstance(errors[0], dict):
            for index, item in enumerate(errors):
                for inner, messages in _fields(item, f"{name}[{index}]").items():
                    fields.setdefault(inner, []).extend(messages)
        else:
            messages = errors if isinstance(errors, list) else [errors]
            fields.setdefault(name, []).extend(str(message) for message in messages)
    return fields


def error_body(status, code, message, fields=None):
    return {"error": {"status": status, "code": code, "message": message, "fields": fields or {}}}


def handle_exception(exc, context):
    if isinstance(exc, NotModified):
        response = Response(status=304, headers={"ETag": exc.etag})
        cache_headers(context["request"], response)
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict
            if hasattr(exc, "message_dict")
            else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail)
    response = exception_handler(exc, context)
    if response is None:
        return None
    detail = getattr(exc, "detail", None)
    fields, message = {}, ""
    if isinstance(detail, dict):
        fields = _fields(detail)
        general = fields.pop("non_field_errors", []) + fields.pop("detail", [])
        message = " ".join(general) or "The request has errors; see fields."
    elif isinstance(detail, list):
        message = " ".join(str(d) for d in detail)
    else:
        message = str(detail or exc)
    code = getattr(exc, "default_code", "error")
    if isinstance(detail, dict | list):
        code = "invalid"
    elif hasattr(detail, "code") and detail.code:
        code = detail.code
    response.data = error_body(response.status_code, code, message, fields)
    return response


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing: every operation documents the error shape."""
    from drf_spectacular.plumbing import ResolvedComponent

    generator.registry.register_on_missing(
        ResolvedComponent(
            name="Error",
            type=ResolvedComponent.SCHEMA,
            object="Error",
            schema={
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {
                        "type": "object",
                        "required": ["status", "code", "message", "fields"],
                        "properties": {
                            "status": {"type": "integer"},
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                            "fields": {
                                "type": "object",
                                "additionalProperties": {
                                    "type": "array",
                                    "items": {"type": "string"},
                                },
                            },
                        },
                    }
                },
            },
        )
    )
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = generator.registry[("Error", ResolvedComponent.SCHEMA)].schema
    reference = {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    }
    descriptions = {
        "400": "Invalid input",
        "401": "Not signed in",
        "403": "Not allowed",
        "404": "Not found",
        "405": "Method not allowed",
        "406": "Not acceptable",
        "429": "Too many requests",
    }
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for status, description in descriptions.items():
                responses.setdefault(status, {"description": description, **reference})
            responses.setdefault("304", {"description": "Not modified (conditional request)"})
    return result


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
        try:
            return super().paginate_queryset(queryset, request, view)
        except (exceptions.NotFound, ValueError, TypeError, OverflowError, DjangoValidationError):
            raise exceptions.ValidationError({"cursor": ["This cursor is not valid."]}) from None


class ListFilterMixin:
    """Filters and ordering narrow lists; a detail URL names its row, whatever its query
    string says (as the schema documents filters on lists only), and skips building them."""

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)


class ConditionalMixin:
    """ETag / Last-Modified on list and detail reads, and 304 when nothing changed.

    The tag covers the content version, the full URL, the response format and, for
    endpoints that answer per user, who is asking.
    """

    per_user = False  # kept for clarity: signed-in clients always get tags of their own
    public_response = True  # anonymous answers may be served whole from the cache

    def _validators(self, request):
        version = request_version(request)
        # Signed-in clients may see more (editors see drafts) or other things (their own
        # forecasts): their tags are their own. The clock bucket makes a question that
        # closes, or a story that goes live, change its tag within PAGE_CACHE_SECONDS.
        who = request.user.pk if request.user.is_authenticated else ""
        bucket = clock_bucket()
        raw = f"{version['version']}:{bucket}:{request.get_full_path()}:{who}"
        etag = '"' + hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest() + '"'
        return etag, max(version["changed_at"].timestamp(), bucket * settings.PAGE_CACHE_SECONDS)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            etag, last_modified = self._validators(request)
            response["ETag"] = etag
            response["Last-Modified"] = http_date(last_modified)
        if request.method in ("GET", "HEAD") and response.status_code in (200, 304):
            cache_headers(request, response)
        return response

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method in ("GET", "HEAD"):
            etag, last_modified = self._validators(request)
            not_modified = get_conditional_response(
                request, etag=etag, last_modified=int(last_modified), response=Response()
            )
            if not_modified is not None and not_modified.status_code == 304:
                raise NotModified(etag)


class NotModified(exceptions.APIException):
    status_code = 304
    default_detail = ""

    def __init__(self, etag):
        super().__init__()
        self.etag = etag


def cache_headers(request, response):
    if request.user.is_authenticated:
        patch_cache_control(response, private=True, no_cache=True)
    else:
        patch_cache_control(response, public=True, max_age=settings.PAGE_CACHE_SECONDS)
    patch_vary_headers(response, ["Authorization", "Cookie"])


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


def api_500(request):
    return JsonResponse(
        error_body(500, "server_error", "Something went wrong on our side."), status=500
    )


def api_400(request, exception=None):
    return JsonResponse(
        error_body(400, "bad_request", "The request could not be understood."), status=400
    )


def api_404(request, exception=None):
    return JsonResponse(
        error_body(404, "not_found", "There is nothing at this address."), status=404
    )
