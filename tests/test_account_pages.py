"""Sign-up, login and password pages: finished, and branded with the site's name."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.client_helpers import committed, text_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ACCOUNT_PAGES = ["signup", "login", "password_reset"]


def submit_label(response):
    form = response.content.decode().split('class="account', 1)[1]  # the page's own form
    return re.search(r'<button type="submit"[^>]*>([^<]*)</button>', form)


@pytest.mark.parametrize("name", ACCOUNT_PAGES)
def test_account_pages_carry_the_site_name_not_the_host(client, settings, name):
    settings.SITE_NAME = "The Al-Qaim Courier"
    response = client.get(reverse(name), HTTP_HOST="127.0.0.1")
    page = text_of(response)
    assert "The Al-Qaim Courier" in page
    assert "127.0.0.1" not in page
    title = re.search(r"<title>(.*?)</title>", response.content.decode())[1]
    assert "The Al-Qaim Courier" in title


def test_password_change_page_carries_the_site_name(client, settings):
    settings.SITE_NAME = "The Al-Qaim Courier"
    client.force_login(UserFactory())
    page = text_of(client.get(reverse("password_change"), HTTP_HOST="127.0.0.1"))
    assert "The Al-Qaim Courier" in page
    assert "127.0.0.1" not in page


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("signup", "Create my account"),
        ("login", "Log in"),
        ("password_reset", "Email me a link"),
        ("password_change", "Change my password"),
    ],
)
def test_every_account_form_has_a_labelled_submit_button(client, name, label):
    if name == "password_change":
        client.force_login(UserFactory())
    button = submit_label(client.get(reverse(name)))
    assert button is not None
    assert button[1].strip() == label


def test_sign_up_welcomes_the_new_reader(client, settings):
    settings.SITE_NAME = "The Al-Qaim Courier"
    response = client.post(
        reverse("signup"),
        {"username": "amira", "email": "amira@example.com",
         "password1": "a long passphrase 2026", "password2": "a long passphrase 2026"},
        follow=True,
    )  # fmt: skip
    assert "Welcome to The Al-Qaim Courier, amira." in text_of(response)


def test_password_reset_mail_names_the_site_not_the_host(client, settings):
    settings.SITE_NAME = "The Al-Qaim Courier"
    UserFactory(email="amira@example.com")
    with committed():  # the mail is a background task, enqueued once the request commits
        client.post(
            reverse("password_reset"), {"email": "amira@example.com"}, HTTP_HOST="127.0.0.1"
        )
    assert "The Al-Qaim Courier" in mail.outbox[0].body
    assert "at 127.0.0.1" not in mail.outbox[0].body
