"""Driving pages from tests: admin form posts with their inline management forms, query
counts, and pages as readers read them."""

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

ROOT = Path(__file__).resolve().parent.parent


def in_fresh_process(code, **env):
    """Run Python `code` in a fresh interpreter from the project's root, with
    config.settings and exactly `env` (plus PATH) for its environment: the settings as a
    server reads them when it starts. Returns the CompletedProcess (text output)."""
    return subprocess.run(  # noqa: S603 (our own interpreter, the tests' own code)
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def inline(prefix, rows, initial=0):
    """POST data for an inline formset: `rows` is a list of dicts of field values."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"{prefix}-{index}-{name}"] = value
    return data


def split_datetime(name, value):
    """The admin's date and time inputs for a datetime field."""
    return {f"{name}_0": value.strftime("%Y-%m-%d"), f"{name}_1": value.strftime("%H:%M:%S")}


def errors_of(response):
    """Every error the admin form page shows, as text, for assertion messages."""
    context = response.context
    errors = []
    if "adminform" in context:
        errors += [str(e) for e in context["adminform"].form.errors.values()]
    for formset in context.get("inline_admin_formsets", []):
        errors += [str(e) for e in formset.formset.errors if e]
        errors += [str(e) for e in formset.formset.non_form_errors()]
    return " ".join(errors)


def queries_for(client, url):
    """How many SQL queries a GET of `url` costs (the page must answer 200)."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def api_client(user=None):
    """An API client signed in as `user` the way real clients are: a token header.

    (DRF's force_authenticate skips the header, so the public response cache, which
    serves anonymous requests before authentication runs, would take it for anonymous.)
    """
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    api = APIClient()
    if user:
        api.credentials(
            HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}"
        )
    return api


def text_of(response):
    """The page as a reader reads it: tags dropped, whitespace collapsed."""
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def at_once(*calls):
    """Run `calls` in threads released together by a barrier; their results in order (an
    exception a call raised stands in for its result). Each thread closes its own
    database connection. Needs a transactional test (django_db(transaction=True))."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # handed back to the test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def committed():
    """Run the block's on-commit callbacks as if it committed (in a test's transaction,
    nothing does): the background tasks it enqueues (scoring, mail, webhooks) then run,
    on the immediate backend the tests use."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def story_form(story, **changes):
    """POST data for a story's admin change form as it stands, with `changes` over it."""
    data = {
        "headline": story.headline,
        "slug": story.slug,
        "summary": story.summary,
        "body": story.body,
        "source_name": story.source_name,
        "source_url": story.source_url,
        "dateline": story.dateline,
        "status": story.status,
        "review_note": "",
        "change_kind": "",
        "correction_note": "",
        **inline("links", []),
    }
    if story.published_at:
        data.update(split_datetime("published_at", story.published_at))
    return {**data, **changes}
