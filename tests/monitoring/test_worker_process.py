"""Real worker processes on the test database (PostgreSQL: a separate process cannot reach the
SQLite in-memory test database): the start-up run that `dev.py run` relies on, on the embedded
filesystem broker; and a worker killed with SIGKILL in the middle of sending an email."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from contracts.models import Target
from contracts.roles import Role
from monitoring import tasks
from monitoring.models import Flag, Notification
from tests.monitoring.conftest import wait_for
from tests.monitoring.factories import NotificationFactory, make_target
from tests.services import require_postgres

Status = Notification.Status
ROOT = Path(settings.BASE_DIR)


def database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def worker(tmp_path: Path, name: str, *args: str, **env: str) -> subprocess.Popen:
    """`celery -A config worker …` as its own process, logging to tmp_path/<name>.log."""
    environment = dict(os.environ)
    environment.pop("CELERY_BROKER_URL", None)  # the filesystem broker unless one is given
    environment.update(DATABASE_URL=database_url(), PYTHONUNBUFFERED="1", **env)
    log = (tmp_path / f"{name}.log").open("w")
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", *args],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()  # warm shutdown: the worker stops its pool and beat itself
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


@pytest.fixture
def postgres(committed_db):
    require_postgres()


def test_a_fresh_worker_with_beat_on_the_filesystem_broker_flags_and_emails_within_a_minute(
    postgres, party_a, tmp_path
):
    """`python3 dev.py run` with nothing configured: worker + beat on the filesystem broker under
    DATA_DIR, console email. An at-risk target has its flag and its emails within a minute of
    the worker starting, with nothing but the worker's own start-up run."""
    Target.objects.filter(track__contract=party_a.contract).delete()
    make_target(party_a.track, due=dt.date.today() + dt.timedelta(days=30))
    process = worker(
        tmp_path,
        "dev",
        "-B",
        "--concurrency=2",
        "-s",
        str(tmp_path / "celerybeat-schedule"),
        DATA_DIR=str(tmp_path / "var"),
        EMAIL_URL="consolemail://",
    )
    try:
        wait_for(lambda: Notification.objects.filter(status=Status.SENT).count() == 3, timeout=60)
    finally:
        stop(process)
    log = (tmp_path / "dev.log").read_text()
    assert Flag.objects.filter(kind=Flag.Kind.TARGET_AT_RISK, resolved_at__isnull=True).count()
    assert log.count("Message-ID: <notification-") == 3  # the console backend's output
    for role in (Role.CLIENT_OFFICER, Role.CLIENT_LEAD, Role.PROVIDER_LEAD):
        assert f"To: {party_a.users[role].email}" in log
    assert (tmp_path / "var" / "broker" / "queue").is_dir()
    assert (tmp_path / "var" / "broker" / "control").is_dir()


def _emails_written(folder: Path) -> int:
    return sum(p.read_text().count("Message-ID: <notification-") for p in folder.glob("*.log"))


def test_a_worker_killed_mid_send_leads_to_exactly_one_email(postgres, redis_broker, tmp_path):
    """kill -9 while the email is being handed over: the row stays claimed (nothing sent twice
    while the dead worker's lease runs); after it, the next sweep sends it exactly once."""
    note = NotificationFactory()
    outbox_dir = tmp_path / "mail"
    outbox_dir.mkdir()
    common = {
        "DJANGO_SETTINGS_MODULE": "tests.monitoring.worker_settings",
        "CELERY_BROKER_URL": redis_broker,
        "TEST_EMAIL_DIR": str(outbox_dir),
        "NOTIFICATION_LEASE_SECONDS": "3",
    }
    doomed = worker(tmp_path, "doomed", "-P", "solo", SLOW_EMAIL_SECONDS="60", **common)
    try:
        tasks.send_notifications.delay()
        wait_for(lambda: (outbox_dir / "sending").exists(), timeout=60)
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait(10)
    finally:
        stop(doomed)
    note.refresh_from_db()
    assert note.status == Status.SENDING and _emails_written(outbox_dir) == 0

    (outbox_dir / "sending").unlink()
    survivor = worker(tmp_path, "survivor", "-P", "solo", **common)
    try:
        wait_for(lambda: note.claimed_until and _lease_over(note), timeout=10)
        tasks.send_notifications.delay()  # the every-minute sweep
        wait_for(lambda: Notification.objects.filter(pk=note.pk, status=Status.SENT).exists())
        tasks.send_notifications.delay()
        tasks.send_notifications.delay()
        wait_for(lambda: _queue_empty(redis_broker))
    finally:
        stop(survivor)
    assert _emails_written(outbox_dir) == 1
    note.refresh_from_db()
    assert note.attempts == 2  # the interrupted attempt is counted


def _lease_over(note: Notification) -> bool:
    from django.utils import timezone

    return note.claimed_until < timezone.now()


def _queue_empty(url: str) -> bool:
    from tests.monitoring.conftest import queued_messages

    return queued_messages(url) == 0
