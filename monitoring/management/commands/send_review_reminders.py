from monitoring import jobs

from ._progress import JobCommand


class Command(JobCommand):
    help = "Remind provider leads of evidence deadlines 14, 7 and 1 days ahead"
    steps = 2
    takes_date = True

    def run_job(self, *, progress, today=None, **options):
        return jobs.send_review_reminders(today=today, progress=progress)
