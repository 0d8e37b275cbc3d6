"""Sending the outbox: each row at most once, retries with backoff and jitter, a failed row and
an alert after the last attempt, opt-outs respected, crash recovery by lease."""

import datetime as dt
import smtplib
import threading

import pytest
from django.core import mail
from django.db import connections
from django.utils import timezone

from contracts.roles import Role
from monitoring import outbox
from monitoring.models import Notification, NotificationPreference
from monitoring.services import queue_notification
from tests.factories import UserFactory
from tests.monitoring.backends import FlakyBackend
from tests.monitoring.factories import NotificationFactory
from tests.services import require_postgres

Status = Notification.Status


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = "tests.monitoring.backends.FlakyBackend"
    FlakyBackend.failures = []
    FlakyBackend.opened = 0
    yield FlakyBackend
    FlakyBackend.failures = []


def refreshed(note: Notification) -> Notification:
    note.refresh_from_db()
    return note


# --- sending ------------------------------------------------------------------------------------


def test_a_pending_notification_is_emailed_and_marked_sent(db, mailoutbox):
    note = NotificationFactory(subject="Target at risk", body="Level 3 is due soon.", url="/x/")
    result = outbox.send_pending()
    [email] = mailoutbox
    assert email.to == [note.recipient.email]
    assert email.subject == "[Contract performance] Target at risk"
    assert "Level 3 is due soon." in email.body and "http://127.0.0.1:8000/x/" in email.body
    note = refreshed(note)
    assert note.status == Status.SENT and note.sent_at and note.attempts == 1
    assert result["sent"] == 1


def test_the_message_id_is_stable_for_a_row(db):
    note = NotificationFactory()
    assert outbox.message_id(note) == outbox.message_id(Notification.objects.get(pk=note.pk))
    assert outbox.message_id(note) != outbox.message_id(NotificationFactory())


def test_sending_twice_sends_once(db, mailoutbox):
    NotificationFactory()
    outbox.send_pending()
    outbox.send_pending()
    assert len(mailoutbox) == 1


def test_a_suppressed_notification_is_never_sent(db, mailoutbox):
    note = NotificationFactory(status=Status.SUPPRESSED)
    outbox.send_pending()
    assert mailoutbox == [] and refreshed(note).status == Status.SUPPRESSED


def test_opting_out_after_queueing_stops_a_non_critical_email(db, mailoutbox):
    note = NotificationFactory(kind="target_at_risk")
    NotificationPreference.objects.create(user=note.recipient, kind="target_at_risk")
    outbox.send_pending()
    assert mailoutbox == [] and refreshed(note).status == Status.SUPPRESSED


def test_an_opt_out_does_not_stop_a_critical_email(db, mailoutbox):
    note = NotificationFactory(kind="target_missed", critical=True)
    NotificationPreference.objects.create(user=note.recipient, kind="target_missed")
    outbox.send_pending()
    assert len(mailoutbox) == 1 and refreshed(note).status == Status.SENT


def test_queue_notification_keeps_one_row_per_key(party_a):
    user = party_a.users[Role.CLIENT_LEAD]
    first = queue_notification(recipient=user, kind="k", dedup_key="same", subject="s", body="b")
    second = queue_notification(recipient=user, kind="k", dedup_key="same", subject="s", body="b")
    assert first is not None and second is None
    assert Notification.objects.filter(dedup_key="same").count() == 1


def test_a_person_without_an_email_address_is_not_retried(db, mailoutbox, caplog):
    note = NotificationFactory(recipient=UserFactory(email=""))
    outbox.send_pending()
    note = refreshed(note)
    assert note.status == Status.FAILED and "no email address" in note.last_error
    assert mailoutbox == []


# --- retries ------------------------------------------------------------------------------------


def test_a_transient_failure_is_retried_later_with_backoff(db, flaky, settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 60
    flaky.failures = [smtplib.SMTPServerDisconnected("connection lost")]
    note = NotificationFactory()
    before = timezone.now()
    outbox.send_pending()
    note = refreshed(note)
    assert note.status == Status.PENDING and note.attempts == 1
    assert "connection lost" in note.last_error
    wait = (note.next_attempt_at - before).total_seconds()
    assert 30 <= wait <= 61


def test_a_row_waiting_for_its_retry_is_not_sent_before_its_time(db, flaky, mailoutbox):
    flaky.failures = [ConnectionRefusedError("refused")]
    note = NotificationFactory()
    outbox.send_pending()
    outbox.send_pending()
    assert mailoutbox == [] and refreshed(note).attempts == 1


def test_a_retried_row_is_sent_once_when_its_time_comes(db, flaky, mailoutbox):
    flaky.failures = [TimeoutError("timed out")]
    note = NotificationFactory()
    outbox.send_pending()
    Notification.objects.filter(pk=note.pk).update(next_attempt_at=timezone.now())
    outbox.send_pending()
    outbox.send_pending()
    assert len(mailoutbox) == 1
    note = refreshed(note)
    assert note.status == Status.SENT and note.attempts == 2


@pytest.mark.parametrize("attempt", [1, 2, 3, 5, 8, 20])
def test_the_backoff_doubles_with_each_attempt_within_a_jittered_band(settings, attempt):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 60
    ceiling = min(3600, 60 * 2 ** (attempt - 1))
    for _ in range(50):
        delay = outbox.retry_delay(attempt).total_seconds()
        assert ceiling / 2 <= delay <= ceiling


def test_the_backoff_is_jittered(settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 60
    assert len({outbox.retry_delay(3).total_seconds() for _ in range(20)}) > 1


def test_after_the_last_attempt_the_row_fails_with_an_alert_and_no_email(
    db, flaky, settings, mailoutbox, caplog
):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    flaky.failures = [smtplib.SMTPServerDisconnected("down")] * 3
    note = NotificationFactory()
    for _ in range(4):
        outbox.send_pending()
        Notification.objects.filter(pk=note.pk).update(next_attempt_at=timezone.now())
    note = refreshed(note)
    assert note.status == Status.FAILED and note.attempts == 3
    assert mailoutbox == []
    assert any(
        r.levelname == "ERROR" and f"Notification {note.pk}" in r.getMessage()
        for r in caplog.records
    )


def test_a_permanent_refusal_fails_at_once(db, flaky):
    flaky.failures = [smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"no such user")})]
    note = NotificationFactory()
    outbox.send_pending()
    note = refreshed(note)
    assert note.status == Status.FAILED and note.attempts == 1


