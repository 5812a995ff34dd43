"""manage.py load_demo: the demo catalogue from fixtures/ (idempotent)."""

import time

from django.conf import settings

from catalog.management.commands._common import ImportCommand
from signatures.demo import STEPS, demo_load


class Command(ImportCommand):
    help = "Load the demo catalogue (collections, genes, perturbagens, datasets, libraries)."

    def add_arguments(self, parser):
        parser.add_argument("--fixtures", default=str(settings.BASE_DIR / "fixtures"))
        parser.add_argument("--only", nargs="+", choices=list(STEPS), help="run these steps")

    def handle(self, *args, **o):
        started = time.monotonic()
        demo_load(root=o["fixtures"], log=self.report, only=o["only"])
        self.stdout.write(f"demo catalogue ready in {time.monotonic() - started:.1f} s")
