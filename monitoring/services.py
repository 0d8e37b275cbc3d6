"""Queueing notifications: written in the caller's transaction, sent after it commits.

`queue_notification` inserts an outbox row keyed by a de-duplication key, so the same event
queued twice (a re-run job, a retried request) produces one row and so one email. The send task is
enqueued only after commit; if the broker is unreachable the request still succeeds and the row
waits for the every-minute sweep.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction

from .models import Notification, NotificationPreference

logger = logging.getLogger(__name__)


def queue_notification(
    *,
    recipient,
    kind: str,
    dedup_key: str,
    subject: str,
    body: str,
    url: str = "",
    contract=None,
    critical: bool = False,
) -> Notification | None:
    """Adds a notification to the outbox unless one with this key exists; returns the new row."""
    opted_out = (
        not critical and NotificationPreference.objects.filter(user=recipient, kind=kind).exists()
    )
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient,
                kind=kind,
                critical=critical,
                dedup_key=dedup_key[:255],
                subject=subject[:200],
                body=body,
                url=url,
                contract=contract,
                status=Notification.Status.SUPPRESSED if opted_out else Notification.Status.PENDING,
            )
    except IntegrityError:
        return None
    if not opted_out:
        transaction.on_commit(enqueue_send)
    return notification


def enqueue_send() -> None:
    """Asks a worker to send pending notifications; never fails the caller if the broker is down."""
    try:
        from .tasks import send_notifications

        send_notifications.apply_async(retry=False)
    except Exception:  # noqa: BLE001 - the outbox row waits for the next sweep
        logger.warning("Broker unreachable; notification left in the outbox for the next sweep")
