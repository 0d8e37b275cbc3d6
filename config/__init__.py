"""Project configuration.

The Celery application (`config.celery`) is not imported here, unlike Celery's usual Django
recipe: a web process only needs it when it publishes a task, and loading it at start-up would
add several MiB to every web worker. The tasks modules import it themselves, so a task always
belongs to the configured app, and `celery -A config` finds `config.celery.app`.
"""
