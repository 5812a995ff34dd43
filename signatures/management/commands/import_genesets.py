"""manage.py import_genesets: a GMT file as a gene-set library."""

from catalog.management.commands._common import ImportCommand
from signatures import importers, services


class Command(ImportCommand):
    help = "Import a GMT gene-set library (idempotent by slug)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--description", default="")
        parser.add_argument("--source-url", default="")

    def handle(self, *args, **o):
        report = services.geneset_library_import(
            slug=o["slug"],
            name=o["name"],
            sets=importers.read_gmt(o["file"]),
            description=o["description"],
            source_url=o["source_url"],
        )
        self.report(f"{report.status} gene-set library {report.obj.slug} ({report.detail})")
