"""Finds stored evidence blobs that no evidence item refers to and moves them to quarantine."""

import datetime as dt

from django.core.management.base import BaseCommand

from evidence.services import sweep_orphan_blobs


class Command(BaseCommand):
    help = (
        "Move stored evidence blobs without an evidence item (left by a failed upload) under "
        "quarantine/. Blobs younger than --older-than-minutes are left, as their upload may "
        "still be committing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than-minutes", type=int, default=60)
        parser.add_argument("--dry-run", action="store_true", help="Report, move nothing.")

    def handle(self, *args, **options):
        report = sweep_orphan_blobs(
            older_than=dt.timedelta(minutes=options["older_than_minutes"]),
            dry_run=options["dry_run"],
        )
        verb = "Would quarantine" if options["dry_run"] else "Quarantined"
        for key in report.quarantined:
            self.stdout.write(f"{verb}: {key}")
        self.stdout.write(
            f"{len(report.quarantined)} orphaned blob(s) {verb.lower()}; "
            f"{report.too_recent} too recent to judge."
        )
