"""The jobs through the real broker and a real worker: Redis database 4 and a Celery worker
running in a thread of the test process, on committed data."""

import datetime as dt
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import worker_ready
from django.conf import settings
from django.core import mail
from django.db import connection, transaction

from config.celery import app
from contracts.models import Target
from contracts.roles import Role
from contracts.services import revise_target
from monitoring import jobs, tasks
from monitoring.models import Flag, Notification
from monitoring.services import enqueue, queue_notification
from tests.monitoring.conftest import queued_messages, use_broker, wait_for
from tests.monitoring.factories import make_target

pytestmark = pytest.mark.redis

Status = Notification.Status
TODAY = dt.date.today()
ROOT = Path(settings.BASE_DIR)


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def notify(user, key: str = "k1", **kwargs) -> Notification | None:
    return queue_notification(
        recipient=user,
        kind="target_at_risk",
        dedup_key=key,
        subject=kwargs.pop("subject", "Target at risk"),
        body="Level 3 is due soon.",
        **kwargs,
    )


# --- enqueue after commit -------------------------------------------------------------------------


def test_a_committed_transaction_enqueues_exactly_one_send(committed_db, redis_broker, party_a):
    user = party_a.users[Role.CLIENT_LEAD]
    with transaction.atomic():
        notify(user, "first")
        notify(user, "second")
        assert queued_messages(redis_broker) == 0  # nothing before the commit
    assert queued_messages(redis_broker) == 1


def test_a_rolled_back_transaction_enqueues_nothing(committed_db, redis_broker, party_a):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(party_a.users[Role.CLIENT_LEAD])
        raise RuntimeError("the request failed")
    assert queued_messages(redis_broker) == 0
    assert not Notification.objects.exists()


# --- a real worker --------------------------------------------------------------------------------


def test_the_worker_emails_a_queued_notification_and_marks_it_sent(
    celery_worker, party_a, mailoutbox
):
    user = party_a.users[Role.CLIENT_LEAD]
    with transaction.atomic():
        note = notify(user, subject="Level 3 due")
    wait_for(lambda: Notification.objects.filter(pk=note.pk, status=Status.SENT).exists())
    [email] = mail.outbox
    assert email.to == [user.email] and email.subject.endswith("Level 3 due")


def test_the_worker_runs_the_evaluation_end_to_end(celery_worker, party_a, mailoutbox):
    Target.objects.filter(track__contract=party_a.contract).delete()
    make_target(party_a.track, due=days(30))
    tasks.evaluate_targets.delay()
    wait_for(lambda: Notification.objects.filter(status=Status.SENT).count() == 3)
    assert Flag.objects.filter(kind=Flag.Kind.TARGET_AT_RISK, resolved_at__isnull=True).count() == 1
    assert len(mail.outbox) == 3


def test_the_worker_ready_kick_evaluates_targets_and_sends_at_once(
    celery_worker, party_a, mailoutbox
):
    """What a fresh `dev.py run` relies on: a starting worker enqueues an evaluation and a send,
    so an at-risk target shows its flag and its emails without waiting for the nightly run."""
    Target.objects.filter(track__contract=party_a.contract).delete()
    make_target(party_a.track, due=days(30))
    worker_ready.send(sender=celery_worker.consumer)
    wait_for(lambda: Flag.objects.filter(kind=Flag.Kind.TARGET_AT_RISK).exists())
    wait_for(lambda: len(mail.outbox) == 3)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        party_a.users[r].email for r in (Role.CLIENT_OFFICER, Role.CLIENT_LEAD, Role.PROVIDER_LEAD)
    )


# --- broker down ----------------------------------------------------------------------------------


def test_with_the_broker_down_a_service_still_commits_promptly_and_nothing_is_lost(
    committed_db, redis_broker, party_a, mailoutbox
):
    """Redis unreachable: revising a target and queueing its notification returns within 2 s
    with everything committed and the row waiting; once the broker is back the every-minute
    sweep sends it, exactly once."""
    lead = party_a.users[Role.CLIENT_LEAD]
    target = party_a.contract.tracks.first().targets.first()
    use_broker(app, f"redis://127.0.0.1:{closed_port()}/{4}")
    started = time.monotonic()
    with transaction.atomic():
        revise_target(target=target, actor=lead, level_rank=4, due_date=days(120), reason="Stretch")
        note = notify(lead, "revised", contract=party_a.contract)
    elapsed = time.monotonic() - started
    assert elapsed < 2, f"took {elapsed:.2f}s with the broker down"
    target.refresh_from_db()
    assert target.level_rank == 4
    assert Notification.objects.get(pk=note.pk).status == Status.PENDING

    use_broker(app, redis_broker, {"visibility_timeout": 3600})  # the broker is back
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        tasks.send_notifications.delay()  # what beat sends every minute
        wait_for(lambda: Notification.objects.filter(pk=note.pk, status=Status.SENT).exists())
        tasks.send_notifications.delay()
        time.sleep(1)
    assert [m.to for m in mail.outbox] == [[lead.email]]


