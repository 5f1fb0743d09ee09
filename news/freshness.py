"""When public content last changed: ETags, Last-Modified, Cache-Control and fragments.

One "content version" in the cache changes whenever an editor or a reader changes
anything readers see (a story, topic, question, option, link or forecast). Page ETags and
cached fragments include it, so a change invalidates them all at once; a CDN may keep a
page for PAGE_CACHE_SECONDS and then revalidates it with a cheap 304.

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
from django.core.cache import cache
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import condition

VERSION_KEY = "content-version"


def _fresh():
    return {"version": uuid.uuid4().hex, "changed_at": datetime.now(UTC).replace(microsecond=0)}


def content_version():
    """{"version": str, "changed_at": datetime} of the newest public change."""
    current = cache.get(VERSION_KEY)
    if current is None:
        current = _fresh()
        # add(): if another process got there first, use its value.
        if not cache.add(VERSION_KEY, current, timeout=None):
            current = cache.get(VERSION_KEY) or current
    return current


def bump(**kwargs):
    """Record that public content changed now (usable as a signal receiver)."""
    cache.set(VERSION_KEY, _fresh(), timeout=None)


def fragment_key(*parts):
    """A cache key for a rendered fragment, tied to the current content version."""
    raw = ":".join(str(part) for part in (content_version()["version"], *parts))
    return "fragment:" + hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()


def clock_bucket():
    """Which PAGE_CACHE_SECONDS-long slice of time this is.

    Pages also change without a write: a question closes, a scheduled story goes live.
    Folding the slice into validators bounds how long a revalidation can miss that.
    """
    return int(time.time() // max(settings.PAGE_CACHE_SECONDS, 1))


def _etag(request, *args, **kwargs):
    if request.user.is_authenticated:
        return None  # signed-in pages carry the reader's own data
    raw = f"{content_version()['version']}:{clock_bucket()}:{request.get_full_path()}"
    return hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()


def _last_modified(request, *args, **kwargs):
    if request.user.is_authenticated:
        return None
    bucket_start = datetime.fromtimestamp(clock_bucket() * settings.PAGE_CACHE_SECONDS, UTC)
    return max(content_version()["changed_at"], bucket_start)


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

    return wrapped


def context(request):
    """Template context: the content version keys cached fragments."""
    return {
        "content_version": content_version()["version"],
        "fragment_seconds": settings.FRAGMENT_CACHE_SECONDS,
        "site_name": settings.SITE_NAME,
    }
