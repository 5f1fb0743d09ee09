"""Shared test setup: PostgreSQL-only skips, fast passwords, an empty cache per test,
signed-in editors and reporters, a real (or a dead) Redis for the tests that need one, and
faults made to order: a Redis of our own to stop or freeze, a database that never answers."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from urllib.parse import quote, urlsplit

import pytest
import redis

# A real Redis for the tests that need one; they are skipped, with the reason, when none
# answers. Database 9 of the local server by default: the benchmark uses 3 and 4.
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need PostgreSQL features; on SQLite they are skipped."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL to a PostgreSQL server)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """No statement timeout for the suite's own database work: creating and dropping the
    test database on a busy machine may take longer than a web request may. The timeouts
    are tested on connections of their own (tests/test_database_outages.py)."""
    from django.conf import settings

    settings.DATABASE_STATEMENT_TIMEOUT = 0
    settings.DATABASES["default"].get("OPTIONS", {}).pop("options", None)


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    """Production serves hashed files from a manifest that `collectstatic` writes; tests
    do not run collectstatic, so they link the plain files."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def mean_aggregate(settings):
    """The site shows the plain mean: for tests whose expected numbers are the mean's
    arithmetic (the pooled aggregate has its own, tests/test_pooled_aggregate.py)."""
    settings.COMMUNITY_AGGREGATE = "mean"


@pytest.fixture
def editor(client, db):
    """A signed-in member of the Editors group."""
    from tests.factories import EditorFactory

    user = EditorFactory()
    client.force_login(user)
    return user


@pytest.fixture
def reporter(client, db):
    """A signed-in member of the Reporters group."""
    from tests.factories import ReporterFactory

    user = ReporterFactory()
    client.force_login(user)
    return user


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Tests make many accounts; the production hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_cache():
    """Every test starts with an empty cache: no content version, throttle count or
    lockout carried over from another test (nor one counted in this process while Redis
    was down: config.counters)."""
    from django.core.cache import cache

    from config.counters import local_counters

    cache.clear()
    local_counters.clear()


def _redis_settings(url, **options):
    return {
        "default": {
            "BACKEND": "config.redis_cache.ForgivingRedisCache",
            "LOCATION": url,
            "OPTIONS": options,
        }
    }


@pytest.fixture
def no_known_outages():
    """Each test starts with no Redis outage remembered by this process (the circuit
    breaker in config.redis_cache), and leaves none, nor its watching thread, behind."""
    from config.redis_cache import forget_outages

    forget_outages()
    yield
    forget_outages()


@pytest.fixture
def redis_cache(settings, no_known_outages):
    """The default cache on a real Redis (TEST_REDIS_URL), emptied."""
    where = urlsplit(TEST_REDIS_URL)
    try:
        socket.create_connection((where.hostname, where.port or 6379), timeout=0.2).close()
    except OSError:
        pytest.skip(f"needs Redis at {TEST_REDIS_URL} (set TEST_REDIS_URL to one)")
    settings.CACHES = _redis_settings(TEST_REDIS_URL)
    from django.core.cache import cache

    cache.clear()
    yield cache
    cache.clear()  # leave the shared Redis database as we found it


@pytest.fixture
def dead_redis_cache(settings, no_known_outages):
    """The default cache on a Redis that never answers: nothing listens on the discard
    port. The settings fixture swaps the cache handler, so code really talks to it."""
    settings.CACHES = _redis_settings(
        "redis://127.0.0.1:9/0", socket_connect_timeout=0.2, socket_timeout=0.2
    )
    from django.core.cache import cache

    return cache


def free_port():
    """A TCP port on loopback that nothing listens on now, for a server of a test's own."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A redis-server of our own on a free port, to stop, restart, freeze and thaw (never
    the machine's shared one). Nothing is saved to disk."""

    binary = shutil.which("redis-server") or "/usr/bin/redis-server"

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(  # noqa: S603
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as probe,
            ):
                probe.sendall(b"PING\r\n")
                if probe.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.02)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self):
        """Stopped: connections are refused."""
        self.thaw()
        self.process.terminate()
        self.process.wait(5)

    def freeze(self):
        """Hung: connections are accepted by the kernel, nothing ever answers."""
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def redis_server():
    """A Redis server of our own (see RedisServer), stopped at the end whatever happened."""
    if not os.access(RedisServer.binary, os.X_OK):
        pytest.skip("needs redis-server (apt install redis-server) to stop and freeze one")
    server = RedisServer()
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


@pytest.fixture
def own_redis_cache(settings, redis_server, no_known_outages):
    """The default cache on our own Redis, with production's timeouts and a short retry
    interval so tests see the circuit breaker close again quickly."""
    settings.CACHES = _redis_settings(
        redis_server.url, socket_connect_timeout=0.5, socket_timeout=0.5
    )
    settings.CACHE_RETRY_SECONDS = 0.3
    from django.core.cache import cache

    return cache