def test_with_the_broker_down_a_job_that_queues_notifications_still_commits(
    committed_db, redis_broker, party_a
):
    Target.objects.filter(track__contract=party_a.contract).delete()
    make_target(party_a.track, due=days(30))
    use_broker(app, f"redis://127.0.0.1:{closed_port()}/4")
    started = time.monotonic()
    result = jobs.evaluate_targets(today=TODAY)
    assert time.monotonic() - started < 2
    assert result["notifications_queued"] == 3
    assert Notification.objects.filter(status=Status.PENDING).count() == 3


def test_enqueue_gives_up_after_one_quick_attempt(redis_broker):
    use_broker(app, f"redis://127.0.0.1:{closed_port()}/4")
    started = time.monotonic()
    assert enqueue(tasks.send_notifications) is False
    assert time.monotonic() - started < 2


def test_enqueue_works_again_once_the_broker_is_back(redis_broker):
    use_broker(app, f"redis://127.0.0.1:{closed_port()}/4")
    assert enqueue(tasks.send_notifications) is False
    use_broker(app, redis_broker, {"visibility_timeout": 3600})
    assert enqueue(tasks.send_notifications) is True
    assert queued_messages(redis_broker) == 1


# --- two beats ------------------------------------------------------------------------------------


def _beat(tmp_path: Path, name: str, broker: str) -> subprocess.Popen:
    import os

    env = dict(os.environ, CELERY_BROKER_URL=broker, PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.monitoring.fast_beat",
            "beat",
            "--loglevel=INFO",
            "--max-interval=1",
            "-s",
            str(tmp_path / f"{name}-schedule"),
            "--pidfile",
            str(tmp_path / f"{name}.pid"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_two_beats_for_three_intervals_give_one_notification_per_condition(
    committed_db, redis_broker, party_a, mailoutbox, tmp_path
):
    """Two beat processes (every job every second) and a worker: every job runs about six times
    (on PostgreSQL in two threads at once); still one flag per condition, one notification per
    target, kind, window and person, and one email each. (On SQLite, whose in-memory test
    database cannot take two writers at once, the worker runs one task at a time.)"""
    Target.objects.filter(track__contract=party_a.contract).delete()
    for offset in (10, 20, -200):  # two at risk, one missed
        make_target(party_a.track, due=days(offset))
    beats = [_beat(tmp_path, name, redis_broker) for name in ("beat-a", "beat-b")]
    try:
        threads = connection.vendor == "postgresql"
        with start_worker(
            app,
            pool="threads" if threads else "solo",
            concurrency=2 if threads else 1,
            perform_ping_check=False,
            loglevel="WARNING",
        ):
            wait_for(lambda: _sent_count() >= 9, timeout=60)
            time.sleep(4)  # at least three more intervals of both beats
            for beat in beats:
                beat.terminate()
            wait_for(lambda: queued_messages(redis_broker) == 0, timeout=60)
            time.sleep(2)  # let the last tasks finish
    finally:
        logs = []
        for beat in beats:
            if beat.poll() is None:
                beat.kill()
            logs.append(beat.communicate(timeout=30)[0])
    sent = "".join(logs).count("(monitoring.evaluate_targets)")
    assert sent >= 6, "each beat should have sent the evaluation at least three times"
    flags = Flag.objects.filter(contract=party_a.contract)
    assert flags.count() == 3 and flags.filter(resolved_at__isnull=True).count() == 3
    assert Notification.objects.count() == 9  # 3 conditions × 3 people
    assert Notification.objects.filter(status=Status.SENT).count() == 9
    assert len(mail.outbox) == 9
    assert len({(m.to[0], m.subject, m.body) for m in mail.outbox}) == 9


def _sent_count() -> int:
    return Notification.objects.filter(status=Status.SENT).count()
