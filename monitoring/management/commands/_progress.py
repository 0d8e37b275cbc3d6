"""Shared plumbing for the job commands: a progress bar and a printed summary."""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm


class JobCommand(BaseCommand):
    """Runs one job from `monitoring.jobs` with a progress bar (on a terminal) and a summary."""

    steps: int = 1
    takes_date: bool = False

    def add_arguments(self, parser):
        if self.takes_date:
            parser.add_argument(
                "--date",
                help="Evaluate as of this day (YYYY-MM-DD) instead of today.",
            )
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not show a progress bar."
        )

    def run_job(self, **options) -> dict:
        raise NotImplementedError

    def job_options(self, options: dict) -> dict:
        """Extra keyword arguments for `run_job` taken from the command line."""
        return {}

    def handle(self, *args, **options):
        kwargs = {}
        if self.takes_date and options.get("date"):
            try:
                kwargs["today"] = dt.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(f"--date must be a date like 2025-03-31: {exc}") from exc
        disable = True if options["no_progress"] else None
        with tqdm(total=self.steps, desc=self.help, unit="step", disable=disable) as bar:

            def progress(text: str) -> None:
                bar.set_postfix_str(text)
                bar.update(1)

            result = self.run_job(progress=progress, **kwargs, **self.job_options(options))
            bar.n = bar.total
            bar.refresh()
        self.stdout.write(json.dumps(result, sort_keys=True, default=str))
