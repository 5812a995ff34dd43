"""manage.py import_perturbagens: LINCS pert_info plus drug annotation tables."""

from catalog.management.commands._common import ImportCommand
from signatures import importers, services
from signatures.management.commands.import_genes import _counts


class Command(ImportCommand):
    help = "Import perturbagens (pert_info) with MoA/targets from drug annotation tables."

    def add_arguments(self, parser):
        parser.add_argument("file", help="LINCS pert_info: pert_id, pert_iname, pert_type, ...")
        parser.add_argument(
            "--annotations",
            nargs="*",
            default=[],
            help="drug tables (signatureSearch lincs_pert_info2 or Repurposing Hub export)",
        )

    def handle(self, *args, **o):
        pertinfo = importers.read_pertinfo(o["file"])
        tables = [importers.read_drug_annotations(path) for path in o["annotations"]]
        counts = services.perturbagens_import(pertinfo=pertinfo, annotations=tables)
        self.report(_counts("perturbagens", counts))
