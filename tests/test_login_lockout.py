"""The login lockout counts every attempt before its password is checked: guesses sent in
parallel cannot get more passwords checked than LOGIN_ATTEMPTS, through the login form or
the API's token endpoint, whichever store counts them; a success starts the count afresh."""

import threading

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import UserFactory

PARALLEL = 20


@pytest.fixture(params=["local memory", "redis", "redis down"])
def counting_store(request, settings):
    """Where attempts are counted: the local-memory cache (one process), Redis, or, with
    Redis stopped, each process's own counter (here one process, so the whole limit)."""
    if request.param == "redis":
        request.getfixturevalue("own_redis_cache")
    elif request.param == "redis down":
        request.getfixturevalue("own_redis_cache")
        request.getfixturevalue("redis_server").stop()
        settings.WEB_CONCURRENCY = 1
        settings.APP_SERVERS = 1
    return request.param


def at_once(attempt):
    """Run `attempt` in PARALLEL threads released together; their answers."""
    barrier = threading.Barrier(PARALLEL)
    answers = []

    def run():
        try:
            barrier.wait()
            answers.append(attempt())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(answers) == PARALLEL
    return answers


def log_in(client, password):
    page = client.post(reverse("login"), {"username": "amira", "password": password})
    if page.status_code == 302:
        return "in"
    if "Too many failed attempts" in page.content.decode():
        return "refused"
    return "checked"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_password_guesses_get_exactly_the_allowed_number_checked(
    settings, counting_store
):
    settings.LOGIN_ATTEMPTS = 5
    UserFactory(username="amira", password="right password 2026")
    answers = at_once(lambda: log_in(Client(), "wrong"))
    assert answers.count("checked") == 5, counting_store
    assert answers.count("refused") == PARALLEL - 5
    assert log_in(Client(), "right password 2026") == "refused"

    # The API's token endpoint, for another reader: the same rule.
    UserFactory(username="basma", password="right password 2026")

    def guess():
        return (
            APIClient()
            .post("/api/v1/auth/token/", {"username": "basma", "password": "wrong"}, format="json")
            .status_code
        )

    codes = at_once(guess)
    assert codes.count(401) == 5, counting_store  # checked, and wrong
    assert codes.count(429) == PARALLEL - 5  # refused unchecked


@pytest.mark.django_db
def test_a_successful_login_starts_the_count_afresh(client, settings):
    settings.LOGIN_ATTEMPTS = 3
    UserFactory(username="amira", password="right password 2026")
    assert [log_in(client, "wrong") for _ in range(2)] == ["checked", "checked"]
    assert log_in(client, "right password 2026") == "in"
    client.post(reverse("logout"))
    # The two typos and the success are forgotten: three more tries, then the lockout.
    answers = [log_in(client, "wrong") for _ in range(4)]
    assert answers == ["checked", "checked", "checked", "refused"]


@pytest.mark.django_db
def test_a_script_fetching_its_token_again_and_again_is_never_locked_out(settings):
    settings.LOGIN_ATTEMPTS = 3
    UserFactory(username="amira", password="right password 2026")
    api = APIClient()
    right = {"username": "amira", "password": "right password 2026"}
    codes = [api.post("/api/v1/auth/token/", right, format="json").status_code for _ in range(6)]
    assert codes == [200] * 6
