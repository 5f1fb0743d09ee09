"""Reader accounts: one account per email address, and password resets that answer the
same, in the same way, whether an address has an account or not."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config import accounts
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def signup(client, email, username="layla"):
    return client.post(
        reverse("signup"),
        {"username": username, "email": email, "password1": "a long passphrase 2026",
         "password2": "a long passphrase 2026"},
    )  # fmt: skip


@pytest.mark.parametrize("email", ["amira@example.com", "AMIRA@Example.COM"])
def test_sign_up_refuses_an_email_already_in_use_ignoring_case(client, email):
    UserFactory(username="amira-the-forecaster", email="amira@example.com")
    response = signup(client, email)
    page = response.content.decode()
    assert response.status_code == 200
    assert "An account already uses this email address." in page
    assert "amira-the-forecaster" not in page  # says no more than needed
    assert not get_user_model().objects.filter(username="layla").exists()


def test_sign_up_with_a_new_email_works(client):
    UserFactory(email="amira@example.com")
    assert signup(client, "layla@example.com").status_code == 302


def request_reset(client, email):
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("password_reset"), {"email": email})
    return response, [query["sql"] for query in queries]


def test_password_reset_answers_known_and_unknown_addresses_the_same_way(
    client, django_capture_on_commit_callbacks
):
    UserFactory(email="amira@example.com")
    with django_capture_on_commit_callbacks() as enqueued:
        known, known_sql = request_reset(client, "amira@example.com")
        unknown, unknown_sql = request_reset(client, "nobody@example.com")

    # The same answer, after the same work: no lookup of the address on the request path
    # and no mail sent from it; both hand the address to the same task.
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    assert known.content == unknown.content
    assert known_sql == unknown_sql == []
    assert mail.outbox == []
    assert [(callback.func.__self__, callback.args) for callback in enqueued] == [
        (accounts.send_password_reset, ("amira@example.com",)),
        (accounts.send_password_reset, ("nobody@example.com",)),
    ]

    # Off the request path (the immediate backend in tests), only the known address
    # gets a link.
    for callback in enqueued:
        callback()
    assert [message.to for message in mail.outbox] == [["amira@example.com"]]
    assert "http://testserver/accounts/reset/" in mail.outbox[0].body
