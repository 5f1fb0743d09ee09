"""The API's contract details: a URL without its trailing slash is answered, never
redirected (a redirect drops a POST's body); the schema lists each path once; the
web's lists are the API's state filter values."""

from datetime import timedelta

import pytest
from django.utils import timezone

from forecasts import outcomes
from tests.client_helpers import api_client
from tests.factories import EditorFactory, QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_post_without_the_trailing_slash_is_answered_not_redirected():
    question = QuestionFactory(slug="crossing", options=["A", "B"])
    a, b = question.options.values_list("pk", flat=True)
    reader = api_client(UserFactory())
    response = reader.post(
        "/api/v1/questions/crossing/forecasts", {"probabilities": {a: 0.6, b: 0.4}}, format="json"
    )
    assert response.status_code == 201, response.content
    token = api_client().post(
        "/api/v1/auth/token", {"username": "nobody", "password": "x"}, format="json"
    )
    assert token.status_code == 401
    editor = api_client(EditorFactory())
    created = editor.post(
        "/api/v1/stories",
        {"headline": "No slash", "slug": "no-slash", "status": "draft"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert api_client().get("/api/v1/questions/crossing").status_code == 200


def test_the_schema_lists_each_path_once_with_its_slash(client):
    paths = client.get("/api/schema/?format=json").json()["paths"]
    assert all(path.endswith("/") or "." in path for path in paths), list(paths)
    assert not any("?" in path for path in paths)


def test_the_webs_lists_are_state_filter_values():
    soon = QuestionFactory(slug="soon", closes_at=timezone.now() + timedelta(days=2))
    QuestionFactory(slug="later", closes_at=timezone.now() + timedelta(days=20))
    settled = QuestionFactory(slug="settled")
    outcomes.annul(settled, "Void.")
    client = api_client()

    def slugs(state):
        response = client.get("/api/v1/questions/", {"state": state})
        assert response.status_code == 200, response.content
        return {q["slug"] for q in response.json()["results"]}

    assert slugs("closing") == {soon.slug}
    assert slugs("all") == {"soon", "later", "settled"}
    assert slugs("annulled") == {"settled"}
    schema = client.get("/api/schema/?format=json").json()
    state = next(
        p
        for p in schema["paths"]["/api/v1/questions/"]["get"]["parameters"]
        if p["name"] == "state"
    )
    assert {"closing", "all"} <= set(state["schema"]["enum"])
