"""Shared media: with MEDIA_S3_BUCKET set, lead images and their imagekit renditions go
to S3-compatible storage and pages point at it. Runs against moto's S3 server on a free
loopback port (skipped, with the reason, when it cannot start); local disk otherwise."""

import io
import json
import secrets
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.conf import settings as django_settings
from PIL import Image

from news.models import Story
from tests.client_helpers import errors_of, in_fresh_process
from tests.conftest import free_port
from tests.test_story_images import add_story, image_file

BUCKET = "forecast-media"


@pytest.fixture
def s3_server():
    """moto's S3 server (`python -m moto.server`) with an empty bucket; its URL."""
    boto3 = pytest.importorskip("boto3")
    pytest.importorskip("moto.server", reason="needs moto[server] (requirements-dev.txt)")
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 (our own server, fixed arguments)
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.skip(f"moto's S3 server did not start: {server.stderr.read()[-300:]}")
                time.sleep(0.1)
        client = boto3.client(
            "s3",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        client.create_bucket(Bucket=BUCKET)
        yield url, client
    finally:
        server.terminate()
        server.wait(timeout=10)


def settings_with(**env):
    """config.settings as a process with `env` reads it: STORAGES and the CSP's img-src."""
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.STORAGES['default'], s.SECURE_CSP['img-src']]))"
    )
    result = in_fresh_process(
        code,
        **{"DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "DATABASE_URL": "sqlite:///:memory:"}
        | env,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_without_a_bucket_media_stays_on_local_disk():
    storage, img_src = settings_with(MEDIA_S3_BUCKET="")
    assert storage == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert img_src == ["'self'", "data:"]


def test_a_lead_image_and_its_renditions_go_to_s3_and_pages_point_there(
    client, editor, settings, s3_server
):
    url, s3 = s3_server
    storage, img_src = settings_with(
        MEDIA_S3_BUCKET=BUCKET,
        MEDIA_S3_ENDPOINT_URL=url,
        MEDIA_S3_REGION="us-east-1",
        MEDIA_S3_ACCESS_KEY_ID="testing",
        MEDIA_S3_SECRET_ACCESS_KEY="testing",
        MEDIA_S3_ACL="public-read",
    )
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert img_src[-1] == url  # the CSP lets pages show images from the bucket
    settings.STORAGES = {**django_settings.STORAGES, "default": storage}
    settings.MEDIA_ROOT = "/nonexistent"  # nothing may be written to local disk

    response = add_story(client, image=image_file())
    assert response.status_code == 302, errors_of(response)
    story = Story.objects.get()

    stored = {item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert story.image.name in stored
    renditions = [story.image_480, story.image_1600, story.image_fallback, story.image_share]
    assert {rendition.name for rendition in renditions} <= stored  # made on save

    client.logout()
    html = client.get(story.get_absolute_url()).content.decode()
    for rendition_url, width in story.image_renditions():
        assert rendition_url.startswith(f"{url}/{BUCKET}/")
        assert "?" not in rendition_url  # unsigned: the same URL on every render
        assert rendition_url in html
        # Readers' browsers fetch it from the bucket, not from the app.
        with urllib.request.urlopen(rendition_url, timeout=5) as answer:  # noqa: S310
            fetched = io.BytesIO(answer.read())
        with Image.open(fetched) as image:
            assert (image.format, image.width) == ("WEBP", width)
    assert story.image_fallback.url in html
    assert f'<meta property="og:image" content="{story.image_share.url}">' in html
