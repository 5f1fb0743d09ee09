"""A Redis cache that degrades to "no cache" when Redis is unreachable, and is cheap.

Django's own RedisCache raises on a connection error, which would turn a cache outage
into a site outage; here a failed read is a miss and a failed write is skipped, with a
warning in the log.
"""

import logging

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
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


class ReusingClient(RedisCacheClient):
    """One redis.Redis per connection pool instead of a new one on every cache call:
    building a client costs more than a GET on loopback (seen in `make bench`)."""

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        clients = self.__dict__.setdefault("_clients", {})
        if index not in clients:
            clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return clients[index]


class ForgivingRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingClient

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

    def count(self, key, timeout):
        """Add one to a counter that expires `timeout` seconds after its first count, in
        one round trip (Django's incr() costs two, and add() + incr() three); None when
        Redis is down."""
        return self.count_and_get_many(key, timeout, ())[0]

    def count_and_get_many(self, key, timeout, keys):
        """count(), and get_many(keys) in the same round trip: (count, {key: value}).

        The public response cache counts an anonymous API hit and looks its answer up at
        once. (None, {}) when Redis is down.
        """
        counter = self.make_and_validate_key(key)
        made = {self.make_and_validate_key(name): name for name in keys}
        try:
            pipeline = self._cache.get_client(counter, write=True).pipeline(transaction=False)
            pipeline.set(counter, 0, ex=timeout, nx=True)  # starts the window (any Redis)
            pipeline.incr(counter)
            if made:
                pipeline.mget(list(made))
            results = pipeline.execute()
        except RedisError as error:
            log.warning("cache count failed, carrying on without the cache: %s", error)
            return None, {}
        values = results[2] if made else []
        loads = self._cache._serializer.loads
        found = {
            name: loads(value)
            for name, value in zip(made.values(), values, strict=True)
            if value is not None
        }
        return results[1], found
