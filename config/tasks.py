"""Background work through Django's tasks framework (`django.tasks`).

Which backend runs tasks is one setting (TASKS_BACKEND, see config/settings.py):
`database` (django-tasks-db: tasks are rows, `manage.py db_worker` runs them; the
default, needs nothing but the database), `redis` (django-tasks-redis: Redis streams,
`manage.py run_redis_tasks --continuous`; for scale), or `immediate` (run in the
caller, as tests do).

Django's framework has no retries of its own: a task that wants them calls
`retry_later()` from its failure path, which enqueues the next attempt after an
exponential backoff and lets the failed attempt be recorded as failed (the backend's
admin lists it).
"""

import logging
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, *args, **kwargs):
    """Enqueue `task` once the current transaction commits (at once outside one).

    The work then never sees rows that a rollback took back, and never runs before the
    rows it reads are visible to the worker's connection.
    """
    transaction.on_commit(partial(task.enqueue, *args, **kwargs))


def backoff_seconds(attempt, base_seconds):
    """Seconds to wait before attempt `attempt + 1`: base, 2×base, 4×base, …"""
    return base_seconds * 2 ** (attempt - 1)


def retry_later(task, *args, attempt, max_attempts, base_seconds, **kwargs):
    """Enqueue attempt `attempt + 1` of `task` after a backoff; False once attempts run out.

    On a backend that cannot defer (the immediate one) the next attempt runs at once.
    """
    if attempt >= max_attempts:
        logger.warning("%s gave up after %s attempts", task.name, attempt)
        return False
    if task.get_backend().supports_defer:
        delay = timedelta(seconds=backoff_seconds(attempt, base_seconds))
        task = task.using(run_after=timezone.now() + delay)
    task.enqueue(*args, attempt=attempt + 1, **kwargs)
    return True
