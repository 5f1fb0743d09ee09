"""Read replicas: anonymous public reads spread over PostgreSQL streaming replicas.

Only when DATABASE_REPLICA_URLS names one or more replicas (config/settings.py then
installs `ReplicaReads` and `ReplicaRouter`); without them nothing here runs.

- **Which reads.** `ReplicaReads` marks a request as one that may read from a replica
  when it is a GET or HEAD of a public page (`@public_page`) or an API read, with no
  session cookie (a signed-in reader's pages are theirs, not public) unless it is an API
  read, and no pin cookie (below). Everything else (writes, the admin, accounts, signed-in
  pages, background tasks, management commands, migrations) uses the primary, because
  `ReplicaRouter` sends a read to a replica only inside a request so marked. Credentials
  (sessions, API tokens, users) are always read from the primary: a token or a login
  made a moment ago works at once on every server.
- **Reading your own writes.** Any request that is not GET, HEAD or OPTIONS gets back a
  short-lived cookie (`PIN_COOKIE`, DATABASE_REPLICA_PIN_SECONDS) that keeps that client
  on the primary for that long: a reader who forecasts sees their forecast at once.
- **An editor's change is never hidden by a replica.** For as long as a replica may
  still lag behind it (DATABASE_REPLICA_MAX_LAG_SECONDS plus the check interval and a
  second of rounding), every read goes to the primary after any change to the editorial
  version (config.versions), so no page older than an edit is cached or given an ETag.
  Forecasts leave that version alone: an anonymous page may show a community forecast
  up to the lag threshold old, inside the PAGE_CACHE_SECONDS it may be cached anyway.
- **A lagging or dead replica is skipped.** Each process asks a replica how far behind
  it is at most every DATABASE_REPLICA_CHECK_SECONDS; one further behind than
  DATABASE_REPLICA_MAX_LAG_SECONDS, or that cannot be reached, is left out (a dead one is
  tried again after DATABASE_REPLICA_RETRY_SECONDS), and with none left reads go to the
  primary: the page still renders. One request reads from one replica throughout.
"""

import contextlib
import contextvars
import logging
import random
import threading
import time
from datetime import UTC, datetime

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db import Error as DatabaseError

from config import versions
from config.response_cache import PublicResponseCache

log = logging.getLogger(__name__)

PIN_COOKIE = "read_primary"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Read from the primary whoever asks: who is signed in must never lag behind a login, a
# logout or a new API token.
PRIMARY_ONLY_MODELS = frozenset({"sessions.Session", "authtoken.Token", "auth.User"})

# How far behind a standby is, in seconds. Caught up (it has replayed all it received
# and is still streaming) is 0 however long ago the primary last wrote, where
# now() - pg_last_xact_replay_timestamp() alone would call an idle standby late. A
# server that is not in recovery is a primary (a promoted replica): never behind. NULL
# (nothing replayed yet, and behind) counts as too far behind.
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
         AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN 0
    ELSE EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())
