"""The Celery application, configured from Django's settings (`CELERY_*`, from the environment).

`CELERY_BROKER_URL` selects the broker: Redis in production and CI; with nothing set, kombu's
filesystem transport under `DATA_DIR/broker`, so `python3 dev.py run` starts a worker with its
beat that really runs the jobs on a laptop with no server. The beat schedule lives in code
beside the jobs (monitoring/schedule.py).
"""

import os
from pathlib import Path

from celery import Celery

from monitoring.schedule import BEAT_SCHEDULE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = BEAT_SCHEDULE
app.autodiscover_tasks()


@app.on_after_configure.connect
def ensure_broker_folders(sender: Celery, **kwargs) -> None:
    """The filesystem transport expects its folders to exist; create them on first use."""
    if not str(sender.conf.broker_url or "").startswith("filesystem://"):
        return
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