class SilentListener:
    """A TCP port that accepts connections and never says a word: a database (or any
    server) that stopped answering."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.port = self.socket.getsockname()[1]
        self.held = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        with contextlib.suppress(OSError):
            while True:
                self.held.append(self.socket.accept()[0])

    def close(self):
        for connection in [self.socket, *self.held]:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked on it
            connection.close()


class FreezableProxy:
    """A TCP relay to a real server that can be frozen: it then keeps every connection
    open and passes nothing on, as a server whose process hangs (the kernel still
    acknowledges what is sent). Thawed, new connections work again; frozen ones are
    dropped."""

    def __init__(self, database):
        """`database`: a Django DATABASES entry, on TCP or (HOST a directory, as the
        throwaway cluster of `make test`) a Unix socket."""
        host, port = database["HOST"] or "127.0.0.1", int(database["PORT"] or 5432)
        self.family = socket.AF_UNIX if host.startswith("/") else socket.AF_INET
        self.target = f"{host}/.s.PGSQL.{port}" if host.startswith("/") else (host, port)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.frozen = threading.Event()
        self.connections = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        with contextlib.suppress(OSError):
            while True:
                client = self.listener.accept()[0]
                server = socket.socket(self.family)
                server.connect(self.target)
                self.connections += [client, server]
                for source, sink in ((client, server), (server, client)):
                    threading.Thread(target=self.relay, args=(source, sink), daemon=True).start()

    def relay(self, source, sink):
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if self.frozen.is_set():
                    return  # swallowed; the connection stays open, silent
                sink.sendall(data)

    def freeze(self):
        self.frozen.set()

    def thaw(self):
        for connection in self.connections:
            # shutdown() first: close() alone leaves a socket open while a relay thread
            # is blocked reading it.
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        self.connections = []
        self.frozen.clear()

    def close(self):
        self.thaw()
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked on it
        self.listener.close()


def database_url(database, **changes):
    """A DATABASE_URL for a Django DATABASES entry (with `changes`), for a subprocess;
    a socket directory as HOST is quoted, as libpq expects in a URL."""
    database = {**database, **changes}
    auth = quote(database["USER"], safe="")
    if database.get("PASSWORD"):
        auth += ":" + quote(database["PASSWORD"], safe="")
    host = quote(str(database["HOST"] or "127.0.0.1"), safe="")
    return f"postgres://{auth}@{host}:{database['PORT'] or 5432}/{database['NAME']}"


@pytest.fixture
def silent_listener():
    listener = SilentListener()
    yield listener
    listener.close()


@pytest.fixture
def hung_database(django_db_blocker, silent_listener):
    """The site's database connection pointed at a server that never answers (this
    thread's `default` connection is swapped for one to the silent listener, with the
    settings' own timeouts), put back afterwards."""
    from django.db import connections

    real = connections["default"]
    hung = type(real)({**real.settings_dict, "HOST": "127.0.0.1", "PORT": silent_listener.port})
    connections["default"] = hung
    with django_db_blocker.unblock():
        yield hung
        hung.close()
    connections["default"] = real


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    """Background tasks run in the caller (django.tasks' immediate backend), once the
    transaction commits: tests see their effects without a worker. Tests of the
    database-backed worker switch back with `database_tasks`."""
    _use_tasks(settings, {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"})
    yield
    _use_tasks(settings, None)


@pytest.fixture
def database_tasks(settings):
    """Tasks stored in the database (django-tasks-db), run by `run_worker()`."""
    _use_tasks(settings, {"BACKEND": "django_tasks_db.DatabaseBackend"})


@pytest.fixture
def redis_tasks(settings):
    """Tasks in Redis streams (django-tasks-redis) on database 11 of the test Redis; the
    test runs them with django_tasks_redis.executor.process_tasks()."""
    url = TEST_REDIS_URL.rsplit("/", 1)[0] + "/11"
    where = urlsplit(url)
    try:
        socket.create_connection((where.hostname, where.port or 6379), timeout=0.2).close()
    except OSError:
        pytest.skip(f"needs Redis at {url} (set TEST_REDIS_URL to one)")
    prefix = f"forecast-desk-tests-{os.getpid()}"
    _use_tasks(
        settings,
        {
            "BACKEND": "django_tasks_redis.backends.RedisTaskBackend",
            "OPTIONS": {"REDIS_URL": url, "REDIS_KEY_PREFIX": prefix},
        },
    )
    yield

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def _use_tasks(settings, backend):
    """Django does not reset its task backends when TASKS changes; do it here."""
    from asgiref.local import Local
    from django.tasks import task_backends

    if backend is not None:
        settings.TASKS = {"default": backend}
    task_backends._settings = task_backends.settings = task_backends.configure_settings(None)
    task_backends._connections = Local(task_backends.thread_critical)


@pytest.fixture(autouse=True)
def short_live_streams(settings):
    """A page under test (browser tests) may open a live stream: let it end soon."""
    settings.LIVE_STREAM_SECONDS = 10
