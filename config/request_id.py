"""Every request has an id, so a reader who quotes it finds the newsroom its log lines.

The id is the request's X-Request-ID header when that looks like one (a load balancer or
proxy sets it), else a new random one. `RequestIdMiddleware`, first in the chain, keeps it
for the request's duration: it is echoed in the response's X-Request-ID header, added to
every log line (`RequestIdFilter`, set on the console handler in config.settings), tagged
on what the error tracker receives (`tag_event`), and shown on the 500 page and in the
API's 500 JSON (config.urls, config.api.errors).
"""

import contextvars
import logging
import re
import uuid

HEADER = "X-Request-ID"
# Letters, digits and the punctuation trace ids use; nothing that could forge a log line.
SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+/@-]{0,127}")

_current = contextvars.ContextVar("request_id", default=None)


def current_request_id():
    """The id of the request being answered, or None outside a request."""
    return _current.get()


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(HEADER, "")
        request.request_id = given if SANE.fullmatch(given) else uuid.uuid4().hex
        token = _current.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[HEADER] = request.request_id
        return response


class RequestIdFilter(logging.Filter):
    """Gives every log record a `request_id` ("-" outside a request) for the format."""

    def filter(self, record):
        record.request_id = _current.get() or "-"
        return True


def tag_event(event, hint):
    """sentry-sdk's before_send: the error tracker's event carries the request id."""
    request_id = _current.get()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event
