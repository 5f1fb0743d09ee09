"""A Redis cache that degrades to "no cache" when Redis is unreachable.

Django's own RedisCache raises on a connection error, which would turn a cache outage
into a site outage; here a failed read is a miss and a failed write is skipped, with a
warning in the log.
"""

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


def _forgiving(name, fallback):
    method = getattr(RedisCache, name)

    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except RedisError as error:
            log.warning("cache %s failed, carrying on without the cache: %s", name, error)
            return fallback(*args, **kwargs) if callable(fallback) else fallback

    call.__name__ = name
    return call


class ForgivingRedisCache(RedisCache):
    get = _forgiving("get", lambda key, default=None, version=None: default)
    get_many = _forgiving("get_many", {})
    set = _forgiving("set", None)
    add = _forgiving("add", False)
    set_many = _forgiving("set_many", [])
    delete = _forgiving("delete", False)
    delete_many = _forgiving("delete_many", None)
    touch = _forgiving("touch", False)
    has_key = _forgiving("has_key", False)
    incr = _forgiving("incr", None)
    clear = _forgiving("clear", None)
