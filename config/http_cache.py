"""HTTP caching of public pages: ETag, Last-Modified, Cache-Control, and list counts.

Validators are made of the content version (config.versions), the clock slice and
the URL, so every public change moves them all at once and a CDN may keep a page for
PAGE_CACHE_SECONDS, then revalidate it with a cheap 304 (or, with a purger, longer:
config.cdn). Signed-in readers get private,
uncached pages: they carry the reader's own data. The API's equivalent is
config.api.conditional; whole anonymous answers are kept by config.response_cache.
"""

import hashlib
from datetime import UTC, datetime
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.functional import cached_property
from django.views.decorators.http import condition

from config import cdn, versions


def counted_once(count_key, count):
    """`count()` run once per editorial version and clock slice, and kept in the cache.

    The page of a list costs the same at any size (an indexed LIMIT/OFFSET near the
    start), but COUNT(*) reads every matching row: ten times the questions, ten times the
    count. `count_key` names what is counted (a list and its filters).
    """
    raw = ":".join(
        map(
            str,
            (versions.editorial_version()["version"], versions.clock_bucket(), *count_key),
        )
    )
    key = "count:" + hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()
    counted = cache.get(key)
    if counted is None:
        counted = count()
        cache.set(key, counted, timeout=settings.PAGE_CACHE_SECONDS)
    return counted


class CountingOncePaginator(Paginator):
    """A paginator that counts its rows once per editorial version and clock slice
    (counted_once), or is told its count (`count`, e.g. from a grouped count of several
    lists at once)."""

    def __init__(self, object_list, per_page, *, count_key, count=None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.count_key = count_key
        if count is not None:
            self.count = count

    @cached_property
    def count(self):
        return counted_once(self.count_key, self.object_list.count)


def _etag(request, *args, **kwargs):
    if request.user.is_authenticated:
        return None  # signed-in pages carry the reader's own data
    version = versions.request_version(request)["version"]
    raw = f"{version}:{versions.clock_bucket()}:{request.get_full_path()}"
    return hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()


def _last_modified(request, *args, **kwargs):
    if request.user.is_authenticated:
        return None
    bucket_start = datetime.fromtimestamp(
        versions.clock_bucket() * settings.PAGE_CACHE_SECONDS, UTC
    )
    return max(versions.request_version(request)["changed_at"], bucket_start)


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
            cdn.public_headers(request, response)
        patch_vary_headers(response, ["Cookie"])
        return response

    wrapped.public_response = True  # see PublicResponseCache
    return wrapped
