"""A beat for the tests: the project's schedule, with every job due each second.

celery -A tests.monitoring.fast_beat beat
"""

from config.celery import app
from monitoring.schedule import BEAT_SCHEDULE

JOBS = ("send-notifications", "evaluate-targets", "review-reminders", "stale-evidence")

app.conf.beat_schedule = {
    name: {**entry, "schedule": 1.0, "options": {}}
    for name, entry in BEAT_SCHEDULE.items()
    if name in JOBS
}
