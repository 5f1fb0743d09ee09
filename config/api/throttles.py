"""API rate limits: a fixed-window counter per client, O(1) per request.

DRF loads these as defaults while it is still importing its own views, so this module
must never import DRF's views (nor config.api.errors, which does).

DRF's own throttles keep every request's timestamp in the cache and rewrite the whole
list on each request, which costs more the busier a client is; a counter per window
(config.counters: one atomic increment) costs the same at any rate, and keeps counting,
per process, while Redis is unreachable. Rates are read from settings at call time, so
they can be configured (and tested).
"""

import time

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from config import counters

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate):
    """ "120/minute" → (120, 60)."""
    count, period = rate.split("/")
    return int(count), PERIODS[period.strip()[0]]


class WindowThrottle(BaseThrottle):
    scope = ""

    def get_rate(self):
        raise NotImplementedError

    def applies_to(self, request):
        raise NotImplementedError

    def ident(self, request):
        return self.get_ident(request)

    def allow_request(self, request, view):
        if not self.applies_to(request):
            return True
        return self.count(self.ident(request))

    def count(self, ident, fetch=()):
        """Count one request from `ident` in this window; False once it is over the rate.

        The cache entries named in `fetch` are read too (into `self.fetched`): on Redis, in
        the same round trip.
        """
        limit, period = parse_rate(self.get_rate())
        now = time.time()
        window = int(now // period)
        self.wait_seconds = period - now % period
        key = f"throttle:{self.scope}:{ident}:{window}"
        allowed, self.fetched = counters.admit(key, limit, period + 1, fetch)
        return allowed

    def wait(self):
        return self.wait_seconds


class AnonymousThrottle(WindowThrottle):
    """Per IP address, for clients that are not signed in."""

    scope = "anon"

    def get_rate(self):
        return settings.API_ANON_RATE

    def applies_to(self, request):
        return not request.user.is_authenticated

    def allow_request(self, request, view):
        # Already counted before the view, by the public response cache: count once.
        counted = getattr(request, "anonymous_throttle", None)
        if counted is not None:
            self.wait_seconds = counted.wait_seconds
            return counted.allowed
        return super().allow_request(request, view)

    def admit(self, request, fetch=()):
        """Count an anonymous request ahead of the view and remember the verdict on it;
        read the cache entries in `fetch` on the way (`self.fetched`)."""
        self.allowed = self.count(self.get_ident(request), fetch)
        request.anonymous_throttle = self
        return self.allowed


class ReaderThrottle(WindowThrottle):
    """Per user, for signed-in clients."""

    scope = "user"

    def get_rate(self):
        return settings.API_USER_RATE

    def applies_to(self, request):
        return request.user.is_authenticated

    def ident(self, request):
        return request.user.pk
