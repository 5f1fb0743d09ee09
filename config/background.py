"""Work done after the answer is sent, off the request's path.

A small pool of threads for now; background work is to move to Django's tasks framework
(another issue). Jobs are plain functions called with plain arguments (strings, numbers),
so that move is a decorator and an `.enqueue()` away. A job runs with the request's
context (its log lines carry the request id) and closes its own database connections.
"""

import contextvars
import logging
from concurrent.futures import ThreadPoolExecutor

from django.db import connections

logger = logging.getLogger(__name__)


class ThreadJobs:
    """Runs each job in one of a few worker threads of this process."""

    def __init__(self, workers=2):
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="background")

    def submit(self, function, *args, **kwargs):
        context = contextvars.copy_context()
        self.pool.submit(context.run, self._run, function, args, kwargs)

    @staticmethod
    def _run(function, args, kwargs):
        try:
            function(*args, **kwargs)
        except Exception:
            logger.exception("Background job %s failed", function.__qualname__)
        finally:
            connections.close_all()  # this thread's own connections


class ImmediateJobs:
    """Runs each job at once, in the caller's thread and transaction (the tests use it)."""

    def submit(self, function, *args, **kwargs):
        function(*args, **kwargs)


jobs = ThreadJobs()


def run_in_background(function, *args, **kwargs):
    """Call `function(*args, **kwargs)` off the request's path; returns at once."""
    jobs.submit(function, *args, **kwargs)
