"""Review before publishing: who may move a story or a question between draft, in review
and published, and the history entry every move leaves.

Roles are in config.roles: reporters write and submit for review; editors (who hold the
`publish_<model>` permission) publish, send back for changes with a comment, unpublish,
and alone may change what readers already see. An editor may publish directly, as
Wagtail's moderators do: review is the second pair of eyes on a reporter's work.

With `EDITORIAL_REVIEW` off (small newsrooms, the behaviour before review existed)
whoever may change an item may publish it, and nothing is sent to review.

A model takes part by having a `Status` with DRAFT, IN_REVIEW and PUBLISHED, a
`publish()` method and a `publish_<model>` permission (news.Story, forecasts.Question).
The admin's forms and actions and the API call these functions; none re-implements them.
Resolving, closing and annulling a question are forecasts.outcomes' moves; `may_resolve`
says who may make them.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from reversion.models import Version

from config.history import revision_by, with_last_revision

DRAFT, IN_REVIEW, PUBLISHED = "draft", "in_review", "published"
WORKFLOW_STATUSES = (DRAFT, IN_REVIEW, PUBLISHED)
UNPUBLISHED = (DRAFT, IN_REVIEW)

# The history comments of the moves (a revision's comment starts with one of these).
SUBMITTED = "Submitted for review"
WITHDRAWN = "Withdrawn from review"
CHANGES_REQUESTED = "Changes requested"
PUBLISHED_DIRECTLY = "Published"
APPROVED = "Approved and published"
UNPUBLISHED_AGAIN = "Unpublished"
MOVES = (SUBMITTED, WITHDRAWN, CHANGES_REQUESTED, APPROVED, PUBLISHED_DIRECTLY, UNPUBLISHED_AGAIN)


def review_required():
    """Whether publishing needs the publish permission (EDITORIAL_REVIEW, on by default)."""
    return settings.EDITORIAL_REVIEW


def _permission(model, action):
    opts = model._meta
    return f"{opts.app_label}.{action}_{opts.model_name}"


def may_publish(user, model):
    """Whether `user` may publish, approve, send back and unpublish items of `model` (a
    model or an instance)."""
    action = "publish" if review_required() else "change"
    return user.has_perm(_permission(model, action))


def may_edit(user, item):
    """Whether `user` may change `item` as it is stored. A draft or an item in review is
    its writer's to change; what readers see (published, resolved, annulled) only an
    editor's, so a reporter's change to it cannot skip review."""
    if not user.has_perm(_permission(item, "change")):
        return False
    return item.status in UNPUBLISHED or may_publish(user, item)


def may_resolve(user):
    """Whether `user` may close, resolve and annul questions (forecasts.outcomes)."""
    return user.has_perm("forecasts.resolve_question")


def check_move(user, item, old, new):
    """Raise unless `user` may move `item` from status `old` to `new`.

    PermissionDenied when the role does not allow it (an editor could), ValidationError
    when it is no move at all. Statuses outside the review workflow (a question's
    resolved and annulled) are forecasts.outcomes' business and pass through.
    """
    if old == new or old not in WORKFLOW_STATUSES or new not in WORKFLOW_STATUSES:
        return
    publisher = may_publish(user, item)
    name = item._meta.verbose_name
    if new == IN_REVIEW:
        if not review_required():
            raise ValidationError(
                {"status": "Review is turned off here: publish it or keep it as a draft."}
            )
        if old != DRAFT:
            raise ValidationError(
                {"status": f"Only a draft goes to review; unpublish the {name} first."}
            )
    elif new == PUBLISHED and not publisher:
        raise PermissionDenied(
            f"Only an editor can publish a {name}. Submit it for review (status "
            "“In review”) and an editor will publish it."
        )
    elif old == PUBLISHED and not publisher:
        raise PermissionDenied(f"Only an editor can unpublish a {name}.")


def move_comment(user, item, old, new, note=""):
    """The history comment for moving `item` from `old` to `new` (None if the status
    stays), after check_move(). Sending a submission back needs a note for the writer."""
    check_move(user, item, old, new)
    if old == new or old not in WORKFLOW_STATUSES or new not in WORKFLOW_STATUSES:
        return None
    note = (note or "").strip()
    if new == IN_REVIEW:
        move = SUBMITTED
    elif new == PUBLISHED:
        move = APPROVED if old == IN_REVIEW else PUBLISHED_DIRECTLY
    elif old == PUBLISHED:
        move = UNPUBLISHED_AGAIN
    elif review_required() and may_publish(user, item):
        if not note:
            raise ValidationError(
                {"review_note": "Say what needs changing: the writer sees this note."}
            )
        move = CHANGES_REQUESTED
    else:
        move = WITHDRAWN
    return f"{move}: {note}" if note else move


def statuses_for(user, item):
    """The statuses `user` may pick for `item` (unsaved: a new one) in a form, in order."""
    old = item.status if item.pk else DRAFT
    allowed = []
    for status in WORKFLOW_STATUSES:
        try:
            check_move(user, item, old, status)
        except (PermissionDenied, ValidationError):
            continue
        allowed.append(status)
    return allowed


def move(item, user, new, note="", now=None):
    """Move `item` to status `new` for `user`, with its history entry, in one transaction.

    The row is locked and checked again inside it, so two editors acting at once make
    one move. Returns the history comment, or None when the status was already `new`.
    """
    model = type(item)
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=item.pk)
        comment = move_comment(user, locked, locked.status, new, note)
        if comment is not None:
            with revision_by(user, comment):
                if new == PUBLISHED:
                    locked.publish(now=now)
                else:
                    locked.status = new
                    locked.save(update_fields=["status", "updated_at"])
    for name in ("status", "published_at", "updated_at"):
        if hasattr(locked, name):
            setattr(item, name, getattr(locked, name))
    return comment


def _moves():
    """Versions whose revision is a review move."""
    moves = Q()
    for name in MOVES:
        moves |= Q(revision__comment__startswith=name)
    return moves


def latest_move(item):
    """The newest review move of `item`: its revision (with `user`), or None."""
    version = (
        Version.objects.get_for_object(item)
        .filter(_moves())
        .select_related("revision__user")
        .order_by("-revision__date_created", "-pk")
        .first()
    )
    return version.revision if version else None


def waiting_for_review(queryset):
    """The items of `queryset` in review, the longest waiting first, each with its last
    move (`last_changed_by` submitted it, at `last_changed_at`, saying `last_comment`)."""
    in_review = with_last_revision(queryset.filter(status=IN_REVIEW), among=_moves())
    return in_review.order_by("updated_at", "pk")


def sent_back(queryset):
    """The drafts of `queryset` whose last move was an editor's request for changes (in
    `last_comment`), not yet submitted again: newest request first."""
    return (
        with_last_revision(queryset.filter(status=DRAFT), among=_moves())
        .filter(last_comment__startswith=CHANGES_REQUESTED)
        .order_by("-last_changed_at", "-pk")
    )
