"""Editing what others may be editing too: nobody overwrites anybody silently.

A model that editors change declares `EDITORIAL_FIELDS` (and may add `editorial_extras()`,
e.g. a question's options). Its *edit version* is a hash of that state: readers'
forecasts and running counts leave it alone, any editorial change moves it.

- The admin's change forms (`EditConflictForm`) carry what the editor saw; saving after
  someone else saved refuses once, naming who, when and what changed, and keeps the
  editor's input; saving again is the editor's choice to replace the other version.
- API writes (config.api.conditional.IfMatchMixin) take `If-Match` with the version (or
  the ETag of a read): a stale one is a 412, never a silent overwrite.
- `RetryRacedSaveAdmin` turns a save that lost a race on a unique slug or label (the
  database refused it after the form's checks passed) into the form's own error.
"""

import hashlib
import json

from django import forms
from django.core import signing
from django.db import IntegrityError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import Truncator

from config.conflicts import StaleEdit
from config.history import last_change

SNAPSHOT_SALT = "config.editing.snapshot"


def editorial_state(instance):
    """{name: value} of what an editor edits on `instance`, as JSON-able values."""
    state = {name: _plain(getattr(instance, name)) for name in instance.EDITORIAL_FIELDS}
    extras = getattr(instance, "editorial_extras", None)
    if extras is not None:
        state.update(extras())
    return state


def _plain(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


def edit_version(instance):
    """The edit version of `instance`: changes with every editorial change, only then."""
    raw = json.dumps(editorial_state(instance), sort_keys=True, default=str)
    return hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()[:20]


def changed_since(instance, seen):
    """The names whose value differs between `seen` (an editorial_state()) and now."""
    now = editorial_state(instance)
    return [name for name in now if now.get(name) != seen.get(name)]


def last_changed_by(instance):
    """ "amira on 27 Nov 2026, 18:40", from the editorial history, for conflict messages."""
    who, when = last_change(instance)
    by = str(who) if who else "someone else"
    return f"{by} on {date_format(timezone.localtime(when), 'j M Y, H:i')}" if when else by


def describe_change(instance, changed):
    """ "amira on 27 Nov 2026, 18:40 changed: headline, body." for a conflict message."""
    names = ", ".join(_label(instance, name) for name in changed)
    return f"{last_changed_by(instance)} changed: {names}."


def _shown(value):
    return Truncator(str(value)).chars(160)


def _label(instance, name):
    try:
        return str(instance._meta.get_field(name).verbose_name)
    except Exception:  # an extra such as "options"
        return name


class EditConflictForm(forms.ModelForm):
    """A change form that refuses, once, to overwrite a change made since it was opened."""

    edit_snapshot = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["edit_snapshot"].initial = signing.dumps(
                editorial_state(self.instance), salt=SNAPSHOT_SALT, compress=True
            )

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk:
            return cleaned
        try:
            seen = signing.loads(cleaned.get("edit_snapshot") or "", salt=SNAPSHOT_SALT)
        except signing.BadSignature:
            return cleaned  # no snapshot (e.g. an old page): nothing to compare with
        # self.instance is the row as the database holds it now: the form's values are
        # copied onto it only after clean().
        changed = changed_since(self.instance, seen)
        if changed:
            current = editorial_state(self.instance)
            # Saving the same form again is the editor's choice to replace that version.
            self.data = self.data.copy()
            self.data[self.add_prefix("edit_snapshot")] = signing.dumps(
                current, salt=SNAPSHOT_SALT, compress=True
            )
            their = [
                f"{_label(self.instance, name)} is now “{_shown(current[name])}”"
                for name in changed
            ]
            raise forms.ValidationError(
                [
                    "This was saved by someone else while you were editing it: "
                    + describe_change(self.instance, changed),
                    *their,
                    "Your version is below and nothing of it was saved. Save again to replace "
                    "theirs with yours, or reload the page to start from theirs.",
                ],
                code="stale",
            )
        return cleaned


def check_if_match(if_match, instance, read_etag=""):
    """Refuse a write whose If-Match names neither the current edit version of `instance`
    nor the current ETag of a read (`read_etag`). No If-Match: no precondition."""
    if if_match is None:
        return
    wanted = {tag.strip().removeprefix("W/").strip('"') for tag in if_match.split(",")}
    version = edit_version(instance)
    if "*" in wanted or version in wanted or (read_etag and read_etag.strip('"') in wanted):
        return
    raise StaleEdit(
        f"It changed since you read it (last by {last_changed_by(instance)}); its version is "
        f'now "{version}". Read it again, then send If-Match: "{version}".',
        version=version,
    )


class RetryRacedSaveAdmin:
    """A ModelAdmin mixin: a save that lost a race on a unique constraint is tried once
    more, when the form's own checks see the row that won and say so."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except IntegrityError:
            if request.method != "POST":
                raise
            return super().changeform_view(request, object_id, form_url, extra_context)
