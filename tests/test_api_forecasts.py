"""Readers forecast through the API; tokens; throttling; the one error shape."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from forecasts import outcomes
from forecasts.models import Forecast
from tests.client_helpers import api_client
from tests.factories import QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db


def client_for(user=None):
    return api_client(user)


def shares(question, *values):
    return {str(o.pk): v for o, v in zip(question.options.all(), values, strict=True)}


@pytest.mark.usefixtures("mean_aggregate")  # numbers of the mean
def test_a_reader_forecasts_and_reads_their_own_forecasts():
    reader, other = UserFactory(), UserFactory()
    question = QuestionFactory(binary=True)
    api = client_for(reader)
    response = api.post(
        f"/api/v1/questions/{question.slug}/forecasts/",
        {"probabilities": shares(question, 0.7, 0.3)},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["question"] == question.slug
    client_for(other).post(
        f"/api/v1/questions/{question.slug}/forecasts/",
        {"probabilities": shares(question, 0.1, 0.9)},
        format="json",
    )
    mine = api.get("/api/v1/forecasts/").json()["results"]
    assert len(mine) == 1
    assert mine[0]["probabilities"] == shares(question, 0.7, 0.3)
    detail = client_for().get(f"/api/v1/questions/{question.slug}/").json()
    assert [o["percent"] for o in detail["options"]] == [40, 60]
    assert detail["forecaster_count"] == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"probabilities": "0.5"}, "Expected a dictionary"),
        ({"probabilities": {}}, "may not be empty"),
        ({"probabilities": {"x": "y"}}, "valid number"),
        ("sum", "add up to 90.0%"),
        ("bounds", "between 0.1% and 99.9%"),
        ("other", "not this question's"),
        ("missing", "every option"),
    ],
)
def test_bad_forecasts_are_400s_with_reasons(body, message):
    question = QuestionFactory(binary=True)
    stranger = QuestionFactory(binary=True)
    yes, no = question.options.all()
    bodies = {
        "sum": {"probabilities": shares(question, 0.6, 0.3)},
        "bounds": {"probabilities": shares(question, 0.9995, 0.0005)},
        "other": {"probabilities": {str(yes.pk): 0.5, str(stranger.options.first().pk): 0.5}},
        "missing": {"probabilities": {str(no.pk): 1.0}},
    }
    response = client_for(UserFactory()).post(
        f"/api/v1/questions/{question.slug}/forecasts/",
        bodies[body] if isinstance(body, str) else body,
        format="json",
    )
    assert response.status_code == 400
    assert message in str(response.json()["error"])
    assert not Forecast.objects.exists()


def test_closed_and_unknown_questions_refuse_forecasts():
    question = QuestionFactory(binary=True)
    outcomes.close(question)
    api = client_for(UserFactory())
    response = api.post(
        f"/api/v1/questions/{question.slug}/forecasts/",
        {"probabilities": shares(question, 0.5, 0.5)},
        format="json",
    )
    assert response.status_code == 400
    assert "not open for forecasts" in str(response.json())
    missing = api.post(
        "/api/v1/questions/no-such-question/forecasts/", {"probabilities": {"1": 1}}, format="json"
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_anonymous_clients_cannot_forecast():
    question = QuestionFactory(binary=True)
    response = client_for().post(
        f"/api/v1/questions/{question.slug}/forecasts/",
        {"probabilities": shares(question, 0.5, 0.5)},
        format="json",
    )
    assert response.status_code == 401
    assert client_for().get("/api/v1/forecasts/").status_code == 401


def test_tokens_are_created_used_and_revoked():
    UserFactory(username="amira", password="a long passphrase 2026")
    api = APIClient()
    wrong = api.post(
        "/api/v1/auth/token/", {"username": "amira", "password": "nope"}, format="json"
    )
    assert wrong.status_code == 401
    token = api.post(
        "/api/v1/auth/token/",
        {"username": "amira", "password": "a long passphrase 2026"},
        format="json",
    ).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/forecasts/").status_code == 200
    assert api.delete("/api/v1/auth/token/").status_code == 204
    assert api.get("/api/v1/forecasts/").status_code == 401


def test_throttling_per_anonymous_ip_and_per_user(settings):
    settings.API_ANON_RATE = "3/minute"
    settings.API_USER_RATE = "4/minute"
    anonymous = APIClient()
    codes = [anonymous.get("/api/v1/topics/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    throttled = anonymous.get("/api/v1/topics/")
    assert throttled.json()["error"]["status"] == 429
    assert "Retry-After" in throttled
    reader = client_for(UserFactory())
    codes = [reader.get("/api/v1/topics/").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 200, 429]


def test_malformed_json_is_a_clear_400():
    response = client_for(UserFactory()).post(
        f"/api/v1/questions/{QuestionFactory().slug}/forecasts/",
        "{not json",
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["error"]["message"]


def test_own_forecasts_can_be_ordered_and_paged_without_errors():
    reader = UserFactory()
    api = client_for(reader)
    for _ in range(3):
        question = QuestionFactory(binary=True)
        api.post(f"/api/v1/questions/{question.slug}/forecasts/",
                 {"probabilities": shares(question, 0.5, 0.5)}, format="json")  # fmt: skip
    url = "/api/v1/forecasts/?ordering=question&page_size=1"
    seen = 0
    while url:
        response = api.get(url)
        assert response.status_code == 200
        seen += len(response.json()["results"])
        url = response.json()["next"]
    assert seen == 3


def test_the_token_endpoint_shares_the_login_lockout(settings):
    settings.LOGIN_ATTEMPTS = 3
    UserFactory(username="amira", password="a long passphrase 2026")
    api = APIClient()
    for _ in range(3):
        wrong = {"username": "amira", "password": "nope"}
        assert api.post("/api/v1/auth/token/", wrong, format="json").status_code == 401
    right = {"username": "amira", "password": "a long passphrase 2026"}
    locked = api.post("/api/v1/auth/token/", right, format="json")
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.json()["error"]["message"]


def test_json_nested_too_deep_is_a_400():
    question = QuestionFactory(binary=True)
    body = "[" * 100_000 + "]" * 100_000
    response = client_for(UserFactory()).post(
        f"/api/v1/questions/{question.slug}/forecasts/", body, content_type="application/json"
    )
    assert response.status_code == 400


def test_a_forecast_costs_the_same_queries_for_2_or_8_options():

    api = client_for(UserFactory())
    costs = []
    for labels in (["A", "B"], [f"Option {n}" for n in range(8)]):
        question = QuestionFactory(options=labels)
        url = f"/api/v1/questions/{question.slug}/forecasts/"
        body = {"probabilities": shares(question, *[1 / len(labels)] * len(labels))}
        first_and_again = []
        for _ in range(2):  # the first forecast opens a snapshot; the next one updates it
            with CaptureQueriesContext(connection) as queries:
                assert api.post(url, body, format="json").status_code == 201
            first_and_again.append(len(queries))
        costs.append(first_and_again)
    assert costs[0] == costs[1]
    assert costs[0][0] <= 15


@pytest.mark.postgres
def test_a_forecast_through_the_api_is_at_most_five_sql_statements():
    api = client_for(UserFactory())
    question = QuestionFactory(options=[f"Option {n}" for n in range(6)])
    url = f"/api/v1/questions/{question.slug}/forecasts/"
    body = {"probabilities": shares(question, *[1 / 6] * 6)}
    assert api.post(url, body, format="json").status_code == 201  # opens the snapshot slot
    with CaptureQueriesContext(connection) as queries:
        response = api.post(url, body, format="json")
    assert response.status_code == 201
    # The test's own transaction turns the write's into savepoints; a server has none.
    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    # The token, the lock, the options with the reader's last forecast, the write, the
    # snapshot: the answer is built from what was written, not read back.
    assert len(statements) <= 5, "\n".join(statements)
    assert response.json()["probabilities"] == {
        k: pytest.approx(v) for k, v in body["probabilities"].items()
    }


def test_throttling_counts_on_redis_as_on_any_cache(settings, redis_cache):
    cache = redis_cache
    settings.API_ANON_RATE = "3/minute"
    anonymous = APIClient()
    for response_cache in (False, True):  # counted by the API, or by the response cache
        settings.PUBLIC_RESPONSE_CACHE = response_cache
        cache.clear()
        codes, queries = [], []
        for _ in range(4):
            with CaptureQueriesContext(connection) as captured:
                codes.append(anonymous.get("/api/v1/topics/").status_code)
            queries.append(len(captured))
        cache.clear()
        assert codes == [200, 200, 200, 429], response_cache
        if response_cache:  # the second and third came whole from Redis
            assert queries[1:3] == [0, 0]


def test_a_wrong_total_tells_api_clients_how_to_normalise():
    question = QuestionFactory(binary=True)
    response = client_for(UserFactory()).post(
        f"/api/v1/questions/{question.slug}/forecasts/",
        {"probabilities": shares(question, 0.6, 0.3)},
        format="json",
    )
    assert response.status_code == 400
    [message] = response.json()["error"]["fields"]["probabilities"]
    assert "add up to 90.0%, not 100%" in message
    assert '"normalise": true' in message
    assert "Normalise for me" not in message
