"""Requests the site refuses, and the words that tell the sender why.

Django refuses a request body over DATA_UPLOAD_MAX_MEMORY_SIZE bytes or with more than
DATA_UPLOAD_MAX_NUMBER_FIELDS fields (both set from the environment in config.settings)
with a bare 400; `explain()` turns that refusal into a sentence a reader or an API client
can act on. The 400 page (config.urls.handler400) and the API's error shape
(config.api.errors) both use it.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format

NBSP = "\N{NO-BREAK SPACE}"


def explain(exception):
    """What to tell the sender of a request refused with `exception`, or None when there
    is nothing to say beyond "bad request"."""
    if isinstance(exception, RequestDataTooBig):
        size = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE).replace(NBSP, " ")
        return (
            f"What you sent is larger than this site accepts in one request: at most {size}. "
            "Send less at a time, for example one question per paste."
        )
    if isinstance(exception, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        return (
            f"What you sent has more fields than this site accepts in one request: at most "
            f"{number_format(limit, force_grouping=True)}. Send fewer at a time."
        )
    if isinstance(exception, TooManyFilesSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        return f"What you sent has more files than this site accepts: at most {limit}."
    return None
