"""Error pages: friendly for readers."""

import pytest

from tests.client_helpers import text_of

pytestmark = pytest.mark.django_db


def test_not_found_pages_are_friendly(client):
    response = client.get("/stories/no-such-story/")
    assert response.status_code == 404
    assert "We could not find that page" in text_of(response)


def test_server_error_page_stands_alone():
    from django.template.loader import render_to_string

    assert "Something went wrong on our side" in render_to_string("500.html")
