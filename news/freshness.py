"""When public content last changed: ETags, Last-Modified, Cache-Control, whole responses.

One "content version" in the cache changes whenever an editor or a reader changes
anything readers see (a story, topic, question, option, link or forecast). Page ETags
include it, so a change invalidates them all at once; a CDN may keep a page for
PAGE_CACHE_SECONDS and then revalidates it with a cheap 304. Whole anonymous
responses are kept too (PublicResponseCache), keyed on an "editorial version" that every
change but a forecast moves.

Writes that bypass model signals (bulk updates, F() expressions) call `bump()` themselves.
With several app servers the cache must be shared (REDIS_URL); the local-memory cache
is per process.
"""

import hashlib
import time
import uuid
from datetime import UTC, datetime
from functools import wraps

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.functional import cached_property
from django.utils.http import parse_http_date_safe
from django.views.decorators.http import condition

VERSION_KEY = "content-version"
# Changed by every write except a reader's forecast: it keys whole cached responses, which
# a busy question would otherwise retire many times a second. Anonymous pages may thus show
# a community forecast up to PAGE_CACHE_SECONDS old, as their max-age already allows.
EDITORIAL_KEY = "editorial-version"


def _fresh():
    return {"version": uuid.uuid4().hex, "changed_at": datetime.now(UTC).replace(microsecond=0)}


def _current(key):
    current = cache.get(key)
    if current is None:
        current = _fresh()
        # add(): if another process got there first, use its value.
        if not cache.add(key, current, timeout=None):
            current = cache.get(key) or current
    return current


def content_version():
    """{"version": str, "changed_at": datetime} of the newest public change."""
    return _current(VERSION_KEY)


def editorial_version():
    """Like content_version(), but forecasts leave it alone."""
    return _current(EDITORIAL_KEY)


def _bump_all():
    cache.set_many({VERSION_KEY: _fresh(), EDITORIAL_KEY: _fresh()}, timeout=None)


def _bump_forecasts():
    cache.set(VERSION_KEY, _fresh(), timeout=None)


def _bump(now):
    now()
    connection = transaction.get_connection()
    # Inside a transaction, bump again on commit: a read between the write and its commit
    # still sees the old rows, and may have cached them under the version set just now.
    # Once per transaction, however many rows it saves.
    if connection.in_atomic_block and not any(
        func is now for _, func, _ in connection.run_on_commit
    ):
        transaction.on_commit(now)


def bump(**kwargs):
    """Record that public content changed now (usable as a signal receiver)."""
    _bump(_bump_all)


def bump_forecasts(**kwargs):
    """Record that a community forecast changed (usable as a signal receiver)."""
    _bump(_bump_forecasts)


def request_version(request):
    """content_version(), read once per request: its validators agree, at one round trip."""
    version = getattr(request, "_content_version", None)
    if version is None:
        version = request._content_version = content_version()
    return version


class CountingOncePaginator(Paginator):
    """A paginator that counts its rows once per editorial version and clock slice.

    The page itself costs the same at any size (an indexed LIMIT/OFFSET near the start),
    but COUNT(*) reads every matching row: ten times the questions, ten times the count.
    `count_key` names the list (its filters), as the query string does for readers.
    """

    def __init__(self, object_list, per_page, *, count_key, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.count_key = count_key

    @cached_property
    def count(self):
        raw = ":".join(map(str, (editorial_version()["version"], clock_bucket(), *self.count_key)))
        key = "count:" + hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()
        counted = cache.get(key)
        if counted is None:
            counted = self.object_list.count()
            cache.set(key, counted, timeout=settings.PAGE_CACHE_SECONDS)
        return counted


def clock_bucket():
    """Which PAGE_CACHE_SECONDS-long slice of time this is.

    Pages also change without a write: a question closes, a scheduled story goes live.
    Folding the slice into validators bounds how long a revalidation can miss that.
    """
    return int(time.time() // max(settings.PAGE_CACHE_SECONDS, 1))


def _etag(request, *args, **kwargs):
    if request.user.is_authenticated:
        return None  # signed-in pages carry the reader's own data
    raw = f"{request_version(request)['version']}:{clock_bucket()}:{request.get_full_path()}"
    return hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()


def _last_modified(request, *args, **kwargs):
    if request.user.is_authenticated:
        return None
    bucket_start = datetime.fromtimestamp(clock_bucket() * settings.PAGE_CACHE_SECONDS, UTC)
    return max(request_version(request)["changed_at"], bucket_start)


def public_page(view):
    """ETag / Last-Modified (a 304 when unchanged) and Cache-Control for a public page."""
    conditional = condition(etag_func=_etag, last_modified_func=_last_modified)(view)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = conditional(request, *args, **kwargs)
        if request.user.is_authenticated:
            patch_cache_control(response, private=True, no_cache=True)
        else:
            seconds = settings.PAGE_CACHE_SECONDS
            patch_cache_control(response, public=True, max_age=seconds)
        patch_vary_headers(response, ["Cookie"])
        return response

    wrapped.public_response = True  # see PublicResponseCache
    return wrapped


def context(request):
    """Template context every page needs."""
    return {"site_name": settings.SITE_NAME}


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
        from config.api_defaults import AnonymousThrottle

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
            if not throttle.admit(request, fetch=[EDITORIAL_KEY, key]):
                return self.get_response(request)  # the API answers 429 in its own words
            found = throttle.fetched
        else:
            found = cache.get_many([EDITORIAL_KEY, key])
        made_of = ((found.get(EDITORIAL_KEY) or editorial_version())["version"], clock_bucket())
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
