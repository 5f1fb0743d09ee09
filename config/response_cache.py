"""Serve anonymous GETs of public pages and API reads whole from the shared cache."""

import hashlib
import time

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe

from config import versions
from config.api.throttles import AnonymousThrottle


class PublicResponseCache:
    """Serve anonymous GETs of public pages and API reads from the shared cache.

    A response is stored only when the view marked it `public` (public_page, the API's
    ConditionalMixin), answered 200, set no cookie and used no CSP nonce. It is stored with
    the editorial version and the clock slice it was made in, and used only while both
    are current: an editor's change or the end of the slice retires every stored response
    at once; a new forecast shows by the end of the slice.
    A request with a session, a pending message or an Authorization header always goes to
    the view, as do HEAD requests and views that did not opt in (`public_response`).

    It sits above the session and authentication middleware, so a hit (or its 304) costs
    one cache round trip, which for an anonymous API read also counts it against the
    API's rate limit. A replayed answer carries its Age, so downstream caches keep it no
    longer than PAGE_CACHE_SECONDS from when it was made.
    PUBLIC_RESPONSE_CACHE=0 turns it off (e.g. behind a CDN that already does this).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.throttle = AnonymousThrottle

    def __call__(self, request):
        view = self.public_view(request) if self.applies_to(request) else None
        if view is None:
            return self.get_response(request)
        key = self.key(request)
        # One round trip: the version and the stored answer, which says what it was made
        # of; for an anonymous API read, its count against the rate limit too.
        if hasattr(view, "cls"):  # an API view
            throttle = self.throttle()
            if not throttle.admit(request, fetch=[versions.EDITORIAL_KEY, key]):
                return self.get_response(request)  # the API answers 429 in its own words
            found = throttle.fetched
        else:
            found = cache.get_many([versions.EDITORIAL_KEY, key])
        made_of = (
            (found.get(versions.EDITORIAL_KEY) or versions.editorial_version())["version"],
            versions.clock_bucket(),
        )
        stored = found.get(key)
        if stored is not None and stored[0] == made_of:
            return self.replay(request, *stored[1:])
        response = self.get_response(request)
        if self.storable(response):
            made = (response.status_code, list(response.items()), response.content, time.time())
            cache.set(key, (made_of, *made), timeout=settings.PAGE_CACHE_SECONDS)
        return response

    @staticmethod
    def applies_to(request):
        cookies = request.COOKIES
        return (
            settings.PUBLIC_RESPONSE_CACHE
            and request.method == "GET"
            and settings.SESSION_COOKIE_NAME not in cookies
            and CookieStorage.cookie_name not in cookies
            and "HTTP_AUTHORIZATION" not in request.META
        )

    @staticmethod
    def public_view(request):
        """The view, if it said its answers may be stored (public_page, ConditionalMixin)."""
        try:
            view = resolve(request.path_info).func
        except Resolver404:
            return None
        if getattr(view, "public_response", False):
            return view
        if getattr(getattr(view, "cls", None), "public_response", False):
            return view
        return None

    @staticmethod
    def key(request):
        raw = "\n".join(
            (
                request.scheme,
                request.META.get("HTTP_HOST", ""),
                request.get_full_path(),
                request.META.get("HTTP_ACCEPT", ""),
            )
        )
        return "response:" + hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()

    @staticmethod
    def storable(response):
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "public" in response.get("Cache-Control", "")
            and "nonce-" not in response.get("Content-Security-Policy", "")
        )

    @staticmethod
    def replay(request, status, headers, content, made_at):
        response = HttpResponse(content, status=status)
        for name, value in headers:
            response[name] = value
        # Browsers and CDNs count max-age from when the answer was made, not from now.
        response["Age"] = str(max(0, int(time.time() - made_at)))
        not_modified = get_conditional_response(
            request,
            etag=response.get("ETag"),
            last_modified=parse_http_date_safe(response.get("Last-Modified", "")),
            response=response,
        )
        return not_modified
