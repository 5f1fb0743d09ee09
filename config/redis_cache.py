"""A Redis cache that degrades to "no cache" when Redis is unreachable, fast, and is cheap.

Django's own RedisCache raises on a connection error, which would turn a cache outage
into a site outage; here a failed read is a miss and a failed write is skipped.

Failing fast: a call waits at most its socket timeout (0.5 s in settings). After a failure
this process skips Redis altogether for CACHE_RETRY_SECONDS (a circuit breaker), so a
request that makes several cache calls waits for one timeout at most, not one per call;
then a single call tries again. The log gets one warning when an outage starts and one
when it ends, however many calls fail in between.

Recovering safely: writes made during an outage never reached Redis, among them the
content-version bumps that retire cached pages (config.versions). So the first call that
gets through after an outage first sends `cache_recovered`, whose receivers (new content
versions) run before that call or any other in this process uses Redis. While an outage
lasts a background thread tries again every CACHE_RETRY_SECONDS too, so an idle process
recovers as promptly as a busy one.
"""

import logging
import threading
import time

from django.conf import settings
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.dispatch import Signal
from redis.exceptions import RedisError

from config.metrics import timed_cache_call

log = logging.getLogger(__name__)

# Sent (with `location`) when this process reaches Redis again after an outage, before
# anything else in the process uses it.
cache_recovered = Signal()


class Outage:
    """Whether this process can reach one Redis: the circuit breaker, shared by threads.

    Django makes a cache object per thread; they share one Outage per location (OUTAGES).
    """

    def __init__(self, location, ping):
        self.location = location
        self.ping = ping  # a round trip to Redis that raises RedisError when it fails
        self.lock = threading.Lock()
        self.since = None  # time.monotonic() of the first failure; None while Redis answers
        self.retry_at = 0.0
        self.relapsed = False
        self.recovering = threading.local()
        self.stopped = threading.Event()

    @property
    def down(self):
        return self.since is not None

    def admits(self):
        """True when a call may use Redis now (after recovering from an outage if need be);
        False while it is to be skipped."""
        if self.since is None or getattr(self.recovering, "active", False):
            return True
        with self.lock:
            if self.since is None:
                return True
            now = time.monotonic()
            if now < self.retry_at:
                return False
            # This caller tries; the others keep skipping until it knows.
            self.retry_at = now + settings.CACHE_RETRY_SECONDS
        return self.probe()

    def failed(self, error):
        with self.lock:
            self.relapsed = True
            self.retry_at = time.monotonic() + settings.CACHE_RETRY_SECONDS
            if self.since is not None:
                return
            self.since = time.monotonic()
        log.warning(
            "Redis at %s is unreachable (%s): carrying on without the cache, trying again "
            "every %s s; login lockouts and API limits count in each process meanwhile",
            self.location,
            error,
            settings.CACHE_RETRY_SECONDS,
        )
        threading.Thread(target=self.watch, name="redis-outage", daemon=True).start()

    def probe(self):
        """Reach Redis, and if it answers, recover. True if it did."""
        try:
            self.ping()
        except RedisError as error:
            self.failed(error)
            return False
        return self.recover()

    def recover(self):
        with self.lock:
            self.relapsed = False
        self.recovering.active = True
        try:
            for receiver, result in cache_recovered.send_robust(
                sender=type(self), location=self.location
            ):
                if isinstance(result, Exception):
                    log.error("cache_recovered receiver %r failed", receiver, exc_info=result)
        finally:
            self.recovering.active = False
        with self.lock:
            if self.relapsed or self.since is None:  # failed again meanwhile, or done already
                return not self.relapsed
            lasted = time.monotonic() - self.since
            self.since = None
        log.warning("Redis at %s answers again after %.1f s of outage", self.location, lasted)
        return True

    def watch(self):
        """Try again every CACHE_RETRY_SECONDS until Redis answers (or the outage is over)."""
        while not self.stopped.wait(settings.CACHE_RETRY_SECONDS):
            with self.lock:
                if self.since is None:
                    return
                now = time.monotonic()
                if now < self.retry_at:
                    continue
                self.retry_at = now + settings.CACHE_RETRY_SECONDS
            if self.probe():
                return

    def stop(self):
        self.stopped.set()


OUTAGES = {}  # location → Outage, for this process
_outages_lock = threading.Lock()


def forget_outages():
    """Forget every outage this process knows of (tests start each from a clean slate)."""
    with _outages_lock:
        for outage in OUTAGES.values():
            outage.stop()
        OUTAGES.clear()


def _forgiving(name, fallback):
    method = getattr(RedisCache, name)

    def call(self, *args, **kwargs):
        outage = self.outage
        if outage.admits():
            try:
                with timed_cache_call(name):
                    return method(self, *args, **kwargs)
            except RedisError as error:
                outage.failed(error)
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
        location = ",".join(self._servers)
        with _outages_lock:
            if location not in OUTAGES:
                OUTAGES[location] = Outage(location, self._ping)
            self.outage = OUTAGES[location]

    def _ping(self):
        self._cache.get_client(write=True).ping()

    get = _forgiving("get", lambda key, default=None, version=None: default)
    get_many = _forgiving("get_many", {})
    set = _forgiving("set", None)
    add = _forgiving("add", False)
    # Django's contract: the keys that could not be stored (all of them).
    set_many = _forgiving("set_many", lambda data, timeout=None, version=None: list(data))
    delete = _forgiving("delete", False)
    delete_many = _forgiving("delete_many", None)
    touch = _forgiving("touch", False)
    has_key = _forgiving("has_key", False)
    incr = _forgiving("incr", None)
    clear = _forgiving("clear", None)

    def reachable(self):
        """Whether Redis answers now: a ping, or False at once while the breaker is open."""
        if not self.outage.admits():
            return False
        try:
            self._ping()
        except RedisError as error:
            self.outage.failed(error)
            return False
        return True

    def count(self, key, timeout):
        """Add one to a counter that expires `timeout` seconds after its first count, in
        one round trip (Django's incr() costs two, and add() + incr() three); None when
        Redis is unreachable."""
        return self.count_and_get_many(key, timeout, ())[0]

    def count_and_get_many(self, key, timeout, keys):
        """count(), and get_many(keys) in the same round trip: (count, {key: value}).

        The public response cache counts an anonymous API hit and looks its answer up at
        once. (None, {}) when Redis is unreachable.
        """
        if not self.outage.admits():
            return None, {}
        counter = self.make_and_validate_key(key)
        made = {self.make_and_validate_key(name): name for name in keys}
        try:
            pipeline = self._cache.get_client(counter, write=True).pipeline(transaction=False)
            pipeline.incr(counter)
            # Every count (re)arms the expiry if the counter has none, so a counter can
            # never outlive its window, even if the key expired between two commands or a
            # connection dropped after the INCR (Redis ≥ 7).
            pipeline.expire(counter, timeout, nx=True)
            if made:
                pipeline.mget(list(made))
            with timed_cache_call("count_and_get_many"):
                results = pipeline.execute()
        except RedisError as error:
            self.outage.failed(error)
            return None, {}
        values = results[2] if made else []
        loads = self._cache._serializer.loads
        found = {
            name: loads(value)
            for name, value in zip(made.values(), values, strict=True)
            if value is not None
        }
        return results[0], found
