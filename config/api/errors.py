"""One error shape for every API error, and the handlers that produce it.

    {"error": {"status": 400, "code": "invalid", "message": "…", "fields": {"name": ["…"]}}}

A 500 adds "request_id": the id a client quotes to the newsroom (config.request_id).

DRF's exceptions, Django's Http404/PermissionDenied/ValidationError and the site's own
400/404/500 handlers under /api/ all answer in it; config.api.schema documents it.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from config.api.conditional import NotModified, cache_headers
from config.bad_requests import explain
from config.conflicts import Conflict, StaleEdit
from config.request_id import current_request_id


class ConflictError(exceptions.APIException):
    status_code = 409
    default_code = "conflict"


class PreconditionFailed(exceptions.APIException):
    status_code = 412
    default_code = "precondition_failed"


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


def error_body(status, code, message, fields=None, request_id=None):
    error = {"status": status, "code": code, "message": message, "fields": fields or {}}
    if request_id:
        error["request_id"] = request_id
    return {"error": error}


def handle_exception(exc, context):
    if isinstance(exc, NotModified):
        response = Response(status=304, headers={"ETag": exc.etag})
        cache_headers(context["request"], response)
        return response
    refusal = explain(exc)  # a body over the size limits, found while reading it
    if refusal is not None:
        code, message = refusal
        exc = exceptions.ParseError(message, code=code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)  # the model layer's reason
    if isinstance(exc, StaleEdit):
        exc = PreconditionFailed(" ".join(exc.messages))
    elif isinstance(exc, Conflict):
        exc = ConflictError(" ".join(exc.messages))
    elif isinstance(exc, IntegrityError):
        # A unique slug or label taken by a request that committed a moment earlier: the
        # checks before the write passed, the database refused it. Nothing was written.
        exc = ConflictError(
            "That conflicts with a change made at the same moment (a slug or label that "
            "was just taken). Nothing was saved; check and send it again."
        )
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


def api_500(request):
    request_id = current_request_id()
    message = "Something went wrong on our side; the newsroom has been told."
    if request_id:
        message += f" If you write to us about it, quote request id {request_id}."
    return JsonResponse(
        error_body(500, "server_error", message, request_id=request_id), status=500
    )


def api_400(request, exception=None):
    refusal = explain(exception)
    if refusal is not None:
        code, message = refusal
        return JsonResponse(error_body(400, code, message), status=400)
    return JsonResponse(
        error_body(400, "bad_request", "The request could not be understood."), status=400
    )


def api_404(request, exception=None):
    return JsonResponse(
        error_body(404, "not_found", "There is nothing at this address."), status=404
    )
