"""Conflicts: a request that was valid when it was made, but someone else got there first.

`Conflict` is a ValidationError, so a form shows it like any other error; the API answers
it with 409 (config.api.errors). `StaleEdit` is the editor's case: the record changed
since they opened it (412 in the API, a form error naming the changes in the admin).
"""

from django.core.exceptions import ValidationError


class Conflict(ValidationError):
    """The current state of a record forbids the change, e.g. it was settled meanwhile."""


class StaleEdit(Conflict):
    """The record changed since the client or editor last read it."""

    def __init__(self, message, changed=(), version=""):
        super().__init__(message)
        self.changed = list(changed)
        self.version = version
