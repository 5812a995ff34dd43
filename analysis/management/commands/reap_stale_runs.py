from datetime import timedelta

from django.core.management.base import BaseCommand

from analysis.services import runs_reap_stale


class Command(BaseCommand):
    help = "Mark analysis runs whose worker died as failed (no heartbeat for --minutes)."

    def add_arguments(self, parser):
        parser.add_argument("--minutes", type=int, default=10)

    def handle(self, *args, minutes: int, **options):
        n = runs_reap_stale(stale_after=timedelta(minutes=minutes))
        self.stdout.write(f"{n} stale run(s) marked failed")
