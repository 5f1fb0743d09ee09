"""Security counters that keep counting when Redis does not: the login lockout and the
API's rate limits (config.login_lockout, config.api.throttles) both count through here.

A count is one atomic increment in the shared cache (one round trip on Redis), made
*before* the thing it limits, so parallel requests cannot all slip under the limit.

When Redis is unreachable the count goes to a counter in this process instead, which is
strict rather than shared: each process allows its share of the limit,
limit ÷ (WEB_CONCURRENCY × APP_SERVERS), at least 1. With the load balancer and the
kernel spreading requests over every process, the whole site then still allows about the
limit, never "no limit". (The database could hold an exact shared count, but it would
cost a write per API request exactly when the cache is not there to take load off it.)
Counts made before an outage stay in Redis and those made during it stay in the process,
so across an outage a limit is at most twice as loose, and only for one window.
"""

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache

# Per process; bounded, so a flood of distinct addresses cannot exhaust memory.
local_counters = LocMemCache("security-counters", {"OPTIONS": {"MAX_ENTRIES": 20_000}})


def local_share(limit):
    """How much of `limit` one process allows on its own (while Redis is unreachable)."""
    return max(1, limit // (settings.WEB_CONCURRENCY * settings.APP_SERVERS))


def _count_in(store, key, window):
    if store.add(key, 1, window):
        return 1
    try:
        return store.incr(key)
    except ValueError:  # the window ended between add() and incr()
        store.set(key, 1, window)
        return 1


def admit(key, limit, window, fetch=()):
    """Count one event under `key` (a window of `window` seconds from its first count) and
    say whether it is within `limit`: (allowed, {key: value} of the cache entries in
    `fetch`, read in the same round trip on Redis)."""
    count_and_get_many = getattr(cache, "count_and_get_many", None)
    if count_and_get_many is None:  # the local-memory cache: one process, never down
        fetched = cache.get_many(fetch) if fetch else {}
        return _count_in(cache, key, window) <= limit, fetched
    count, fetched = count_and_get_many(key, window, fetch)
    if count is None:  # Redis is unreachable
        return _count_in(local_counters, key, window) <= local_share(limit), {}
    return count <= limit, fetched


def forget(key):
    """Drop a count wherever it is kept."""
    cache.delete(key)
    local_counters.delete(key)
