"""The demo logins `load_demo` prints: made with DEBUG on or `--accounts`, never otherwise."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from forecasts.models import Forecast, Question
from news.demo import accounts

pytestmark = pytest.mark.django_db

LOGIN_LINE = re.compile(r"^\s+(editor|reader)\s+(demo-\w+) / (\S+)", re.MULTILINE)


def load(*args):
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def printed_logins(output):
    """{role: (username, password)} as `load_demo` prints them."""
    return {role: (username, password) for role, username, password in LOGIN_LINE.findall(output)}


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def test_with_debug_on_the_printed_reader_logs_in_and_forecasts(client, debug):
    output = load()
    assert "DEMO ONLY: these passwords are public" in output
    username, password = printed_logins(output)["reader"]
    assert client.login(username=username, password=password)
    question = Question.objects.open().get(slug="first-convoy-crosses-at-al-qaim")
    yes, no = question.options.all()
    response = client.post(
        reverse("forecasts:forecast", args=[question.slug]),
        {f"option_{yes.pk}": "80", f"option_{no.pk}": "20"},
        follow=True,
    )
    assert "Your forecast is saved" in response.content.decode()
    mine = Forecast.objects.get(user__username=username)
    assert mine.question == question


def test_the_printed_editor_reaches_the_editors_desk(client, debug):
    username, password = printed_logins(load())["editor"]
    assert client.login(username=username, password=password)
    assert client.get(reverse("admin:forecasts_question_changelist")).status_code == 200
    assert client.get(reverse("admin:news_story_changelist")).status_code == 200


def test_with_debug_off_and_no_flag_no_demo_login_exists(client, settings):
    settings.DEBUG = False
    output = load()
    assert "No demo logins: DEBUG is off" in output
    assert printed_logins(output) == {}
    usernames = [login.username for login in accounts.LOGINS]
    assert not get_user_model().objects.filter(username__in=usernames).exists()
    assert not any(user.has_usable_password() for user in accounts.demo_accounts())
    assert get_user_model().objects.filter(is_staff=True).count() == 0


def test_the_accounts_flag_makes_them_with_debug_off(client, settings):
    settings.DEBUG = False
    username, password = printed_logins(load("--accounts"))["reader"]
    assert client.login(username=username, password=password)


def test_logins_are_made_once(debug):
    load()
    users = get_user_model().objects.count()
    output = load()
    assert get_user_model().objects.count() == users
    assert "Living demo: already loaded, nothing changed." in output
    assert set(printed_logins(output)) == {"editor", "reader"}


def test_a_changed_password_is_kept_and_said_and_reset_sets_it_back(client, debug):
    load()
    reader = get_user_model().objects.get(username="demo-reader")
    reader.set_password("my own secret")
    reader.save()
    output = load()
    assert "demo-reader (password changed; `load_demo --reset` sets it back)" in output
    assert client.login(username="demo-reader", password="my own secret")
    _, password = printed_logins(load("--reset"))["reader"]
    assert client.login(username="demo-reader", password=password)


def test_reset_with_debug_off_removes_demo_logins_left_from_before(settings):
    settings.DEBUG = True
    load()
    settings.DEBUG = False
    output = load()
    assert "Demo logins from an earlier run still exist (demo-editor, demo-reader)" in output
    load("--reset")
    assert not get_user_model().objects.filter(username="demo-editor").exists()
    assert accounts.demo_accounts().count() == 8  # the simulated readers, rebuilt
