"""Celery tasks: thin wrappers around `monitoring.jobs`, safe to run twice or after a crash.

All tasks are acknowledged late and re-queued if their worker dies (`acks_late`,
`task_reject_on_worker_lost` in settings): the jobs are idempotent, so a re-run does no harm.
A database hiccup (connection lost, serialisation failure) is retried with exponential backoff
and jitter, never longer than `RETRY_BACKOFF_MAX` – well inside Redis's visibility timeout.
Email delivery retries each failed row on its own schedule in the outbox (`monitoring.outbox`).
"""

from __future__ import annotations

import logging

from celery.signals import worker_ready
from django.db import InterfaceError, OperationalError

from config.celery import app

from . import jobs

logger = logging.getLogger(__name__)

#: Longest delay between task retries (seconds); far below the broker's visibility timeout.
RETRY_BACKOFF_MAX = 300

_RETRYING = {
    "acks_late": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,
    "retry_backoff_max": RETRY_BACKOFF_MAX,
    "retry_jitter": True,
    "max_retries": 5,
}


@app.task(name="monitoring.evaluate_targets", **_RETRYING)
def evaluate_targets() -> dict:
    """Daily, and on demand: refresh sustainability, then recompute every open target."""
    return jobs.refresh_and_evaluate_targets()


@app.task(name="monitoring.review_reminders", **_RETRYING)
def review_reminders() -> dict:
    return jobs.send_review_reminders()


@app.task(name="monitoring.stale_evidence", **_RETRYING)
def stale_evidence() -> dict:
    return jobs.flag_stale_evidence()


@app.task(
    name="monitoring.send_notifications",
    # A run handles at most outbox.RUN_LIMIT rows; stop it well before a row's lease runs out.
    soft_time_limit=480,
    time_limit=540,
    **_RETRYING,
)
def send_notifications() -> dict:
    """Every minute, and after any transaction that queued a notification."""
    return jobs.send_notifications()


@worker_ready.connect
def run_jobs_on_worker_start(sender=None, **kwargs) -> None:
    """A freshly started worker evaluates targets and sends what is pending straight away, so
    a new installation (or `dev.py run`) shows flags and emails within a minute instead of after
    the next nightly run. Idempotent: several workers starting together do no harm."""
    from .services import enqueue

    for task in (evaluate_targets, send_notifications):
        enqueue(task)
    logger.info("Worker ready: target evaluation and notification sending enqueued")
