"""Numbers an operator can watch: Prometheus metrics at /metrics, a log line per request.

With prometheus-client itself rather than django-prometheus, whose releases (2.5.0 is
the newest) refuse Django 6.1 in their requirements (`Django<6.1`). What is measured:

- `forecastdesk_http_requests_total{view, method, status}` and
  `forecastdesk_http_request_duration_seconds{view}` (a histogram), by `RequestMetrics`,
  second in the middleware so that answers from the response cache and refusals count too.
  `view` is the URL pattern's name (`news:story`), never the path, so the number of series
  stays fixed; `<unmatched>` for addresses that match none.
- `forecastdesk_db_query_duration_seconds{database}`: every SQL statement, by database
  alias (`default`, `replica_0`, …), timed by an execute wrapper on every connection.
- `forecastdesk_cache_call_duration_seconds{operation}`: every call to Redis
  (config/redis_cache.py; the local-memory cache of development is not timed).
- `forecastdesk_forecasts_total`: forecasts recorded (counted once they commit);
  `rate(forecastdesk_forecasts_total[1m])` is forecasts per second.
- `forecastdesk_task_queue_depth{backend}`: background tasks ready to run and waiting for
  a worker, counted when /metrics is read.

/metrics answers only with `Authorization: Bearer <METRICS_TOKEN>`; without the setting
it is a 404, so nothing about the site's traffic is public by accident (a same-host
proxy would make every visitor look local, so no address is trusted instead).

Under gunicorn every worker is a process of its own: with PROMETHEUS_MULTIPROC_DIR set
(before the processes start: prometheus-client reads it when first imported) each writes
its samples to files there and /metrics adds them up across workers;
config/gunicorn.conf.py empties the directory at start and marks dead workers.
"""

import logging
import os
import time

from django.apps import apps
from django.conf import settings
from django.db.backends.signals import connection_created
from django.http import Http404, HttpResponse
from django.tasks import TaskResultStatus, task_backends
from django.urls import Resolver404, resolve
from django.utils.cache import add_never_cache_headers
from django.utils.crypto import constant_time_compare
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger("config.requests")

# Pages render in 10 to 500 ms (README "Performance"); a hit from the cache in about 1 ms.
REQUEST_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
# A statement or a Redis call on a healthy network: well under a millisecond to seconds.
CALL_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5)

REQUESTS = Counter(
    "forecastdesk_http_requests",
    "HTTP requests answered, by URL pattern name, method and status.",
    ["view", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "forecastdesk_http_request_duration_seconds",
    "Time to answer a request, by URL pattern name.",
    ["view"],
    buckets=REQUEST_BUCKETS,
)
QUERY_SECONDS = Histogram(
    "forecastdesk_db_query_duration_seconds",
    "Time of each SQL statement, by database alias.",
    ["database"],
    buckets=CALL_BUCKETS,
)
CACHE_SECONDS = Histogram(
    "forecastdesk_cache_call_duration_seconds",
    "Time of each call to the Redis cache, by operation.",
    ["operation"],
    buckets=CALL_BUCKETS,
)
FORECASTS = Counter("forecastdesk_forecasts", "Forecasts recorded (once committed).")

UNMATCHED = "<unmatched>"


def count_forecast():
    """On commit of a forecast (forecasts.forecasting.record_forecast)."""
    FORECASTS.inc()


class timed_cache_call:  # a context manager used like a function: lower case
    """Times one call to the cache; cheap enough for every call (two clock reads)."""

    __slots__ = ("operation", "started")

    def __init__(self, operation):
        self.operation = operation

    def __enter__(self):
        self.started = time.perf_counter()

    def __exit__(self, *exc_info):
        CACHE_SECONDS.labels(self.operation).observe(time.perf_counter() - self.started)


def _timed_query(alias):
    def wrapper(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            QUERY_SECONDS.labels(alias).observe(time.perf_counter() - started)

    wrapper.times_queries = True
    return wrapper


def time_queries(sender, connection, **kwargs):
    """Every new connection times its statements (once: a reconnect keeps the wrapper)."""
    if not any(getattr(w, "times_queries", False) for w in connection.execute_wrappers):
        connection.execute_wrappers.append(_timed_query(connection.alias))


connection_created.connect(time_queries)


def view_name(request):
    """The URL pattern's name: set when the view ran; looked up for a cache hit."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return UNMATCHED
    return match.view_name or UNMATCHED


class RequestMetrics:
    """Counts and times every request; logs one line for it (DJANGO_LOG_REQUESTS), which
    carries the request id like every other line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        view = view_name(request)
        REQUESTS.labels(view, request.method, str(response.status_code)).inc()
        REQUEST_SECONDS.labels(view).observe(seconds)
        if settings.LOG_REQUESTS and log.isEnabledFor(logging.INFO):
            log.info(
                "%s %s %s %.1f ms",
                request.method,
                request.path,
                response.status_code,
                seconds * 1000,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 1),
                    "view": view,
                },
            )
        return response


class TaskQueueDepth:
    """Background tasks ready to run, asked of the task backend at each scrape."""

    def collect(self):
        family = GaugeMetricFamily(
            "forecastdesk_task_queue_depth",
            "Background tasks ready to run and not yet taken by a worker.",
            labels=["backend"],
        )
        depth = self.depth()
        if depth is not None:
            family.add_metric([settings.TASKS_BACKEND], depth)
        yield family

    @staticmethod
    def depth():
        try:
            if settings.TASKS_BACKEND == "database":
                tasks = apps.get_model("django_tasks_database", "DBTaskResult")
                return tasks.objects.ready().count()
            backend = task_backends["default"]
            if hasattr(backend, "get_status_counts"):  # django-tasks-redis
                return backend.get_status_counts().get(TaskResultStatus.READY, 0)
        except Exception:  # a scrape must answer even when the queue cannot be read
            log.warning("task queue depth unavailable", exc_info=True)
        return None


def _samples():
    """What /metrics shows: this process's metrics, or with PROMETHEUS_MULTIPROC_DIR
    every worker's added up, and the task queue."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        workers = CollectorRegistry()
        multiprocess.MultiProcessCollector(workers)
        output = generate_latest(workers)
    else:
        output = generate_latest(REGISTRY)
    queue = CollectorRegistry()
    queue.register(TaskQueueDepth())
    return output + generate_latest(queue)


def metrics(request):
    """Prometheus' text format, for a scraper that sends the bearer token."""
    if not settings.METRICS_TOKEN:
        raise Http404("/metrics is off: set METRICS_TOKEN to turn it on")
    given = request.headers.get("Authorization", "")
    if not constant_time_compare(given, f"Bearer {settings.METRICS_TOKEN}"):
        response = HttpResponse("A bearer token is needed.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    else:
        response = HttpResponse(_samples(), content_type=CONTENT_TYPE_LATEST)
    add_never_cache_headers(response)
    return response
