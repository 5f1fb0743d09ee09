"""Requests the site refuses, and the words that tell the sender why.

- A NUL character in the address (`/search/?q=%00`) is refused by `RefuseNulCharacters`
  before any view, cache or query sees it: PostgreSQL cannot hold NUL in text, so every
  lookup with it would be a 500. (NUL in a form field is the field's own error; in an API
  body, config.api.parsers refuses it.)
- Django refuses a request body over DATA_UPLOAD_MAX_MEMORY_SIZE bytes or with more than
  DATA_UPLOAD_MAX_NUMBER_FIELDS fields (both set from the environment in config.settings)
  with a bare 400.

`explain()` turns each refusal into a code and a sentence a reader or an API client can
act on; the 400 page (config.urls.handler400) and the API's error shape (config.api.errors)
both use it.
"""

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format

NUL = "\x00"
NBSP = "\N{NO-BREAK SPACE}"


class NulCharacter(BadRequest):
    """The address holds a NUL character."""


class RefuseNulCharacters:
    """A NUL character in the path or in any name or value of the query string is a 400."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if NUL in request.path or any(
            NUL in name or any(NUL in value for value in values)
            for name, values in request.GET.lists()
        ):
            raise NulCharacter(
                "The address has a NUL character (%00) in it, which no address here uses."
            )
        return self.get_response(request)


def explain(exception):
    """(code, sentence) to tell the sender of a request refused with `exception`, or None
    when there is nothing to say beyond "bad request"."""
    if isinstance(exception, NulCharacter):
        return "nul_character", str(exception)
    if isinstance(exception, RequestDataTooBig):
        size = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE).replace(NBSP, " ")
        return "too_large", (
            f"What you sent is larger than this site accepts in one request: at most {size}. "
            "Send less at a time, for example one question per paste."
        )
    if isinstance(exception, TooManyFieldsSent):
        limit = number_format(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS, force_grouping=True)
        return "too_many_fields", (
            "What you sent has more fields than this site accepts in one request: at most "
            f"{limit}. Send fewer at a time."
        )
    if isinstance(exception, TooManyFilesSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        return "too_many_files", (
            f"What you sent has more files than this site accepts: at most {limit}."
        )
    return None