END
"""


class _Reads:
    """This request may read from a replica: which one, decided at its first read."""

    def __init__(self, request):
        self.request = request
        self.decided = False
        self.alias = DEFAULT_DB_ALIAS

    def database(self):
        if not self.decided:
            self.decided = True
            self.alias = choose_replica(self.request) or DEFAULT_DB_ALIAS
        return self.alias


_reads = contextvars.ContextVar("replica_reads", default=None)


class _Health:
    """Per process: which replicas were usable when last asked, and when that was."""

    def __init__(self):
        self.lock = threading.Lock()
        self.known = {}  # alias -> (usable, checked at (monotonic), why not)

    def usable(self, alias):
        now = time.monotonic()
        with self.lock:
            known = self.known.get(alias)
        if known is not None:
            usable, checked_at, _ = known
            wait = (
                settings.DATABASE_REPLICA_CHECK_SECONDS
                if usable
                else settings.DATABASE_REPLICA_RETRY_SECONDS
            )
            if now - checked_at < wait:
                return usable
        usable, why_not = check(alias)
        with self.lock:
            before = self.known.get(alias)
            self.known[alias] = (usable, now, why_not)
        if before is None or before[0] != usable:  # one line per change, not per check
            if usable:
                log.info("read replica %s in use", alias)
            else:
                log.warning("read replica %s skipped: %s", alias, why_not)
        return usable

    def failed(self, alias, error):
        """A replica that failed in the middle of a request: skipped from the next one."""
        with self.lock:
            self.known[alias] = (False, time.monotonic(), f"failed ({error})")
        log.warning("read replica %s skipped: failed (%s)", alias, error)

    def forget(self):
        with self.lock:
            self.known.clear()


health = _Health()


def check(alias):
    """(usable, why not) for one replica, asked now."""
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(LAG_SQL)
                lag = cursor.fetchone()[0]
            else:  # not a streaming replica (a test's stand-in): as current as it gets
                cursor.execute("SELECT 1")
                lag = 0
    except DatabaseError as error:
        # A new connection next time, not this broken one.
        with contextlib.suppress(DatabaseError):
            connection.close()
        return False, f"unreachable ({error})"
    if lag is None:
        return False, "behind, and has replayed nothing since it started"
    if float(lag) > settings.DATABASE_REPLICA_MAX_LAG_SECONDS:
        return False, f"{float(lag):.1f} s behind the primary"
    return True, ""


def editorial_change_is_recent(request):
    """Whether an editor's change may not have reached every usable replica yet."""
    # The request's own read of the versions, which its validators and cached page parts
    # use too: no round trip of its own.
    changed_at = versions.request_editorial_version(request)["changed_at"]
    # changed_at is rounded down to the second: one more second covers that.
    window = (
        settings.DATABASE_REPLICA_MAX_LAG_SECONDS + settings.DATABASE_REPLICA_CHECK_SECONDS + 1
    )
    return (datetime.now(UTC) - changed_at).total_seconds() < window


def choose_replica(request):
    """A usable replica's alias, at random among them, or None for the primary."""
    if editorial_change_is_recent(request):
        return None
    usable = [alias for alias in settings.DATABASE_REPLICAS if health.usable(alias)]
    return random.choice(usable) if usable else None  # noqa: S311 (load spreading)


def reading_database():
    """The alias this request reads from so far: for metrics and tests."""
    reads = _reads.get()
    return reads.alias if reads is not None and reads.decided else DEFAULT_DB_ALIAS


def may_read_from_replica(request):
    if request.method not in ("GET", "HEAD") or PIN_COOKIE in request.COOKIES:
        return False
    view = PublicResponseCache.public_view(request)
    if view is None:
        return False
    is_api_read = hasattr(view, "cls")
    return is_api_read or settings.SESSION_COOKIE_NAME not in request.COOKIES


class ReplicaReads:
    """Marks the requests whose reads may go to a replica, and pins writers to the
    primary for DATABASE_REPLICA_PIN_SECONDS (see the module's docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _reads.set(_Reads(request) if may_read_from_replica(request) else None)
        try:
            response = self.get_response(request)
        finally:
            _reads.reset(token)
        if request.method not in SAFE_METHODS:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.DATABASE_REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def process_exception(self, request, exception):
        # This request still fails (config.outages answers 503); the next ones are spared.
        reads = _reads.get()
        if (
            isinstance(exception, DatabaseError)
            and reads is not None
            and reads.decided
            and reads.alias != DEFAULT_DB_ALIAS
        ):
            health.failed(reads.alias, exception)


class ReplicaRouter:
    """Reads of a marked request go to a usable replica; everything else, every write and
    every migration, to the primary."""

    def db_for_read(self, model, **hints):
        reads = _reads.get()
        if reads is None or model._meta.label in PRIMARY_ONLY_MODELS:
            return DEFAULT_DB_ALIAS
        return reads.database()

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # every alias holds the same data

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
