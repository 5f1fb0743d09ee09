"""API rate limits, read from settings at call time so they can be configured (and tested).

A module of its own: DRF imports these while it is still loading its own views.
"""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class AnonymousThrottle(AnonRateThrottle):
    def get_rate(self):
        return settings.API_ANON_RATE


class ReaderThrottle(UserRateThrottle):
    def get_rate(self):
        return settings.API_USER_RATE
