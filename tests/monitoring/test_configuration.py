"""How the Celery app, the tasks and the beat schedule are set up."""

import datetime as dt
import io
import json

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.management import call_command

from config.celery import app
from monitoring import outbox, tasks
from monitoring.schedule import BEAT_SCHEDULE


def test_the_beat_schedule_is_installed_from_code():
    assert app.conf.beat_schedule == BEAT_SCHEDULE


def test_every_scheduled_entry_names_a_registered_task():
    app.loader.import_default_modules()
    for entry in BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


def test_each_job_has_its_schedule():
    schedules = {entry["task"]: entry["schedule"] for entry in BEAT_SCHEDULE.values()}
    assert schedules["monitoring.send_notifications"] == 60.0
    assert schedules["monitoring.evaluate_targets"] == crontab(hour=2, minute=0)
    assert schedules["monitoring.review_reminders"] == crontab(hour=7, minute=0)
    assert schedules["monitoring.stale_evidence"] == crontab(hour=2, minute=30)
    assert schedules["evidence.verify_stored_evidence"] == crontab(
        hour=3, minute=0, day_of_week="sunday"
    )
    assert schedules["evidence.sweep_orphan_blobs"] == crontab(hour=3, minute=30)


def test_the_schedule_runs_on_local_time():
    assert app.conf.timezone == settings.TIME_ZONE == "Europe/London"


def test_tasks_are_acknowledged_late_and_requeued_if_their_worker_dies():
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    for task in (tasks.evaluate_targets, tasks.send_notifications, tasks.review_reminders):
        assert task.acks_late


def test_no_task_waits_longer_than_the_brokers_visibility_timeout():
    """Redis redelivers a message not acknowledged within its visibility timeout; nothing here
    may be scheduled further out than that (retries, countdowns, expiry of beat's messages)."""
    visibility = 3600
    for task in (tasks.evaluate_targets, tasks.send_notifications, tasks.stale_evidence):
        assert task.retry_backoff_max < visibility and task.retry_jitter
    for entry in BEAT_SCHEDULE.values():
        assert "countdown" not in entry.get("options", {}) and "eta" not in entry.get("options", {})
    assert tasks.send_notifications.time_limit < settings.NOTIFICATION_LEASE_SECONDS


def test_a_batch_cannot_outlast_its_lease():
    assert outbox.BATCH_SIZE * settings.EMAIL_TIMEOUT < settings.NOTIFICATION_LEASE_SECONDS


def test_the_filesystem_broker_lives_under_the_data_directory():
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
        pytest.skip("a broker URL is configured")
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        assert options[key].startswith(str(settings.DATA_DIR))


def test_the_filesystem_broker_folders_are_created(tmp_path):
    from config.celery import ensure_broker_folders

    class Conf:
        broker_url = "filesystem://"
        broker_transport_options = {
            "data_folder_in": str(tmp_path / "b" / "queue"),
            "data_folder_out": str(tmp_path / "b" / "queue"),
            "processed_folder": str(tmp_path / "b" / "processed"),
            "control_folder": str(tmp_path / "b" / "control"),
        }

    class Sender:
        conf = Conf

    ensure_broker_folders(Sender)
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["control", "processed", "queue"]


def test_the_evaluate_command_prints_its_summary(party_a):
    out = io.StringIO()
    call_command(
        "evaluate_targets", "--no-progress", "--date", dt.date.today().isoformat(), stdout=out
    )
    assert set(json.loads(out.getvalue())) == {
        "status_changes",
        "flags_raised",
        "flags_resolved",
        "notifications_queued",
    }


def test_a_bad_date_is_refused_with_a_clear_message(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--date must be a date like 2025-03-31"):
        call_command("evaluate_targets", "--no-progress", "--date", "31/03/2025")


@pytest.mark.parametrize(
    "command", ["send_review_reminders", "flag_stale_evidence", "send_notifications"]
)
def test_each_job_has_a_command(db, command):
    out = io.StringIO()
    call_command(command, "--no-progress", stdout=out)
    assert isinstance(json.loads(out.getvalue()), dict)
