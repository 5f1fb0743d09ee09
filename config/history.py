"""Editorial history: every change an editor makes is a django-reversion revision.

The admin's forms record revisions by themselves (VersionAdmin); actions and custom admin
views wrap their writes in `revision_for` so a publish, a resolution or an import is in
the history too, with who and when.
"""

from contextlib import contextmanager

import reversion
from reversion.models import Version


@contextmanager
def revision_for(request, comment):
    with reversion.create_revision():
        reversion.set_user(request.user)
        reversion.set_comment(comment)
        yield


def record(obj):
    """Add `obj` (and what its registration follows) to the current revision."""
    reversion.add_to_revision(obj)


def last_change(obj):
    """(user, time) of the newest revision of `obj`, or (None, None)."""
    version = Version.objects.get_for_object(obj).select_related("revision__user").first()
    if version is None:
        return None, None
    return version.revision.user, version.revision.date_created
