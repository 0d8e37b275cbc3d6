from monitoring import jobs
from monitoring.outbox import BATCH_SIZE, RUN_LIMIT

from ._progress import JobCommand


class Command(JobCommand):
    help = "Send the pending notifications in the outbox by email"
    steps = RUN_LIMIT // BATCH_SIZE

    def run_job(self, *, progress, **options):
        return jobs.send_notifications(progress=progress)
