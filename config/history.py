"""Editorial history: every change an editor makes is a django-reversion revision.

The admin's forms record revisions by themselves (VersionAdmin); actions and custom admin
views wrap their writes in `revision_for` so a publish, a resolution or an import is in
the history too, with who and when.
"""

from contextlib import contextmanager

import reversion
from django.db.models import CharField, OuterRef, Prefetch, Subquery
from django.db.models.functions import Cast
from reversion.models import Revision, Version


@contextmanager
def revision_for(request, comment):
    with reversion.create_revision():
        reversion.set_user(request.user)
        reversion.set_comment(comment)
        yield


@contextmanager
def revision_by(user, comment):
    """A revision by `user` with `comment`, for writes outside the admin's forms (the API,
    review moves). Inside a revision already open, that one takes the comment."""
    if reversion.is_active():
        reversion.set_comment(comment)
        yield
        return
    with reversion.create_revision():
        reversion.set_user(user)
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


def with_last_revision(queryset, among=None):
    """`queryset` with `last_comment`, `last_changed_at` and `last_changed_by` (a username)
    of each row's newest revision (of those matching the Version filter `among`, if
    given): one query for a whole list."""
    opts = queryset.model._meta
    newest = Version.objects.filter(
        content_type__app_label=opts.app_label,
        content_type__model=opts.model_name,
        object_id=Cast(OuterRef("pk"), CharField()),
    ).order_by("-revision__date_created", "-pk")
    if among is not None:
        newest = newest.filter(among)
    return queryset.annotate(
        last_comment=Subquery(newest.values("revision__comment")[:1]),
        last_changed_at=Subquery(newest.values("revision__date_created")[:1]),
        last_changed_by=Subquery(newest.values("revision__user__username")[:1]),
    )


def recent_revisions(limit):
    """The newest `limit` revisions with who made them and what they touched: two queries."""
    versions = Version.objects.select_related("content_type").order_by("pk")
    return (
        Revision.objects.select_related("user")
        .prefetch_related(Prefetch("version_set", queryset=versions))
        .order_by("-date_created", "-pk")[:limit]
    )
