"""A story's lead image: what an upload must be, and the renditions readers get.

Uploads are checked before Pillow decodes a pixel (size in bytes, then the pixel count
from the header, which is how a decompression bomb gives itself away), so a bad file is a
form error, never a 500 or a worker eating all its memory. Renditions are made by
django-imagekit (Pillow underneath) when the story is saved with a new image, as WebP at
a few widths for `srcset`, plus a JPEG for browsers and link previews that want one.
Reading a rendition's URL costs no query, cache or storage round trip
(IMAGEKIT_DEFAULT_CACHEFILE_STRATEGY is Optimistic), so pages keep their fixed cost.
"""

import warnings

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.template.defaultfilters import filesizeformat
from imagekit.models import ImageSpecField
from PIL import Image
from pilkit.processors import ResizeToFill, ResizeToFit, Transpose

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
# Widths of the WebP renditions in `srcset`: a phone, a tablet or the article column on a
# laptop, and twice those on dense screens.
RENDITION_WIDTHS = (480, 800, 1200, 1600)
FALLBACK_WIDTH = 1200
SHARE_SIZE = (1200, 630)  # what link previews (og:image) crop to


def check_image_upload(file):
    """Raise ValidationError unless `file` is a JPEG, PNG or WebP within the limits."""
    limit = settings.IMAGE_UPLOAD_MAX_BYTES
    if file.size > limit:
        raise ValidationError(
            "This file is %(size)s; images may be at most %(limit)s.",
            code="too_large",
            params={"size": filesizeformat(file.size), "limit": filesizeformat(limit)},
        )
    start = file.tell() if hasattr(file, "tell") else 0
    try:
        with warnings.catch_warnings():
            # Pillow warns past its pixel limit (the checks below say more), and refuses
            # past twice that; IMAGE_MAX_PIXELS is its limit too (NewsConfig.ready()).
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(file) as image:  # reads the header, decodes nothing
                kind, (width, height) = image.format, image.size
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except Exception:  # Pillow raises many kinds for "not an image"
        raise ValidationError(
            "This file is not an image we can use: upload a JPEG, PNG or WebP.",
            code="invalid_image",
        ) from None
    finally:
        file.seek(start)
    if kind not in ALLOWED_FORMATS:
        raise ValidationError(
            "Upload a JPEG, PNG or WebP (this file is %(kind)s).",
            code="invalid_image",
            params={"kind": kind},
        )
    if width * height > settings.IMAGE_MAX_PIXELS:
        raise _too_many_pixels(width, height)


def _too_many_pixels(width=None, height=None):
    megapixels = settings.IMAGE_MAX_PIXELS / 1_000_000
    size = f"{width:,} × {height:,} pixels" if width else "far more pixels than that"
    return ValidationError(
        "This image is %(size)s: at most %(megapixels)g megapixels, please (a small file "
        "that opens to a huge picture can take the site down).",
        code="too_many_pixels",
        params={"size": size, "megapixels": megapixels},
    )


def validate_new_upload(file):
    """The model field's validator: checks a new upload; an image already stored passed."""
    if not getattr(file, "_committed", True):
        check_image_upload(file)


class LeadImageFormField(forms.ImageField):
    """Checks limits before Django's own check, which decodes the whole image."""

    def to_python(self, data):
        if data not in self.empty_values:
            check_image_upload(data)
        return super().to_python(data)


class LeadImageField(models.ImageField):
    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": LeadImageFormField, **kwargs})


def webp_rendition(width):
    return ImageSpecField(
        source="image",
        processors=[Transpose(), ResizeToFit(width=width, upscale=False)],
        format="WEBP",
        options={"quality": 78},
    )


def jpeg_rendition(*processors):
    return ImageSpecField(
        source="image",
        processors=[Transpose(), *processors],
        format="JPEG",
        options={"quality": 82, "progressive": True},
    )


def fallback_rendition():
    return jpeg_rendition(ResizeToFit(width=FALLBACK_WIDTH, upscale=False))


def share_rendition():
    return jpeg_rendition(ResizeToFill(*SHARE_SIZE))
