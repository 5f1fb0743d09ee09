"""The purge task (config.tasks): purge surrogate keys from the CDN, retried on failure."""

import logging

from django.conf import settings
from django.tasks import task

from config.cdn.purgers import PURGERS, get_purger
from config.tasks import retry_later

logger = logging.getLogger(__name__)


@task
def purge_keys(keys, attempt=1):
    """Purge `keys`; on failure try again later (CDN_PURGE_MAX_ATTEMPTS, doubling waits)."""
    if settings.CDN_PURGER not in PURGERS:
        return 0
    try:
        get_purger().purge(keys)
    except Exception as error:
        logger.warning("CDN purge of %s failed (attempt %s): %s", " ".join(keys), attempt, error)
        retry_later(
            purge_keys,
            keys,
            attempt=attempt,
            max_attempts=settings.CDN_PURGE_MAX_ATTEMPTS,
            base_seconds=settings.TASK_RETRY_SECONDS,
        )
        raise
    return len(keys)
