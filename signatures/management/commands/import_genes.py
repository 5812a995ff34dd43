"""manage.py import_genes: the LINCS gene space (gene_info) with org.Hs.eg.db annotations."""

from catalog.management.commands._common import ImportCommand
from catalog.services import organism_ensure
from signatures import importers, services


class Command(ImportCommand):
    help = "Import genes from a LINCS gene_info file (+ the org.Hs.eg.db table)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="gene_info: pr_gene_id, pr_gene_symbol, pr_is_lm, ...")
        parser.add_argument("--annotation", help="org.Hs.eg.db table: names, aliases, Ensembl")
        parser.add_argument("--all", action="store_true", help="add every annotated gene too")
        parser.add_argument("--organism", default="9606")

    def handle(self, *args, **o):
        gene_info = importers.read_gene_info(o["file"])
        annotation = importers.read_gene_table(o["annotation"]) if o["annotation"] else None
        counts = services.genes_import(
            gene_info=gene_info,
            annotation=annotation,
            organism=organism_ensure(name_or_taxon=o["organism"]),
            include_all=o["all"],
        )
        self.report(_counts("genes", counts))


def _counts(what: str, counts: dict[str, int]) -> str:
    return f"{what}: " + ", ".join(f"{v} {k}" for k, v in counts.items())
