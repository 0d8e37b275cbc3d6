"""Email backends for the delivery tests: Django's in-memory outbox, with failures on demand.

`FlakyBackend.failures` is a queue of exceptions: each send raises the next one until it is
empty, then messages go to `django.core.mail.outbox` as with the locmem backend.
`SlowFileBackend` writes each message to `EMAIL_FILE_PATH` (like the file backend), first
leaving a marker and pausing, so a test can kill the worker process in the middle of a send.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend as FileBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class FlakyBackend(LocmemBackend):
    failures: list[BaseException] = []
    opened = 0

    def open(self):
        FlakyBackend.opened += 1
        return super().open()

    def send_messages(self, messages):
        if FlakyBackend.failures:
            raise FlakyBackend.failures.pop(0)
        return super().send_messages(messages)


class SlowFileBackend(FileBackend):
    def send_messages(self, messages):
        pause = float(os.environ.get("SLOW_EMAIL_SECONDS", "0"))
        if pause:
            marker = Path(self.file_path) / "sending"
            marker.write_text(str(os.getpid()))
            time.sleep(pause)
        return super().send_messages(messages)
