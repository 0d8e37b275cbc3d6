"""The beat schedule, in code (config/celery.py installs it).

In code rather than in the database (django-celery-beat): the schedule is part of the product's
behaviour, reviewed and versioned with the jobs it runs, identical on every deployment and in
tests, and it needs no migrations, admin screens or database polling by beat. Nothing here is a
long countdown: beat finds due work in the database each time, so no task waits in the broker
for longer than its visibility timeout. Times are in `TIME_ZONE` (Europe/London).

Every job is idempotent, so a second beat, a manual run or the run enqueued when a worker starts
(`monitoring.tasks.run_jobs_on_worker_start`) only repeats work, never duplicates its effects.
"""

from celery.schedules import crontab

#: A daily job waiting longer than this in the broker (workers down) is dropped: the next
#: day's run, or the one enqueued when a worker starts, covers it.
DAILY_EXPIRES = 12 * 60 * 60

BEAT_SCHEDULE = {
    "send-notifications": {
        "task": "monitoring.send_notifications",
        "schedule": 60.0,
        # Each run sends everything due; a backlog of identical runs is pointless.
        "options": {"expires": 55},
    },
    "evaluate-targets": {
        "task": "monitoring.evaluate_targets",
        "schedule": crontab(hour=2, minute=0),
        "options": {"expires": DAILY_EXPIRES},
    },
    "stale-evidence": {
        "task": "monitoring.stale_evidence",
        "schedule": crontab(hour=2, minute=30),
        "options": {"expires": DAILY_EXPIRES},
    },
    "review-reminders": {
        "task": "monitoring.review_reminders",
        "schedule": crontab(hour=7, minute=0),
        "options": {"expires": DAILY_EXPIRES},
    },
    "verify-evidence": {
        "task": "evidence.verify_stored_evidence",
        "schedule": crontab(hour=3, minute=0, day_of_week="sunday"),
        "options": {"expires": DAILY_EXPIRES},
    },
    "sweep-evidence-orphans": {
        "task": "evidence.sweep_orphan_blobs",
        "schedule": crontab(hour=3, minute=30),
        "options": {"expires": DAILY_EXPIRES},
    },
}
