"""A story's lead image: uploads checked in the admin, renditions in srcset, og:image."""

import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from news.models import Story
from tests.client_helpers import errors_of, split_datetime
from tests.factories import StoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def image_file(width=1600, height=900, kind="JPEG", mode="RGB", name="lead.jpg"):
    buffer = io.BytesIO()
    Image.new(mode, (width, height), "#2a6f97" if mode == "RGB" else 1).save(buffer, kind)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{kind.lower()}")


def story_form(**fields):
    from django.utils import timezone

    data = {
        "headline": "Soldiers cross at Al-Qaim",
        "slug": "soldiers-cross",
        "summary": "",
        "body": "Text.",
        "language": "en-us",
        "source_name": "",
        "source_url": "",
        "dateline": "",
        "status": "published",
        **split_datetime("published_at", timezone.now()),
        "image_alt": "Soldiers queue at the crossing",
        "image_caption": "",
        "image_credit": "",
        "links-TOTAL_FORMS": "0",
        "links-INITIAL_FORMS": "0",
        "links-MIN_NUM_FORMS": "0",
        "links-MAX_NUM_FORMS": "1000",
    }
    data.update(fields)
    return data


def add_story(client, **fields):
    return client.post("/admin/news/story/add/", story_form(**fields))


def test_editor_uploads_a_lead_image_and_readers_get_renditions(client, editor):
    response = add_story(client, image=image_file(), image_caption="At the crossing",
                         image_credit="Wire photo")  # fmt: skip
    assert response.status_code == 302, errors_of(response)
    story = Story.objects.get()
    assert (story.image_width, story.image_height) == (1600, 900)
    assert [width for _, width in story.image_renditions()] == [480, 800, 1200, 1600]
    assert all(url.endswith(".webp") for url, _ in story.image_renditions())
    for url, width in story.image_renditions():  # made when the story was saved
        path = story.image.storage.path(url.removeprefix("/media/"))
        with Image.open(path) as rendition:
            assert rendition.format == "WEBP"
            assert rendition.width == width
    client.logout()
    html = client.get(story.get_absolute_url()).content.decode()
    assert 'type="image/webp" srcset="' in html
    assert " 480w, " in html
    assert 'alt="Soldiers queue at the crossing"' in html
    assert 'width="1200" height="675"' in html
    assert "At the crossing" in html
    assert "Wire photo" in html
    assert f'<meta property="og:image" content="http://testserver{story.image_share.url}">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html


def test_a_small_image_is_not_enlarged(client, editor):
    add_story(client, image=image_file(width=600, height=400))
    story = Story.objects.get()
    assert [width for _, width in story.image_renditions()] == [480, 600]


def test_an_image_needs_alt_text(client, editor):
    response = add_story(client, image=image_file(), image_alt="")
    assert response.status_code == 200
    assert "alt text is required" in errors_of(response)
    assert not Story.objects.exists()


def test_a_file_that_is_not_an_image_is_a_form_error(client, editor):
    fake = SimpleUploadedFile("lead.jpg", b"<?php echo 'hello'; ?>", content_type="image/jpeg")
    response = add_story(client, image=fake)
    assert response.status_code == 200
    assert "not an image we can use" in errors_of(response)
    assert not Story.objects.exists()


def test_a_file_over_the_size_limit_is_a_form_error(client, editor, settings):
    settings.IMAGE_UPLOAD_MAX_BYTES = 10_000
    buffer = io.BytesIO()
    Image.frombytes("RGB", (200, 200), os.urandom(200 * 200 * 3)).save(buffer, "PNG")  # noise
    noise = SimpleUploadedFile("big.png", buffer.getvalue(), content_type="image/png")
    response = add_story(client, image=noise)
    assert response.status_code == 200
    assert "images may be at most 9.8" in errors_of(response)
    assert not Story.objects.exists()


def test_an_image_over_the_pixel_limit_is_a_form_error(client, editor):
    # A few kilobytes of PNG that decode to 48 million pixels, past the 40 allowed.
    big = image_file(width=8_000, height=6_000, kind="PNG", mode="1", name="big.png")
    assert big.size < 100_000
    response = add_story(client, image=big)
    assert response.status_code == 200
    assert "8,000 × 6,000 pixels: at most 40 megapixels" in errors_of(response)
    assert not Story.objects.exists()


def test_a_decompression_bomb_is_a_form_error(client, editor):
    # 144 million pixels: past twice the limit, Pillow will not even read on.
    bomb = image_file(width=12_000, height=12_000, kind="PNG", mode="1", name="bomb.png")
    response = add_story(client, image=bomb)
    assert response.status_code == 200
    assert "far more pixels than that: at most 40 megapixels" in errors_of(response)
    assert not Story.objects.exists()


def test_a_story_without_an_image_has_no_figure_and_a_plain_card(client):
    story = StoryFactory()
    html = client.get(story.get_absolute_url()).content.decode()
    assert "<picture>" not in html
    assert "og:image" not in html
    assert '<meta name="twitter:card" content="summary">' in html
