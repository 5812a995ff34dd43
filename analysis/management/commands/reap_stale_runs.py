from datetime import timedelta

from django.core.management.base import BaseCommand

from analysis.runs.services import QUEUED_STALE_AFTER, runs_reap_stale


class Command(BaseCommand):
    help = (
        "Mark analysis runs whose worker died as failed (no heartbeat for --minutes), and queued "
        "runs that no worker started within --queued-hours of their submission."
    )

    def add_arguments(self, parser):
        parser.add_argument("--minutes", type=int, default=10)
        parser.add_argument(
            "--queued-hours",
            type=float,
            default=QUEUED_STALE_AFTER.total_seconds() / 3600,
            help="how long a run may wait in the queue before it counts as lost (default "
            "%(default)s: a busy queue can hold runs for hours)",
        )

    def handle(self, *args, minutes: int, queued_hours: float, **options):
        n = runs_reap_stale(
            stale_after=timedelta(minutes=minutes), queued_after=timedelta(hours=queued_hours)
        )
        self.stdout.write(f"{n} stale run(s) marked failed")
