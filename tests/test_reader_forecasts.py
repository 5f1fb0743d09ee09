"""Readers forecast on the question page, see only their own forecasts, and keep score."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from forecasts import forecasting, outcomes
from forecasts.models import Forecast, Question
from tests.client_helpers import committed
from tests.factories import QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(client):
    user = UserFactory(username="reader")
    client.force_login(user)
    return user


def form_data(question, *percents, normalise=False):
    data = {f"option_{o.pk}": p for o, p in zip(question.options.all(), percents, strict=True)}
    if normalise:
        data["normalise"] = "on"
    return data


def forecast_url(question):
    return reverse("forecasts:forecast", args=[question.slug])


def test_anonymous_readers_are_invited_to_log_in(client):
    question = QuestionFactory()
    page = client.get(question.get_absolute_url()).content.decode()
    assert "to forecast" in page
    assert 'name="option_' not in page
    response = client.post(forecast_url(question), form_data(question, 25, 25, 25, 25))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert not Forecast.objects.exists()


@pytest.mark.usefixtures("mean_aggregate")  # numbers of the mean
def test_the_form_starts_from_the_community_then_from_the_readers_own(client, reader):
    question = QuestionFactory(binary=True)
    page = client.get(question.get_absolute_url()).content.decode()
    assert re.findall(r'name="option_\d+" value="([\d.]+)"', page) == ["50.0", "50.0"]
    response = client.post(forecast_url(question), form_data(question, 70, 30))
    assert response.status_code == 302
    page = client.get(question.get_absolute_url()).content.decode()
    assert "Your forecast is saved" in page
    assert re.findall(r'name="option_\d+" value="([\d.]+)"', page) == ["70.0", "30.0"]
    assert "Update your forecast" in page
    assert "1 forecaster" in page
    shown = re.findall(r'option__percent">(\d+)%', page)
    assert shown == ["70", "30"]


@pytest.mark.usefixtures("mean_aggregate")  # numbers of the mean
def test_a_reader_changes_their_forecast(client, reader):
    question = QuestionFactory(binary=True)
    client.post(forecast_url(question), form_data(question, 70, 30))
    client.post(forecast_url(question), form_data(question, 40, 60))
    question.refresh_from_db()
    assert question.forecaster_count == 1
    page = client.get(question.get_absolute_url()).content.decode()
    assert re.findall(r'option__percent">(\d+)%', page) == ["40", "60"]


@pytest.mark.parametrize(
    ("percents", "normalise", "message"),
    [
        ((70, 20), False, "add up to 90.0%, not 100%"),
        ((99.95, 0.05), False, "Ensure this value is less than or equal to 99.9"),
        ((0, 100), False, "Ensure this value is greater than or equal to 0.1"),
        (("", 50), False, "This field is required."),
        (("abc", 50), False, "Enter a number."),
    ],
)
def test_invalid_forecasts_come_back_with_the_error_and_store_nothing(
    client, reader, percents, normalise, message
):
    question = QuestionFactory(binary=True)
    response = client.post(
        forecast_url(question), form_data(question, *percents, normalise=normalise)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Forecast.objects.exists()


def test_normalise_for_me_accepts_any_total(client, reader):
    question = QuestionFactory(binary=True)
    response = client.post(forecast_url(question), form_data(question, 30, 10, normalise=True))
    assert response.status_code == 302
    question.refresh_from_db()
    assert [round(o.forecast_sum, 3) for o in question.options.all()] == [0.75, 0.25]


def test_a_closed_question_shows_no_form_and_refuses_posts(client, reader):
    question = QuestionFactory(binary=True)
    outcomes.close(question)
    assert 'name="option_' not in client.get(question.get_absolute_url()).content.decode()
    response = client.post(forecast_url(question), form_data(question, 50, 50))
    assert response.status_code == 400
    assert "not open for forecasts" in response.content.decode()
    assert not Forecast.objects.exists()


def test_forecasts_of_a_draft_question_are_404(client, reader):
    draft = QuestionFactory(binary=True, status=Question.Status.DRAFT)
    assert client.post(forecast_url(draft), form_data(draft, 50, 50)).status_code == 404


@pytest.mark.usefixtures("mean_aggregate")  # numbers of the mean
def test_a_reader_never_sees_another_readers_forecast(client, reader):
    question = QuestionFactory(binary=True)
    other = UserFactory(username="other")
    ids = [o.pk for o in question.options.all()]
    forecasting.record_forecast(other, question.pk, dict(zip(ids, [0.83, 0.17], strict=True)))
    page = client.get(question.get_absolute_url()).content.decode()
    assert "Your forecast" in page
    assert re.findall(r'name="option_\d+" value="([\d.]+)"', page) == ["83.0", "17.0"]  # community
    assert "Update your forecast" not in page
    mine = client.get(reverse("readers:my_forecasts")).content.decode()
    assert question.title not in mine
    assert "other" not in mine


def test_my_forecasts_lists_open_and_resolved_with_scores(client, reader):
    open_question = QuestionFactory(title="Still open?", binary=True)
    settled = QuestionFactory(title="Settled?", binary=True)
    for question in (open_question, settled):
        client.post(forecast_url(question), form_data(question, 80, 20))
    with committed():
        outcomes.resolve(settled, settled.options.get(label="Yes"))
    page = re.sub(r"\s+", " ", client.get(reverse("readers:my_forecasts")).content.decode())
    open_part, settled_part = page.split("Resolved and annulled")
    assert "Still open?" in open_part
    assert "Settled?" in settled_part
    assert "Brier 0.080" in settled_part


def test_my_forecasts_needs_an_account(client):
    response = client.get(reverse("readers:my_forecasts"))
    assert response.status_code == 302


# Accounts ---------------------------------------------------------------------------------


def test_sign_up_logs_the_reader_in_and_returns_them(client):
    question = QuestionFactory()
    response = client.post(
        reverse("signup") + f"?next={question.get_absolute_url()}",
        {
            "username": "amira",
            "email": "amira@example.com",
            "password1": "a long passphrase 2026",
            "password2": "a long passphrase 2026",
            "next": question.get_absolute_url(),
        },
    )
    assert response.status_code == 302
    assert response.url == question.get_absolute_url()
    assert 'name="option_' in client.get(question.get_absolute_url()).content.decode()


def test_sign_up_errors_are_shown_and_create_nothing(client):
    UserFactory(username="taken")
    response = client.post(
        reverse("signup"),
        {"username": "taken", "email": "not-an-email", "password1": "x", "password2": "y"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "A user with that username already exists." in page
    assert "Enter a valid email address." in page


def test_sign_up_never_redirects_to_another_site(client):
    response = client.post(
        reverse("signup"),
        {"username": "amira", "email": "a@example.com", "password1": "a long passphrase 2026",
         "password2": "a long passphrase 2026", "next": "https://evil.example.com/"},
    )  # fmt: skip
    assert response.url == "/"


def test_login_is_rate_limited_after_repeated_failures(client, settings):
    settings.LOGIN_ATTEMPTS = 3
    UserFactory(username="amira", password="right password 2026")
    url = reverse("login")
    for _ in range(3):
        response = client.post(url, {"username": "amira", "password": "wrong"})
        assert "Please enter a correct username and password" in response.content.decode()
    response = client.post(url, {"username": "amira", "password": "right password 2026"})
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    cache.clear()  # the lockout expires
    response = client.post(url, {"username": "amira", "password": "right password 2026"})
    assert response.status_code == 302


def test_logout_and_password_change_and_reset(client):
    user = UserFactory(username="amira", email="amira@example.com", password="old password 2026")
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": "old password 2026", "new_password1": "new password 2026!",
         "new_password2": "new password 2026!"},
    )  # fmt: skip
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("new password 2026!")
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session
    with committed():  # the mail is sent in the background, once the request commits
        client.post(reverse("password_reset"), {"email": "amira@example.com"})
    assert len(mail.outbox) == 1
    assert "/accounts/reset/" in mail.outbox[0].body


# The pre-filled form ---------------------------------------------------------------------


def prefilled(page):
    return re.findall(r'name="(option_\d+)" value="([\d.]+)"', page)


@pytest.mark.parametrize("count", [3, 7])
def test_the_prefilled_form_sums_to_100_and_is_accepted_unchanged(client, reader, count):
    question = QuestionFactory(options=[f"Outcome {n}" for n in range(count)])
    values = prefilled(client.get(question.get_absolute_url()).content.decode())
    assert len(values) == count
    assert sum(float(value) for _, value in values) == pytest.approx(100.0)
    response = client.post(forecast_url(question), dict(values))
    assert response.status_code == 302
    assert Forecast.objects.filter(user=reader, question=question).exists()


def test_the_prefilled_form_rounds_as_the_bars_do(client, reader):
    question = QuestionFactory(options=["A", "B", "C"])
    page = client.get(question.get_absolute_url()).content.decode()
    assert [value for _, value in prefilled(page)] == ["33.4", "33.3", "33.3"]
    assert re.findall(r'option__percent">(\d+)%', page)[:3] == ["34", "33", "33"]


def test_a_readers_own_forecast_is_prefilled_summing_to_100(client, reader):
    question = QuestionFactory(options=["A", "B", "C"])
    ids = [o.pk for o in question.options.all()]
    forecasting.record_forecast(reader, question.pk, dict(zip(ids, [1 / 3] * 3, strict=True)))
    values = prefilled(client.get(question.get_absolute_url()).content.decode())
    assert [value for _, value in values] == ["33.4", "33.3", "33.3"]
    assert client.post(forecast_url(question), dict(values)).status_code == 302


def test_a_wrong_total_speaks_to_readers_not_api_clients(client, reader):
    question = QuestionFactory(binary=True)
    page = client.post(forecast_url(question), form_data(question, 70, 20)).content.decode()
    assert "add up to 90.0%, not 100%" in page
    assert "Normalise for me" in page
    for api_wording in ('"normalise": true', "&quot;normalise&quot;", "in the API"):
        assert api_wording not in page
