from monitoring import jobs

from ._progress import JobCommand


class Command(JobCommand):
    help = "Recompute target statuses, raise and resolve their flags, queue notifications"
    steps = 6
    takes_date = True

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--skip-sustainability",
            action="store_true",
            help="Do not refresh which tracks count as sustained first.",
        )

    def job_options(self, options: dict) -> dict:
        return {"skip_sustainability": options["skip_sustainability"]}

    def run_job(self, *, progress, today=None, skip_sustainability=False, **options):
        if skip_sustainability:
            return jobs.evaluate_targets(today=today, progress=progress)
        return jobs.refresh_and_evaluate_targets(today=today, progress=progress)
