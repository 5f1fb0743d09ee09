"""The contract, as client generators read it: a Python client generated from the live
schema by openapi-python-client calls every operation against a live server, for every
state of every object, and parses every answer (a field or value the schema does not
allow makes it fail). openapi-generator is not run: it needs Java and a jar that cannot
be downloaded here."""

import importlib
import json
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client as DjangoClient
from django.utils import timezone
from rest_framework.authtoken.models import Token

from forecasts import forecasting, outcomes
from tests.factories import (
    EditorFactory,
    ForecastSnapshotFactory,
    QuestionFactory,
    StoryFactory,
    StoryQuestionFactory,
    TopicFactory,
    UserFactory,
)

PACKAGE = "forecast_desk_client"
CLOSE = {"Connection": "close"}


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    """The client package, generated once per run from the schema the API serves."""
    folder = tmp_path_factory.mktemp("client")
    schema = folder / "schema.json"
    schema.write_bytes(DjangoClient().get("/api/schema/?format=json").content)
    # The generator reads JSON bodies and text; JSON Lines is text to it.
    config = folder / "config.json"
    config.write_text(json.dumps({"content_type_overrides": {"application/jsonl": "text/plain"}}))
    generator = Path(sys.executable).with_name("openapi-python-client")
    result = subprocess.run(  # noqa: S603 (the generator we pinned, fixed arguments)
        [
            *(str(generator), "generate", "--path", str(schema), "--meta", "none"),
            *("--config", str(config)),
            *("--output-path", str(folder / PACKAGE)),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if not (folder / PACKAGE / "__init__.py").exists():
        pytest.fail(f"openapi-python-client failed: {result.stdout[-2000:]}{result.stderr}")
    sys.path.insert(0, str(folder))
    yield importlib.import_module(PACKAGE)
    sys.path.remove(str(folder))


def every_state():
    """Stories and questions in every state a client can meet."""
    now = timezone.now()
    topic = TopicFactory(slug="syria")
    live = StoryFactory(slug="live", topics=[topic])
    StoryFactory(slug="draft-story", draft=True)
    StoryFactory(slug="scheduled-story", scheduled=True)
    questions = {
        "open": QuestionFactory(slug="open", options=["A", "B"]),
        "upcoming": QuestionFactory(slug="upcoming", opens_at=now + timedelta(days=1)),
        "closed": QuestionFactory(
            slug="closed", opens_at=now - timedelta(days=3), closes_at=now - timedelta(days=1)
        ),
        "draft": QuestionFactory(slug="draft", status="draft", binary=True),
        "resolved": QuestionFactory(slug="resolved", options=["A", "B"]),
        "annulled": QuestionFactory(slug="annulled"),
    }
    for position, question in enumerate(questions.values()):
        StoryQuestionFactory(story=live, question=question, position=position)
    reader = UserFactory()
    a, b = questions["resolved"].options.values_list("pk", flat=True)
    forecasting.record_forecast(reader, questions["resolved"].pk, {a: 0.7, b: 0.3})
    outcomes.resolve(questions["resolved"], questions["resolved"].options.get(label="A"), "A.")
    outcomes.annul(questions["annulled"], "Void.")
    ForecastSnapshotFactory(question=questions["open"])
    return questions, reader


def call(operation, expected, **kwargs):
    """Call one generated operation; its answer must have the status and parse."""
    response = operation.sync_detailed(**kwargs)
    assert response.status_code == expected, (operation.__name__, response.content[:500])
    return response.parsed


@pytest.mark.django_db(transaction=True)
def test_a_generated_client_calls_every_operation_in_every_state(generated, live_server, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    api = importlib.import_module(f"{PACKAGE}.api.v1")
    models = importlib.import_module(f"{PACKAGE}.models")
    ops = {name: importlib.import_module(f"{PACKAGE}.api.v1.{name}") for name in _operations()}
    questions, reader = every_state()
    editor = EditorFactory(password="correct horse battery staple")
    # Connection: close, so no server thread (and its database connection) outlives the test.
    anonymous = generated.Client(
        base_url=live_server.url, raise_on_unexpected_status=True, headers=CLOSE
    )

    def signed_in(user):
        token = Token.objects.get_or_create(user=user)[0].key
        return generated.AuthenticatedClient(
            base_url=live_server.url,
            token=token,
            prefix="Token",
            raise_on_unexpected_status=True,
            headers=CLOSE,
        )

    as_editor, as_reader = signed_in(editor), signed_in(reader)
    called = set()

    def run(name, expected, **kwargs):
        called.add(name)
        return call(ops[name], expected, **kwargs)

    # Reads, anonymous and as an editor (who also sees drafts), in every state.
    for client in (anonymous, as_editor):
        run("v1_topics_list", 200, client=client)
        run("v1_topics_retrieve", 200, client=client, slug="syria")
        stories = run("v1_stories_list", 200, client=client)
        assert "live" in {s.slug for s in stories.results}
        for state in models.V1QuestionsListState:
            run("v1_questions_list", 200, client=client, state=state)
        for question in questions.values():
            visible = question.status != "draft" or client is as_editor
            found = run(
                "v1_questions_retrieve", 200 if visible else 404, client=client, slug=question.slug
            )
            if visible:
                assert found.state.value == question.state().value
                run("v1_questions_history_retrieve", 200, client=client, slug=question.slug)
                run("v1_questions_resolution_retrieve", 200, client=client, slug=question.slug)
        for slug in ("live", "draft-story", "scheduled-story"):
            visible = slug == "live" or client is as_editor
            run("v1_stories_retrieve", 200 if visible else 404, client=client, slug=slug)
        run("v1_exports_questions_csv_retrieve", 200, client=client)
        run("v1_exports_questions_jsonl_retrieve", 200, client=client)
    run("v1_forecasts_list", 401, client=anonymous)

    # A reader forecasts and reads their own forecasts; a token is made and revoked.
    a, b = questions["open"].options.values_list("pk", flat=True)
    body = models.ForecastInputRequest.from_dict({"probabilities": {str(a): 0.6, str(b): 0.4}})
    run("v1_questions_forecasts_create", 201, client=as_reader, slug="open", body=body)
    assert run("v1_forecasts_list", 200, client=as_reader).results
    credentials = models.CredentialsRequest(
        username=editor.username, password="correct horse battery staple"
    )
    token = run("v1_auth_token_create", 200, client=anonymous, body=credentials)
    assert token.token
    run("v1_auth_token_destroy", 204, client=signed_in(UserFactory()))

    # An editor writes stories and questions, and closes, resolves and annuls.
    new_story = models.StoryRequest.from_dict(
        {
            "headline": "Generated",
            "slug": "generated",
            "status": "draft",
            "question_slugs": ["open"],
        }
    )
    run("v1_stories_create", 201, client=as_editor, body=new_story)
    run("v1_stories_update", 200, client=as_editor, slug="generated", body=new_story)
    patch = models.PatchedStoryRequest.from_dict({"summary": "Short."})
    run("v1_stories_partial_update", 200, client=as_editor, slug="generated", body=patch)
    run("v1_stories_destroy", 204, client=as_editor, slug="generated")
    question = {
        "title": "Generated?",
        "slug": "generated-q",
        "resolution_criteria": "Reports",
        "kind": "binary",
        "status": "published",
        "closes_at": (timezone.now() + timedelta(days=9)).isoformat(),
        "options": [{"label": "Yes"}, {"label": "No"}],
    }
    created = run(
        "v1_questions_create",
        201,
        client=as_editor,
        body=models.QuestionRequest.from_dict(question),
    )
    assert created.status.value == "published"
    ids = [{"id": o.id, "label": o.label} for o in created.options]
    update = models.QuestionRequest.from_dict({**question, "options": ids})
    run("v1_questions_update", 200, client=as_editor, slug="generated-q", body=update)
    retitle = models.PatchedQuestionRequest.from_dict({"title": "Generated, again?"})
    run("v1_questions_partial_update", 200, client=as_editor, slug="generated-q", body=retitle)
    closed = run("v1_questions_close_create", 200, client=as_editor, slug="generated-q")
    assert closed.state.value == "closed"
    resolve = models.ResolveRequest(option=created.options[0].id, note="Yes.")
    settled = run(
        "v1_questions_resolve_create", 200, client=as_editor, slug="generated-q", body=resolve
    )
    assert settled.status.value == "resolved"
    assert settled.resolution.option.label == "Yes"
    annulled = run(
        "v1_questions_annul_create", 200, client=as_editor, slug="upcoming",
        body=models.AnnulRequest(note="Void."),
    )  # fmt: skip
    assert annulled.status.value == "annulled"
    draft = models.QuestionRequest.from_dict({**question, "slug": "to-delete", "status": "draft"})
    run("v1_questions_create", 201, client=as_editor, body=draft)
    run("v1_questions_destroy", 204, client=as_editor, slug="to-delete")

    # Webhook endpoints, owner only.
    endpoint = models.EndpointRequest.from_dict(
        {"url": "https://hooks.example.com/in", "event_types": ["question.resolved"]}
    )
    made = run("v1_webhooks_create", 201, client=as_reader, body=endpoint)
    assert made.secret.startswith("whsec_")
    run("v1_webhooks_list", 200, client=as_reader)
    run("v1_webhooks_retrieve", 200, client=as_reader, id=made.id)
    run("v1_webhooks_retrieve", 404, client=as_editor, id=made.id)
    run("v1_webhooks_update", 200, client=as_reader, id=made.id, body=endpoint)
    off = models.PatchedEndpointRequest.from_dict({"is_active": False})
    assert (
        run("v1_webhooks_partial_update", 200, client=as_reader, id=made.id, body=off).is_active
        is False
    )
    assert run("v1_webhooks_deliveries_list", 200, client=as_reader, id=made.id) == []
    run("v1_webhooks_destroy", 204, client=as_reader, id=made.id)

    assert called == set(ops), f"not called: {set(ops) - called}"
    assert api  # the generated package's API module imports


def _operations():
    """The generated module of every operation in the schema."""
    schema = json.loads(DjangoClient().get("/api/schema/?format=json").content)
    return {
        re.sub(r"\W", "_", operation["operationId"])  # as the generator names modules
        for path in schema["paths"].values()
        for operation in path.values()
    }
