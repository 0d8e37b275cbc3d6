"""Delivering the notification outbox by email, at most once per row.

A sender *claims* a small batch of pending rows with a conditional UPDATE (on PostgreSQL the
candidate rows are first locked with `FOR UPDATE SKIP LOCKED`, so concurrent senders take
different rows instead of waiting): the rows move to "being sent" with the sender's token and
a lease. Only the holder of the token may mark a row sent or failed, so two workers or two
beats never send the same row. Each row is marked the moment its email has been handed over.

- A transient failure (connection refused, timeout, a 4xx reply) puts the row back with an
  exponentially growing, jittered delay before its next attempt; after the last attempt it is
  marked failed, logged at ERROR level and listed as failed in the admin.
- A permanent refusal (a 5xx reply, e.g. an unknown recipient) fails the row at once.
- A sender that dies mid-batch (kill -9, a lost machine) leaves its rows "being sent" until the
  lease expires; the next sweep returns them to the queue with the attempt counted. The lease
  (`NOTIFICATION_LEASE_SECONDS`, default 10 minutes) is longer than a batch can take
  (`BATCH_SIZE` × `EMAIL_TIMEOUT`), so a live sender never loses its rows to another.

The one window this cannot close is a crash between the mail server accepting a message and the
row being marked sent (a single UPDATE): that row is sent again after the lease. The message
carries a stable Message-ID derived from the row, so mail systems that de-duplicate on it show
it once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import random
import smtplib
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from . import kinds
from .models import Notification, NotificationPreference

logger = logging.getLogger(__name__)

BATCH_SIZE = 20
#: At most this many rows per run, so one run stays well inside its lease and the next
#: every-minute run picks up the rest.
RUN_LIMIT = 500

Status = Notification.Status


def max_attempts() -> int:
    return int(getattr(settings, "NOTIFICATION_MAX_ATTEMPTS", 5))


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=int(getattr(settings, "NOTIFICATION_LEASE_SECONDS", 600)))


def retry_delay(attempt: int) -> dt.timedelta:
    """Exponential backoff with jitter: about 1, 2, 4, 8 … minutes (capped at an hour) after the
    first, second, third … failure, each drawn from the upper half of its interval so that rows
    that failed together do not all retry together."""
    base = float(getattr(settings, "NOTIFICATION_RETRY_BASE_SECONDS", 60))
    ceiling = min(3600.0, base * (2 ** max(attempt - 1, 0)))
    return dt.timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))


class NoEmailAddress(Exception):
    """The recipient has no email address: the notification stays in their in-app list only."""


def is_permanent(exc: BaseException) -> bool:
    """A refusal that retrying cannot fix (5xx), as opposed to a transient failure."""
    if isinstance(exc, NoEmailAddress):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return False  # a configuration fault: the rows wait until it is fixed
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def message_id(notification: Notification) -> str:
    digest = hashlib.sha256(notification.dedup_key.encode()).hexdigest()[:16]
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "localhost"
    return f"<notification-{notification.pk}.{digest}@{domain}>"


def build_email(notification: Notification, connection=None) -> EmailMessage:
    site = getattr(settings, "SITE_URL", "").rstrip("/")
    lines = [notification.body.rstrip()]
    if notification.url:
        lines.append(f"Open it in {settings.SITE_NAME}: {site}{notification.url}")
    if notification.critical:
        lines.append("This is an important notification; it is always sent.")
    else:
        lines.append(
            "You can choose which notifications you receive by email: "
            f"{site}{reverse('monitoring:preferences')}"
        )
    return EmailMessage(
        subject=f"[{settings.SITE_NAME}] {notification.subject}",
        body="\n\n".join(lines) + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient.email],
        headers={"Message-ID": message_id(notification)},
        connection=connection,
    )


def release_expired_claims(now: dt.datetime) -> int:
    """Returns rows whose sender died (lease over) to the queue, counting the attempt."""
    return Notification.objects.filter(status=Status.SENDING, claimed_until__lt=now).update(
        status=Case(
            When(attempts__gte=max_attempts() - 1, then=Value(Status.FAILED)),
            default=Value(Status.PENDING),
        ),
        attempts=F("attempts") + 1,
        claim_token=None,
        claimed_until=None,
        last_error="The sender stopped before confirming delivery.",
    )


def claim_batch(*, now: dt.datetime, size: int = BATCH_SIZE) -> str | None:
    """Claims up to `size` due rows for this sender; returns its token, or None if none were due."""
    token = uuid.uuid4().hex
    due = (
        Notification.objects.filter(status=Status.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("created_at", "id")
    )
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            # Lock the picked rows first (skipping rows another sender holds): a LIMIT inside
            # an UPDATE's IN (…) may be re-run by the planner and pick more rows than asked.
            ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:size])
            picked = Q(pk__in=ids)
        else:
            # SQLite: one statement, so the write lock is taken before anything is read.
            picked = Q(pk__in=due.values("pk")[:size])
        claimed = Notification.objects.filter(picked, status=Status.PENDING).update(
            status=Status.SENDING, claim_token=token, claimed_until=now + lease()
        )
    return token if claimed else None


def _mark_sent(notification: Notification, token: str) -> bool:
    return bool(
        Notification.objects.filter(pk=notification.pk, claim_token=token).update(
            status=Status.SENT,
            sent_at=timezone.now(),
            attempts=F("attempts") + 1,
            claim_token=None,
            claimed_until=None,
            last_error="",
        )
    )


def _mark_failed_attempt(notification: Notification, token: str, exc: BaseException) -> str:
    attempt = notification.attempts + 1
    error = f"{type(exc).__name__}: {exc}"[:2000]
    final = is_permanent(exc) or attempt >= max_attempts()
    status = Status.FAILED if final else Status.PENDING
    Notification.objects.filter(pk=notification.pk, claim_token=token).update(
        status=status,
        attempts=attempt,
        last_error=error,
        claim_token=None,
        claimed_until=None,
        next_attempt_at=None if final else timezone.now() + retry_delay(attempt),
    )
    if final:
        logger.error(
            "Notification %s (%s) to user %s failed after %s attempt(s) and will not be retried: "
            "%s",
            notification.pk,
            notification.kind,
            notification.recipient_id,
            attempt,
            error,
        )
    else:
        logger.warning(
            "Notification %s attempt %s failed, will retry: %s", notification.pk, attempt, error
        )
    return status


def _suppress_opted_out(rows: list[Notification], token: str) -> list[Notification]:
    """Rows whose recipient switched the kind off after it was queued are not sent."""
    optional = [r for r in rows if not r.critical and not kinds.is_critical(r.kind)]
    if not optional:
        return rows
    opted_out = set(
        NotificationPreference.objects.filter(
            user_id__in={r.recipient_id for r in optional}, kind__in={r.kind for r in optional}
        ).values_list("user_id", "kind")
    )
    skip = {r.pk for r in optional if (r.recipient_id, r.kind) in opted_out}
    if skip:
        Notification.objects.filter(pk__in=skip, claim_token=token).update(
            status=Status.SUPPRESSED, claim_token=None, claimed_until=None
        )
    return [r for r in rows if r.pk not in skip]


def send_pending(*, limit: int = RUN_LIMIT, progress: Callable[[str], None] | None = None) -> dict:
    """Sends pending notifications until none are due or `limit` have been handled."""
    now = timezone.now()
    result = {"released": release_expired_claims(now), "sent": 0, "retrying": 0, "failed": 0}
    result["suppressed"] = 0
    handled = 0
    while handled < limit:
        token = claim_batch(now=timezone.now(), size=min(BATCH_SIZE, limit - handled))
        if token is None:
            break
        rows = list(
            Notification.objects.filter(claim_token=token)
            .select_related("recipient")
            .order_by("created_at", "id")
        )
        handled += len(rows)
        to_send = _suppress_opted_out(rows, token)
        result["suppressed"] += len(rows) - len(to_send)
        _send_batch(to_send, token, result)
        if progress is not None:
            progress(f"{handled} handled")
    return result


def _send_batch(rows: list[Notification], token: str, result: dict) -> None:
    if not rows:
        return
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception as exc:  # noqa: BLE001 - every row of the batch waits for a retry
        for row in rows:
            _count(result, _mark_failed_attempt(row, token, exc))
        return
    try:
        for row in rows:
            if not row.recipient.email:
                error = NoEmailAddress("The recipient has no email address.")
                _count(result, _mark_failed_attempt(row, token, error))
                continue
            try:
                build_email(row, connection=connection).send()
            except Exception as exc:  # noqa: BLE001 - recorded on the row and retried
                _count(result, _mark_failed_attempt(row, token, exc))
                continue
            if _mark_sent(row, token):
                result["sent"] += 1
    finally:
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - closing a broken connection is best effort
            logger.debug("Closing the email connection failed", exc_info=True)


def _count(result: dict, status: str) -> None:
    result["failed" if status == Status.FAILED else "retrying"] += 1
