"""Firing an event: the one call the apps make (`fire(EventType.…, subject, data)`).

Nothing is sent on the request path: once the transaction commits, a task records the
event and fans it out to the subscribed endpoints (config.webhooks.tasks).
"""

from config.tasks import enqueue_on_commit
from config.webhooks.models import EventType
from config.webhooks.tasks import record_event

__all__ = ["EventType", "fire"]


def fire(event_type, subject, data, once=False):
    """Deliver `data` to every active endpoint subscribed to `event_type`, after commit.

    `once`: at most one such event per subject, ever (a question is published, closed,
    resolved once); firing it again is a no-op.
    """
    enqueue_on_commit(record_event, EventType(event_type).value, subject, data, once)
