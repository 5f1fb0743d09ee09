"""Shared test setup: PostgreSQL-only skips, fast passwords, an empty cache per test,
signed-in editors and reporters, and a real (or a dead) Redis for the tests that need one."""

import os
import socket
from urllib.parse import urlsplit

import pytest

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


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    """Production serves hashed files from a manifest that `collectstatic` writes; tests
    do not run collectstatic, so they link the plain files."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


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
    lockout carried over from another test."""
    from django.core.cache import cache

    cache.clear()


def _redis_settings(url, **options):
    return {
        "default": {
            "BACKEND": "config.redis_cache.ForgivingRedisCache",
            "LOCATION": url,
            "OPTIONS": options,
        }
    }


@pytest.fixture
def redis_cache(settings):
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
def dead_redis_cache(settings):
    """The default cache on a Redis that never answers: nothing listens on the discard
    port. The settings fixture swaps the cache handler, so code really talks to it."""
    settings.CACHES = _redis_settings(
        "redis://127.0.0.1:9/0", socket_connect_timeout=0.2, socket_timeout=0.2
    )
    from django.core.cache import cache

    return cache
