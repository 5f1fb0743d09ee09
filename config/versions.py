"""When public content last changed: the versions that every cached answer is keyed on.

One "content version" in the cache changes whenever an editor or a reader changes
anything readers see (a story, topic, question, option, link or forecast). Page and API
ETags include it, so a change invalidates them all at once. An "editorial version" moves
with every change but a forecast: it keys whole cached responses (config.response_cache),
which a busy question would otherwise retire many times a second.

The apps connect `bump` and `bump_forecasts` to their models' save and delete signals
(news/apps.py, forecasts/apps.py); writes that bypass signals (bulk updates, F()
expressions) call them themselves. Given the changed instance, they also purge what it
affects from a CDN in front (config.cdn): one place for both kinds of cache. With several
app servers the cache must be shared (REDIS_URL); the local-memory cache is per process.

A Redis outage must not let an old answer outlive an edit: a bump made while Redis is
unreachable is lost, and Redis may come back with the versions (and the responses
stored under them) it had before. So when a process reaches Redis again after an outage
it gives both versions new random values before it uses Redis for anything else
(`renew_after_outage`, on config.redis_cache's `cache_recovered`), which retires for
every process whatever was cached before. The process whose bump was lost is one of
those: it recovers within CACHE_RETRY_SECONDS of Redis answering, busy or idle. During
an outage every request gets versions of its own, so nothing validates against them.
"""

import time
import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from config.cdn import purging
from config.redis_cache import cache_recovered

VERSION_KEY = "content-version"
# Anonymous pages may thus show a community forecast up to PAGE_CACHE_SECONDS old, as
# their max-age already allows.
EDITORIAL_KEY = "editorial-version"


def _fresh():
    return {"version": uuid.uuid4().hex, "changed_at": datetime.now(UTC).replace(microsecond=0)}


def _current(key):
    return _settled(key, cache.get(key))


def _settled(key, current):
    """`current`, the value read for `key`, or a fresh one stored if there was none."""
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


def bump(instance=None, **kwargs):
    """Record that public content changed now (usable as a signal receiver), and purge
    what a change to `instance` affects from the CDN (config.cdn) once it commits."""
    _bump(_bump_all)
    purging.changed(instance)


def bump_forecasts(instance=None, **kwargs):
    """Record that a community forecast changed (usable as a signal receiver); the CDN
    purge of `instance`'s keys is debounced, as forecasts come in bursts."""
    _bump(_bump_forecasts)
    purging.changed(instance, burst=True)


def renew_after_outage(**kwargs):
    """New versions once Redis answers again: a bump may have been lost meanwhile."""
    _bump_all()


cache_recovered.connect(renew_after_outage)


def _request_versions(request):
    """Both versions, read once per request in one round trip: its validators and the
    fragments of its page (config.fragments) agree with each other."""
    found = getattr(request, "_versions", None)
    if found is None:
        found = cache.get_many([VERSION_KEY, EDITORIAL_KEY])
        found = {key: _settled(key, found.get(key)) for key in (VERSION_KEY, EDITORIAL_KEY)}
        request._versions = found
    return found


def request_version(request):
    """content_version(), read once per request."""
    return _request_versions(request)[VERSION_KEY]


def request_editorial_version(request):
    """editorial_version(), read once per request (with the content version)."""
    return _request_versions(request)[EDITORIAL_KEY]


def clock_bucket():
    """Which PAGE_CACHE_SECONDS-long slice of time this is.

    Pages also change without a write: a question closes, a scheduled story goes live.
    Folding the slice into validators bounds how long a revalidation can miss that.
    """
    return int(time.time() // max(settings.PAGE_CACHE_SECONDS, 1))