def test_an_authentication_failure_is_retried(db, flaky):
    flaky.failures = [smtplib.SMTPAuthenticationError(535, b"bad credentials")]
    note = NotificationFactory()
    outbox.send_pending()
    assert refreshed(note).status == Status.PENDING


def test_one_failing_row_does_not_hold_back_the_others(db, flaky, mailoutbox):
    flaky.failures = [smtplib.SMTPDataError(451, b"try later")]
    first, second = NotificationFactory(), NotificationFactory()
    outbox.send_pending()
    assert [refreshed(first).status, refreshed(second).status] == [Status.PENDING, Status.SENT]
    assert len(mailoutbox) == 1


# --- at most once: crashes and concurrent senders ------------------------------------------------


def test_a_crash_between_claim_and_mark_sent_is_recovered_once_the_lease_ends(
    db, mailoutbox, settings
):
    """A sender claims a batch and dies before sending: nothing is sent while its lease runs;
    afterwards the rows go back to the queue (the attempt counted) and are sent exactly once."""
    note = NotificationFactory()
    token = outbox.claim_batch(now=timezone.now())  # ... and the sender is killed here
    assert token and refreshed(note).status == Status.SENDING
    outbox.send_pending()
    assert mailoutbox == []
    Notification.objects.filter(pk=note.pk).update(
        claimed_until=timezone.now() - dt.timedelta(seconds=1)
    )
    outbox.send_pending()
    outbox.send_pending()
    assert len(mailoutbox) == 1
    note = refreshed(note)
    assert note.status == Status.SENT and note.attempts == 2


def test_a_sender_whose_lease_was_taken_over_cannot_mark_the_row(db, mailoutbox):
    note = NotificationFactory()
    stale_token = outbox.claim_batch(now=timezone.now())
    Notification.objects.filter(pk=note.pk).update(
        claimed_until=timezone.now() - dt.timedelta(seconds=1)
    )
    outbox.send_pending()  # another sender recovers and sends it
    assert not outbox._mark_sent(note, stale_token)
    assert len(mailoutbox) == 1


def test_a_row_that_keeps_crashing_its_sender_ends_failed(db, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    note = NotificationFactory()
    for _ in range(2):
        outbox.claim_batch(now=timezone.now())
        Notification.objects.filter(pk=note.pk).update(
            claimed_until=timezone.now() - dt.timedelta(seconds=1)
        )
        outbox.release_expired_claims(timezone.now())
    assert refreshed(note).status == Status.FAILED


def test_claims_never_overlap(db):
    notes = [NotificationFactory() for _ in range(5)]
    now = timezone.now()
    first = outbox.claim_batch(now=now, size=3)
    second = outbox.claim_batch(now=now, size=3)
    third = outbox.claim_batch(now=now, size=3)
    held = {
        token: set(Notification.objects.filter(claim_token=token).values_list("pk", flat=True))
        for token in (first, second)
    }
    assert len(held[first]) == 3 and len(held[second]) == 2 and third is None
    assert held[first].isdisjoint(held[second])
    assert held[first] | held[second] == {n.pk for n in notes}


def test_two_senders_at_once_send_each_email_once(committed_db, mailoutbox):
    """PostgreSQL: senders skip each other's locked rows. (SQLite serialises writers; its shared
    in-memory test database refuses a second concurrent writer outright rather than waiting.)"""
    require_postgres()
    notes = [NotificationFactory() for _ in range(40)]
    barrier = threading.Barrier(2)
    errors = []

    def sender():
        try:
            barrier.wait()
            outbox.send_pending()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    sent_to = sorted(m.to[0] for m in mail.outbox)
    assert sent_to == sorted(n.recipient.email for n in notes)
    assert Notification.objects.filter(status=Status.SENT).count() == 40


# --- cost -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 60])
def test_sending_costs_a_fixed_number_of_queries_per_batch_plus_one_per_email(
    db, count, django_assert_max_num_queries
):
    """Each row is marked the moment its email is handed over (that one UPDATE is what keeps a
    crash from sending it twice); everything else is per batch of BATCH_SIZE."""
    for _ in range(count):
        NotificationFactory()
    batches = -(-count // outbox.BATCH_SIZE)
    with django_assert_max_num_queries(1 + 6 * (batches + 1) + count):
        outbox.send_pending()
    assert Notification.objects.filter(status=Status.SENT).count() == count
