"""The languages stories and questions are written in, and which way their text runs.

The site's own language (LANGUAGE_CODE) is the default; any language Django knows may be
chosen. Pages put the content's language and direction on the element that holds it
(`lang`, `dir`), so Arabic, Hebrew, Persian or Urdu reads right to left inside an
English page.
"""

from django.conf import settings
from django.utils.translation import get_language_info


def default_language():
    return settings.LANGUAGE_CODE


def language_choices():
    """(code, name) for the site's language first, then every language Django knows."""
    site = settings.LANGUAGE_CODE
    return [(site, language_name(site))] + [
        (code, name) for code, name in settings.LANGUAGES if code != site
    ]


def language_name(code):
    try:
        return get_language_info(code)["name"]
    except KeyError:
        return code


def text_direction(code):
    """ "rtl" for right-to-left languages (Django's own list: Arabic, Hebrew, Persian,
    Urdu…), else "ltr"."""
    try:
        return "rtl" if get_language_info(code)["bidi"] else "ltr"
    except KeyError:
        return "ltr"
