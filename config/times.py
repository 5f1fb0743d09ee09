"""Times the database can hold and every page can show: one rule for every time that
comes in (API bodies and filters, admin forms, the importer, `load_demo`).

PostgreSQL refuses a UTC offset beyond ±15:59 (Python allows ±23:59), and Python's own
dates stop at years 1 and 9999, so a time such as 0001-01-01T00:00+14:00 (year 0 in UTC)
or 9999-12-31T23:00-14:00 (year 10000) could be stored but never read back, and would
break every page that lists it. Times are kept between 1900 and 9999, with a day's slack
at the end so that they show in any time zone, and handed on in UTC.
"""

from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)
OUT_OF_RANGE = "Give a time between 1900 and 9999."


def storable_time(moment):
    """`moment` in UTC, or ValidationError if the database could not hold it or a page
    could not show it. A naive time is taken in the current time zone; None stays None."""
    if moment is None:
        return None
    try:
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        utc = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValidationError(OUT_OF_RANGE, code="out_of_range") from None
    if not EARLIEST <= utc <= LATEST:
        raise ValidationError(OUT_OF_RANGE, code="out_of_range")
    return utc
