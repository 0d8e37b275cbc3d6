"""Re-hashes every stored evidence file and reports (and flags) missing or changed ones."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from evidence.models import EvidenceItem
from evidence.services import verify_stored_evidence


class Command(BaseCommand):
    help = "Re-read every stored evidence file, compare its SHA-256, flag missing or changed ones."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not show the progress bar."
        )

    def handle(self, *args, **options):
        bar = tqdm(
            total=EvidenceItem.objects.count(),
            unit="file",
            desc="Verifying evidence",
            disable=options["no_progress"],
            file=self.stderr._out,
        )
        with bar:
            report = verify_stored_evidence(progress=lambda item: bar.update(1))
        self.stdout.write(
            f"{report.checked} checked, {report.ok} good, {len(report.changed)} changed, "
            f"{len(report.missing)} missing; {report.flags_raised} flags raised, "
            f"{report.flags_resolved} resolved."
        )
        for pk in report.changed:
            self.stdout.write(self.style.ERROR(f"Changed: evidence item {pk}"))
        for pk in report.missing:
            self.stdout.write(self.style.ERROR(f"Missing: evidence item {pk}"))
        if report.problems:
            # A non-zero exit for schedulers and monitoring; the flags are already raised.
            raise CommandError(f"{report.problems} evidence file(s) missing or changed.")
