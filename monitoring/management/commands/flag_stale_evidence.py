from monitoring import jobs

from ._progress import JobCommand


class Command(JobCommand):
    help = "Flag tracks whose evidence for their current level has aged out"
    steps = 2
    takes_date = True

    def run_job(self, *, progress, today=None, **options):
        return jobs.flag_stale_evidence(today=today, progress=progress)
