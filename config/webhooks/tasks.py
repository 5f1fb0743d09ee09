"""Webhook work in the background (config.tasks): record an event, fan it out, deliver.

Delivery is at least once: each attempt is logged (status, latency, an excerpt of the
answer); a failed one is tried again after an exponential backoff, up to
WEBHOOK_MAX_ATTEMPTS; WEBHOOK_DISABLE_AFTER failed attempts in a row disable the
endpoint, with the reason on it (API and admin) and a mail to its owner.
"""

import json
import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.tasks import task
from django.utils import timezone

from config.mail import send_mail_later
from config.tasks import backoff_seconds, retry_later
from config.webhooks import signing, transport
from config.webhooks.models import Attempt, Delivery, Endpoint, Event

logger = logging.getLogger(__name__)


@task
def record_event(event_type, subject, data, once=False):
    """Store the event and enqueue one delivery per subscribed endpoint."""
    try:
        with transaction.atomic():
            event = Event.objects.create(
                type=event_type,
                subject=subject,
                data=data,
                once_key=f"{event_type}:{subject}" if once else None,
            )
    except IntegrityError:
        return None  # already fired for this subject
    endpoints = [e for e in Endpoint.objects.filter(is_active=True) if e.wants(event_type)]
    deliveries = Delivery.objects.bulk_create(
        Delivery(event=event, endpoint=endpoint) for endpoint in endpoints
    )
    for delivery in deliveries:
        deliver.enqueue(delivery.pk)
    return event.message_id


@task
def deliver(delivery_id, attempt=1, replay=False):
    """POST one delivery; log it; retry later or give up and count the failure."""
    delivery = Delivery.objects.select_related("event", "endpoint").filter(pk=delivery_id).first()
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    if not replay and delivery.status == Delivery.Status.SUCCEEDED:
        return delivery.status  # a duplicate run: delivery is at least once, not twice
    if not replay and not endpoint.is_active:  # switched off meanwhile
        Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.FAILED, next_attempt_at=None
        )
        return Delivery.Status.FAILED
    body = json.dumps(delivery.event.body(), separators=(",", ":")).encode()
    headers = signing.headers(endpoint.secret, delivery.event.message_id, body)
    outcome = transport.post(endpoint.url, body, headers)
    Attempt.objects.create(
        delivery=delivery,
        number=delivery.attempts + 1,
        replay=replay,
        status_code=outcome.status_code,
        latency_ms=outcome.latency_ms,
        response_excerpt=outcome.excerpt,
        error=outcome.error,
    )
    delivery.attempts += 1
    delivery.last_status_code = outcome.status_code
    delivery.next_attempt_at = None
    if outcome.ok:
        delivery.status = Delivery.Status.SUCCEEDED
        delivery.save()
        Endpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)
        return delivery.status
    _count_failure(endpoint)  # may switch the endpoint off
    if replay or not endpoint.is_active or attempt >= settings.WEBHOOK_MAX_ATTEMPTS:
        if delivery.status != Delivery.Status.SUCCEEDED:  # a failed replay undoes nothing
            delivery.status = Delivery.Status.FAILED
        delivery.save()
        return delivery.status
    delivery.status = Delivery.Status.PENDING
    delivery.next_attempt_at = timezone.now() + timedelta(
        seconds=backoff_seconds(attempt, settings.WEBHOOK_RETRY_SECONDS)
    )
    delivery.save()
    retry_later(
        deliver,
        delivery.pk,
        attempt=attempt,
        max_attempts=settings.WEBHOOK_MAX_ATTEMPTS,
        base_seconds=settings.WEBHOOK_RETRY_SECONDS,
    )
    return delivery.status


def _count_failure(endpoint):
    Endpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    endpoint.refresh_from_db(fields=["consecutive_failures", "is_active"])
    if endpoint.is_active and endpoint.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER:
        disable(
            endpoint, f"Disabled after {endpoint.consecutive_failures} failed attempts in a row."
        )


def disable(endpoint, reason):
    """Switch an endpoint off, say why on it, and tell its owner."""
    updated = Endpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, disabled_at=timezone.now(), disabled_reason=reason[:300]
    )
    if updated and endpoint.owner.email:
        send_mail_later(
            f"{settings.SITE_NAME}: webhook endpoint disabled",
            f"Your webhook endpoint {endpoint.url} was disabled. {reason}\n\n"
            "Fix the receiver, then turn it back on: PATCH /api/v1/webhooks/"
            f'{endpoint.pk}/ with {{"is_active": true}}.',
            [endpoint.owner.email],
        )
    logger.warning("webhook endpoint %s disabled: %s", endpoint.pk, reason)


def replay(delivery):
    """Send a delivery again now, whatever its status (the admin's action). The message
    keeps its webhook-id, so a receiver that already has it can tell; the timestamp and
    signature are new."""
    deliver.enqueue(delivery.pk, replay=True)
