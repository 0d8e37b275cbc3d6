"""Queueing notifications, and a person's own actions on theirs.

`queue_notification` inserts an outbox row keyed by a de-duplication key, so the same event
queued twice (a re-run job, a retried request) produces one row and so one email. It is written
in the caller's transaction; the send task is enqueued only after that commits. If the broker is
unreachable the request still succeeds (the enqueue gives up after one quick connection attempt)
and the row waits for the every-minute sweep.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

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
        enqueue_send_on_commit()
    return notification


def enqueue_send_on_commit() -> None:
    """Asks for a send run once the current transaction commits.

    One request for many notifications: if a send is already registered at this level of the
    transaction or an outer one (so no rollback can discard it while keeping this row), that one
    will do.
    """
    if connection.in_atomic_block:
        current = set(connection.savepoint_ids)
        for sids, func, _robust in connection.run_on_commit:
            if func is enqueue_send and set(sids) <= current:
                return
    transaction.on_commit(enqueue_send, robust=True)


def enqueue_send() -> bool:
    """Asks a worker to send pending notifications; never fails the caller if the broker is down."""
    from .tasks import send_notifications

    return enqueue(send_notifications)


def enqueue(task, **options) -> bool:
    """Publishes `task`, giving up after a single connection attempt; returns whether it did.

    Called from on-commit callbacks: the data is committed, so a broker outage must neither
    turn the request into an error nor lose work. Whatever the task would have done is found
    in the database by the next scheduled run.
    """
    from config.celery import app

    try:
        with app.producer_or_acquire() as producer:
            try:
                producer.connection.ensure_connection(max_retries=0)
                task.apply_async(producer=producer, retry=False, **options)
            except Exception:
                # Drop the broken connection so the pool reconnects next time.
                producer.connection.collect()
                raise
    except Exception as exc:  # noqa: BLE001 - the outbox row waits for the next sweep
        logger.warning(
            "Broker unreachable (%s); %s left for the next scheduled run", exc, task.name
        )
        return False
    return True


@transaction.atomic
def mark_read(*, actor, notification: Notification) -> Notification:
    """Marks one of the actor's own notifications read (already read: left as it was)."""
    if notification.recipient_id != actor.pk:
        raise ValidationError("You can only mark your own notifications as read.")
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    notification.refresh_from_db(fields=["read_at"])
    return notification


@transaction.atomic
def mark_all_read(*, actor) -> int:
    """Marks every unread notification of the actor read; returns how many."""
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def set_email_opt_outs(*, actor, opted_out: Iterable[str]) -> set[str]:
    """Stores which non-critical kinds the actor does not want by email; returns the new set."""
    from .kinds import optional_kinds

    allowed = {k.code for k in optional_kinds()}
    wanted = set(opted_out)
    unknown = wanted - allowed
    if unknown:
        raise ValidationError(
            "These notifications cannot be switched off: " + ", ".join(sorted(unknown)) + "."
        )
    current = set(NotificationPreference.objects.filter(user=actor).values_list("kind", flat=True))
    NotificationPreference.objects.filter(user=actor, kind__in=current - wanted).delete()
    NotificationPreference.objects.bulk_create(
        [NotificationPreference(user=actor, kind=kind) for kind in sorted(wanted - current)],
        ignore_conflicts=True,
    )
    return wanted
