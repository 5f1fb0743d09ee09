"""A database that fails or stops answering: a 503 (page or API error shape) with
Retry-After within seconds, /readyz says so, and the site recovers by itself."""

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.db import OperationalError, connection

from tests.client_helpers import ROOT, in_fresh_process
from tests.conftest import FreezableProxy, database_url, free_port


@pytest.mark.postgres
def test_a_database_that_never_answers_is_a_503_page_within_seconds(client, hung_database):
    started = time.monotonic()
    response = client.get("/questions/")
    elapsed = time.monotonic() - started
    # Before: no answer at all until gunicorn killed the worker (30 s).
    assert elapsed < 10  # DATABASE_CONNECT_TIMEOUT, 3 s
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "no-cache" in response["Cache-Control"]
    assert "back in a minute" in response.content.decode()


@pytest.mark.django_db
def test_api_clients_get_a_503_in_the_error_shape(client, monkeypatch):
    from forecasts.api.views import QuestionViewSet

    def fail(*args, **kwargs):
        raise OperationalError("the database did not answer within 5.5 s")

    monkeypatch.setattr(QuestionViewSet, "list", fail)
    response = client.get("/api/v1/questions/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "no-cache" in response["Cache-Control"]
    assert response.json()["error"] == {
        "status": 503,
        "code": "unavailable",
        "message": "The newsroom's database is not answering. Try again in a minute.",
        "fields": {},
    }


@pytest.mark.django_db
def test_a_database_failure_outside_any_view_is_a_503_too(rf):
    from config.urls import handler500

    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        page = handler500(rf.get("/"))
        api = handler500(rf.get("/api/v1/questions/"))
    assert (page.status_code, api.status_code) == (503, 503)
    assert json.loads(api.content)["error"]["code"] == "unavailable"
    try:
        raise ValueError("a bug")
    except ValueError:
        assert handler500(rf.get("/")).status_code == 500


@pytest.mark.django_db
def test_readiness_is_json_never_cached_and_separate_from_liveness(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": "ok", "cache": "local"}
    assert "no-cache" in response["Cache-Control"]
    assert client.get("/healthz").content == b"ok"


def fresh_connection(**changes):
    """A connection of its own to the test database (with `changes` to its settings)."""
    from django.db import connections

    real = connections["default"]
    return type(real)({**real.settings_dict, **changes})


@pytest.mark.postgres
def test_the_server_cancels_a_statement_over_the_timeout(django_db_blocker, db):
    options = {"options": "-c statement_timeout=200"}  # what settings make of the variable
    slow = fresh_connection(OPTIONS={**connection.settings_dict["OPTIONS"], **options})
    with django_db_blocker.unblock():
        started = time.monotonic()
        with pytest.raises(OperationalError, match="statement timeout"), slow.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(5)")
        assert time.monotonic() - started < 2
        assert slow.is_usable()  # the server's own cancel leaves the connection usable
        slow.close()


@pytest.mark.postgres
def test_a_server_that_stops_answering_is_given_up_on_and_its_connection_dropped(
    django_db_blocker, db, settings
):
    from django.db import connections

    settings.DATABASE_STATEMENT_TIMEOUT = 300
    database = connections["default"].settings_dict
    proxy = FreezableProxy(database)
    frozen = fresh_connection(HOST="127.0.0.1", PORT=proxy.port)
    try:
        with django_db_blocker.unblock():
            with frozen.cursor() as cursor:
                cursor.execute("SELECT 1")
            proxy.freeze()  # the server hangs: the server's own timeout cannot fire
            started = time.monotonic()
            with (
                pytest.raises(OperationalError, match=r"did not answer within 0\.8 s"),
                frozen.cursor() as cursor,
            ):
                cursor.execute("SELECT 1")
            assert time.monotonic() - started < 2
            assert not frozen.is_usable()  # never reused: a late answer would be misread
            frozen.close()
    finally:
        proxy.close()


def settings_with(**env):
    """The database OPTIONS config.settings makes of `env` (in a fresh interpreter)."""
    code = (
        "from django.conf import settings; print(repr(settings.DATABASES['default']['OPTIONS']))"
    )
    result = in_fresh_process(code, DJANGO_SECRET_KEY=secrets.token_urlsafe(50), **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_database_timeouts_come_from_the_environment():
    postgres = "postgres://newsroom@db.internal:5432/newsroom"
    assert settings_with(DATABASE_URL=postgres) == (
        "{'connect_timeout': 3, 'options': '-c statement_timeout=5000'}"
    )
    assert settings_with(
        DATABASE_URL=postgres, DATABASE_CONNECT_TIMEOUT="5", DATABASE_STATEMENT_TIMEOUT="0"
    ) == "{'connect_timeout': 5}"  # fmt: skip
    assert settings_with(DATABASE_URL="sqlite:///x.sqlite3") == "{'timeout': 5.0}"


def _get(url):
    """(status, headers, body) of a GET, whatever the status; raises if no answer in 15 s."""
    try:
        with urllib.request.urlopen(url, timeout=15) as response:  # noqa: S310
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture
def frozen_database_site(db, django_db_blocker):
    """The site under gunicorn (one sync worker, production settings but short database
    timeouts), its database reached through a proxy that the test can freeze."""
    from django.db import connections

    database = connections["default"].settings_dict
    proxy = FreezableProxy(database)
    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--timeout", "30"],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_SECURE_SSL": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_LOG_LEVEL": "ERROR",
            "DATABASE_URL": database_url(database, HOST="127.0.0.1", PORT=proxy.port),
            "DATABASE_CONNECT_TIMEOUT": "2",
            "DATABASE_STATEMENT_TIMEOUT": "500",
        },
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    site = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if _get(f"{site}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.1)
        yield site, proxy
    finally:
        server.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
        server.wait(10)
        proxy.close()
        with django_db_blocker.unblock(), connections["default"].cursor() as cursor:
            # Its sessions end a moment after the proxy drops them; the test database
            # can only be dropped at the end once they have.
            for _ in range(100):
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                if cursor.fetchone()[0] == 0:
                    break
                time.sleep(0.05)


@pytest.mark.postgres
def test_a_frozen_database_is_a_503_within_seconds_under_gunicorn_and_the_site_recovers(
    frozen_database_site,
):
    site, proxy = frozen_database_site
    assert _get(f"{site}/api/v1/questions/")[0] == 200  # a connection to reuse
    proxy.freeze()  # the server stops answering, connections stay open

    started = time.monotonic()
    status, headers, body = _get(f"{site}/api/v1/questions/")
    elapsed = time.monotonic() - started
    assert status == 503
    assert json.loads(body)["error"]["code"] == "unavailable"
    assert headers["Retry-After"] == "30"
    # The health check of the reused connection gives up after 0.5 s + 0.5 s, and the
    # new connection after 2 s. Before: the worker hung until gunicorn killed it.
    assert elapsed < 10

    status, headers, body = _get(f"{site}/readyz")
    assert status == 503
    assert json.loads(body) == {"status": "unavailable", "database": "unreachable",
                                "cache": "local"}  # fmt: skip
    assert headers["Retry-After"] == "30"

    proxy.thaw()  # the database is back: nothing to restart
    assert _get(f"{site}/api/v1/questions/")[0] == 200
    assert _get(f"{site}/readyz")[0] == 200
