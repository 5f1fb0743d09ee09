"""When the database stops answering: fail fast with a 503, say so at /readyz, recover alone.

- Bounded waits. PostgreSQL connections give up connecting after DATABASE_CONNECT_TIMEOUT
  seconds and the server cancels a statement after DATABASE_STATEMENT_TIMEOUT ms (both in
  settings). A server that does not answer at all (frozen, or its host gone) cannot
  cancel anything, so every wait for it here also ends on our side, half a second after
  the server's own limit: the connection is then dropped, never reused.
- A 503. A request whose database fails gets "503 Service Unavailable" with Retry-After:
  the friendly page, or the API's error shape under /api/. Never cached.
- Readiness. /readyz says whether this process can serve: 200 while the database answers
  (a cache outage makes it "degraded", still ready: the site serves uncached), 503 when
  it does not, so a load balancer stops sending traffic here. /healthz stays liveness.
- Recovery needs nothing: a failed connection is closed, and the next request opens a new
  one (CONN_HEALTH_CHECKS checks a reused one first).
"""

import logging
import sys
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.db import Error as DatabaseError
from django.db.backends.signals import connection_created
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from psycopg import OperationalError as PsycopgOperationalError
from psycopg.errors import _WaitTimeout  # what psycopg's Connection.wait(timeout=) raises

from config.api.errors import error_body

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
# The server's statement timeout should fire first: its error leaves the connection usable.
CLIENT_MARGIN_SECONDS = 0.5
REPORT_EVERY_SECONDS = 60


def bound_database_waits(sender, connection, **kwargs):
    """Make every wait on a new PostgreSQL connection end after the statement timeout
    (plus a margin) even if the server never answers: psycopg waits on the server through
    Connection.wait(), for queries, commits and Django's health checks alike."""
    limit = settings.DATABASE_STATEMENT_TIMEOUT / 1000
    if connection.vendor != "postgresql" or not limit:
        return
    raw = connection.connection
    wait = raw.wait
    seconds = limit + CLIENT_MARGIN_SECONDS

    def wait_at_most(gen, *args, timeout=None, **kwargs):
        try:
            return wait(gen, *args, timeout=seconds if timeout is None else timeout, **kwargs)
        except _WaitTimeout:
            raw.pgconn.finish()  # an answer may still come later: never reuse it
            # psycopg's own error class, so that Django wraps it and marks the connection
            # as failed, as for any other database error.
            raise PsycopgOperationalError(
                f"the database did not answer within {seconds:g} s"
            ) from None

    raw.wait = wait_at_most


connection_created.connect(bound_database_waits)


class _Reports:
    """One warning per REPORT_EVERY_SECONDS while the database fails, not one per request."""

    def __init__(self):
        self.lock = threading.Lock()
        self.last = None
        self.unreported = 0

    def failed(self, request, exception):
        with self.lock:
            now = time.monotonic()
            if self.last is not None and now - self.last < REPORT_EVERY_SECONDS:
                self.unreported += 1
                return
            self.last, more, self.unreported = now, self.unreported, 0
        log.warning(
            "database unavailable, answering 503 to %s %s (and %d other requests since the "
            "last report): %s",
            request.method,
            request.path,
            more,
            exception,
            exc_info=exception,
        )


reports = _Reports()


def is_database_failure(exception):
    return isinstance(exception, OperationalError | InterfaceError)


def unavailable(request):
    """503 with Retry-After: the API's error shape under /api/, the friendly page elsewhere."""
    if request.path.startswith("/api/"):
        response = JsonResponse(
            error_body(
                503,
                "unavailable",
                "The newsroom's database is not answering. Try again in a minute.",
            ),
            status=503,
        )
    else:
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


class DatabaseOutage:
    """Turns a view's database failure into a 503 (handler500 in config.urls catches the
    rare one raised outside a view, e.g. saving a session)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_database_failure(exception):
            reports.failed(request, exception)
            return unavailable(request)
        return None


def failed_on_database():
    """For handler500: whether the error being handled is the database's."""
    return is_database_failure(sys.exc_info()[1])


def _database_state():
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return "unreachable"
    return "ok"


def _cache_state():
    reachable = getattr(cache, "reachable", None)  # config.redis_cache.ForgivingRedisCache
    if reachable is None:
        return "local"  # the local-memory cache: in this process, always there
    return "ok" if reachable() else "unreachable"


@never_cache
def readyz(request):
    """Readiness for load balancers: JSON, 200 when this process can serve, else 503.

    "ready": database and cache answer. "degraded": the cache does not (pages are served
    uncached, security counters count per process), still 200. "unavailable": the
    database does not, 503 with Retry-After.
    """
    database = _database_state()
    cache_state = _cache_state()
    if database != "ok":
        status = "unavailable"
    elif cache_state == "unreachable":
        status = "degraded"
    else:
        status = "ready"
    response = JsonResponse(
        {"status": status, "database": database, "cache": cache_state},
        status=503 if status == "unavailable" else 200,
    )
    if status == "unavailable":
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
