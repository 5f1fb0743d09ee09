import pytest


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
