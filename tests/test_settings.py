"""Settings come from the environment, with safe defaults."""

import pytest

from tests.client_helpers import in_fresh_process

# A key of the kind production needs (secrets.token_urlsafe(50)); never used for anything.
GOOD_KEY = "q8Zr1vK0cXo3LpT7wYb2NfHs6JdGm9Ea4Ui5Rt0Ww1Qz_3Xy-8Vn2Bk7Cj4Mh6Pl"


def settings_with(**env):
    """Load config.settings in a fresh interpreter with exactly `env` (plus PATH)."""
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.DATABASES['default']['ENGINE'], "
        "s.CACHES['default']['BACKEND'])"
    )
    return in_fresh_process(code, **env)


def test_production_without_a_secret_key_refuses_to_start():
    result = settings_with()
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_debug_is_off_and_https_enforced_unless_asked_for():
    result = settings_with(DJANGO_SECRET_KEY=GOOD_KEY)
    assert result.returncode == 0, result.stderr
    debug, ssl_redirect, engine, cache = result.stdout.split()
    assert (debug, ssl_redirect) == ("False", "True")
    assert engine == "django.db.backends.sqlite3"
    assert cache.endswith("LocMemCache")


def test_development_runs_without_a_secret_key():
    result = settings_with(DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["True", "False"]


def test_database_and_redis_come_from_their_urls():
    result = settings_with(
        DJANGO_SECRET_KEY=GOOD_KEY,
        DATABASE_URL="postgres://newsroom@db.internal:5432/newsroom",
        REDIS_URL="redis://127.0.0.1:6379/1",
    )
    assert result.returncode == 0, result.stderr
    _, _, engine, cache = result.stdout.split()
    assert engine == "django.db.backends.postgresql"
    assert cache == "config.redis_cache.ForgivingRedisCache"


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_a_mistyped_boolean_is_a_clear_startup_error(value):
    result = settings_with(DJANGO_DEBUG=value)
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be one of" in result.stderr


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("short-but-random-Zr1vK0cXo3", "is 27 characters long; it needs at least 50"),
        ("ab" * 40, "has 2 different characters; it needs at least 5"),
        ("django-insecure-" + GOOD_KEY, "starts with django-insecure"),
        ("tests-only-not-a-secret", "is an example written down for all to read"),
    ],
)
def test_production_refuses_to_start_with_a_weak_secret_key(key, reason):
    result = settings_with(DJANGO_SECRET_KEY=key)
    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY " + reason in result.stderr
    assert "secrets.token_urlsafe(50)" in result.stderr


def test_development_does_not_mind_a_weak_key():
    result = settings_with(DJANGO_DEBUG="1", DJANGO_SECRET_KEY="dev")
    assert result.returncode == 0, result.stderr
