"""Settings for worker processes started by the tests: the project's, with a test email backend.

The tests pass everything else (database, broker, lease) through the environment.
"""

import os

from config.settings import *  # noqa: F403

EMAIL_BACKEND = "tests.monitoring.backends.SlowFileBackend"
EMAIL_FILE_PATH = os.environ["TEST_EMAIL_DIR"]
