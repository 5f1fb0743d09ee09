"""Asking for purges: what a change affects, sent once its transaction commits.

config.versions calls `changed(instance)` wherever it bumps the content versions; the
keys come from the instance's own `surrogate_keys()`. One transaction's keys go out as
one task; a forecast burst's keys are debounced per key through the shared cache.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from config.cdn import enabled
from config.cdn.tasks import purge_keys

logger = logging.getLogger(__name__)


def keys_of(instance):
    """What a change to `instance` must purge: its model's own rule, if it has one."""
    rule = getattr(instance, "surrogate_keys", None)
    return set(rule()) if rule is not None else set()


def changed(instance, *, burst=False):
    """Purge what a change to `instance` affects, once the transaction commits.

    `burst`: a community forecast moved; its keys are purged at most twice per
    CDN_FORECAST_PURGE_SECONDS however many forecasts arrive (`debounce`).
    """
    if enabled() and instance is not None:
        purge(keys_of(instance), burst=burst)


class _Batch:
    """The keys one transaction asked to purge, sent together when it commits."""

    def __init__(self):
        self.keys, self.burst_keys = set(), set()
        self.sent = False

    def send(self):
        self.sent = True
        keys = self.keys | debounce(self.burst_keys - self.keys)
        if keys:
            enqueue(sorted(keys))


def purge(keys, *, burst=False):
    """Purge `keys` from the CDN after the current transaction commits (now outside one)."""
    if not enabled() or not keys:
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        batch = _Batch()
    else:
        batch = getattr(connection, "_cdn_batch", None)
        # A rolled-back transaction took its callback, and so its batch, with it.
        if (
            batch is None
            or batch.sent
            or not any(func == batch.send for _, func, _ in connection.run_on_commit)
        ):
            batch = connection._cdn_batch = _Batch()
            transaction.on_commit(batch.send, robust=True)
    (batch.burst_keys if burst else batch.keys).update(keys)
    if not connection.in_atomic_block:
        batch.send()


def debounce(keys):
    """The keys of a forecast burst to purge now; the rest wait for the window's end.

    Per key, through the shared cache: the first change in a window of
    CDN_FORECAST_PURGE_SECONDS purges at once; the first one after it schedules a purge
    at the end of the window, which covers every change until then; later ones in the
    window need nothing more.
    """
    window = settings.CDN_FORECAST_PURGE_SECONDS
    now, later = set(), set()
    for key in keys:
        try:
            if cache.add(f"cdn-purged:{key}", 1, timeout=window):
                now.add(key)
            elif cache.add(f"cdn-purge-due:{key}", 1, timeout=window):
                later.add(key)
        except Exception:  # the cache is out: purge rather than serve stale
            now.add(key)
    if later:
        enqueue(sorted(later), delay=window)
    return now


def enqueue(keys, delay=0):
    """Enqueue the purge task (after `delay` seconds where the backend can wait)."""
    try:
        task = purge_keys
        if delay and task.get_backend().supports_defer:
            task = task.using(run_after=timezone.now() + timedelta(seconds=delay))
        task.enqueue(keys)
    except Exception:
        # The write has committed: a lost purge costs at most CDN_S_MAXAGE of staleness.
        logger.exception("could not enqueue a CDN purge of %s", " ".join(keys))
