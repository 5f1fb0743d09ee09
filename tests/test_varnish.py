"""A real Varnish (Debian's varnishd with vmod xkey, the shipped VCL) in front of the
site: pages are kept, a publish or an edit purges exactly the keys it affects (the purge
task runs at once here, as every task in tests), and the change shows through Varnish
within a second while unrelated pages stay cached. Skipped, with the reason, without
varnishd or vmod xkey."""

import time
import urllib.error
import urllib.request

import pytest

from scripts import varnish as varnish_helper
from tests.factories import StoryFactory

pytestmark = pytest.mark.skipif(
    bool(varnish_helper.missing()), reason=str(varnish_helper.missing())
)


@pytest.fixture
def varnish(live_server, settings):
    port = int(live_server.url.rsplit(":", 1)[1])
    server = varnish_helper.Varnish(port)
    try:
        server.start()
    except RuntimeError as error:
        pytest.skip(str(error))
    settings.CDN_PURGER = "varnish"
    settings.CDN_SURROGATE_HEADER = "xkey"
    settings.CDN_PURGE_URLS = [server.url + "/"]
    settings.PUBLIC_RESPONSE_CACHE = False  # Varnish alone: every miss reaches the view
    yield server
    server.stop()


def get(server, path, headers=None):
    request = urllib.request.Request(server.url + path, headers=headers or {})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
        return response.status, dict(response.headers), response.read().decode()


def cached(server, path, headers=None):
    """GET until Varnish answers from its cache (the second GET, unless a purge raced)."""
    for _ in range(3):
        _, got, body = get(server, path, headers)
        if got.get("X-Cache") == "HIT":
            return got, body
    raise AssertionError(f"{path} never came from the cache: {got}")


def until(deadline_seconds, check):
    start = time.monotonic()
    while True:
        result = check()
        if result or time.monotonic() - start > deadline_seconds:
            return result, time.monotonic() - start
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_an_edit_shows_through_varnish_within_a_second_and_other_pages_stay_cached(varnish):
    story = StoryFactory(headline="Soldiers cross at Al-Qaim")
    other = StoryFactory(headline="An unrelated story")
    status, first, _ = get(varnish, f"/stories/{story.slug}/")
    assert status == 200
    assert first["X-Cache"] == "MISS"
    assert "s-maxage=3600" in first["Cache-Control"]
    assert "xkey" not in first  # the keys are for Varnish only
    hit, body = cached(varnish, f"/stories/{story.slug}/")
    assert "Soldiers cross at Al-Qaim" in body
    assert len(hit["X-Varnish"].split()) == 2  # this request's id and the cached object's
    cached(varnish, f"/stories/{other.slug}/")

    story.headline = "Soldiers return from Al-Qaim"
    story.save()

    shown, seconds = until(
        1.0, lambda: "Soldiers return from Al-Qaim" in get(varnish, f"/stories/{story.slug}/")[2]
    )
    assert shown, f"the edit did not show through Varnish within a second ({seconds:.2f} s)"
    assert get(varnish, f"/stories/{other.slug}/")[1]["X-Cache"] == "HIT"


@pytest.mark.django_db(transaction=True)
def test_a_publish_reaches_the_cached_home_page_through_varnish_within_a_second(varnish):
    other = StoryFactory(headline="Yesterday's story")
    draft = StoryFactory(draft=True, headline="Breaking: the border reopens")
    cached(varnish, "/")
    cached(varnish, f"/stories/{other.slug}/")

    draft.publish()

    shown, seconds = until(1.0, lambda: "Breaking: the border reopens" in get(varnish, "/")[2])
    assert shown, f"the publish did not reach the home page within a second ({seconds:.2f} s)"
    assert get(varnish, f"/stories/{draft.slug}/")[0] == 200
    assert get(varnish, f"/stories/{other.slug}/")[1]["X-Cache"] == "HIT"


@pytest.mark.django_db(transaction=True)
def test_signed_in_readers_and_api_tokens_go_past_varnish(varnish):
    story = StoryFactory()
    path = f"/stories/{story.slug}/"
    cached(varnish, path)
    for headers in ({"Cookie": "sessionid=abc"}, {"Authorization": "Token abc"}):
        assert get(varnish, path, headers)[1]["X-Cache"] == "MISS"
        assert get(varnish, path, headers)[1]["X-Cache"] == "MISS"
    # Any other cookie (csrftoken, analytics) shares the anonymous copy.
    assert get(varnish, path, {"Cookie": "csrftoken=x; _ga=y"})[1]["X-Cache"] == "HIT"


@pytest.mark.django_db(transaction=True)
def test_a_purge_must_name_its_keys(varnish):
    story = StoryFactory()
    cached(varnish, f"/stories/{story.slug}/")
    # The tests run on 127.0.0.1, which the VCL lets purge; without keys it refuses, so
    # a stray PURGE never empties the whole cache.
    request = urllib.request.Request(varnish.url + "/", method="PURGE")  # noqa: S310
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)  # noqa: S310 (loopback)
    assert refused.value.code == 400
    assert get(varnish, f"/stories/{story.slug}/")[1]["X-Cache"] == "HIT"
