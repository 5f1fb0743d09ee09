"""HTTP caching of public pages: ETag, Last-Modified, Cache-Control, and list counts.

Validators are made of the content version (config.versions), the clock slice and
the URL, so every public change moves them all at once and a CDN may keep a page for
PAGE_CACHE_SECONDS, then revalidate it with a cheap 304. Signed-in readers get private,
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

from config import versions


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
        raw = ":".join(
            map(
                str,
                (
                    versions.editorial_version()["version"],
                    versions.clock_bucket(),
                    *self.count_key,
                ),
            )
        )
        key = "count:" + hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()
        counted = cache.get(key)
        if counted is None:
            counted = self.object_list.count()
            cache.set(key, counted, timeout=settings.PAGE_CACHE_SECONDS)
        return counted


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
        patch_vary_headers(response, ["Cookie"])
        return response

    wrapped.public_response = True  # see PublicResponseCache
    return wrapped
