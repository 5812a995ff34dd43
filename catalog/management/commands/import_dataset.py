"""manage.py import_dataset: an expression matrix (+ sample table) into the catalogue."""

from analysis.engine.formats import read_matrix
from catalog import services
from catalog.choices import DataType, Scale
from catalog.importers import read_sample_table
from catalog.management.commands._common import ImportCommand


class Command(ImportCommand):
    help = "Import a dataset: GCT 1.2/1.3, TSV/CSV genes x samples or a GEO series matrix."

    def add_arguments(self, parser):
        parser.add_argument("--accession", required=True)
        parser.add_argument("--title", required=True)
        parser.add_argument("--collection", required=True, help="collection slug")
        parser.add_argument("--collection-name", default="", help="create the collection")
        parser.add_argument("--matrix", required=True, help="GCT, TSV/CSV or series matrix")
        parser.add_argument("--samples", help="sample annotation table (TSV/CSV)")
        parser.add_argument("--organism", help="e.g. 'Homo sapiens', human or 9606")
        parser.add_argument("--platform", help="platform accession, e.g. GPL8300")
        parser.add_argument("--data-type", default=DataType.OTHER, choices=DataType.values)
        parser.add_argument("--scale", default=Scale.LOG, choices=Scale.values)
        parser.add_argument("--feature-kind", default="gene")
        parser.add_argument("--description", default="")
        parser.add_argument("--source-url", default="")
        parser.add_argument("--unpublished", action="store_true")

    def handle(self, *args, **o):
        matrix = read_matrix(o["matrix"])
        samples = read_sample_table(o["samples"]) if o["samples"] else None
        collection = services.collection_ensure(slug=o["collection"], name=o["collection_name"])
        report = services.dataset_import(
            accession=o["accession"],
            title=o["title"],
            collection=collection,
            matrix=matrix,
            samples=samples,
            organism=services.organism_ensure(name_or_taxon=o["organism"])
            if o["organism"]
            else None,
            platform=services.platform_ensure(accession=o["platform"]) if o["platform"] else None,
            data_type=o["data_type"],
            scale=o["scale"],
            feature_kind=o["feature_kind"],
            description=o["description"],
            source_url=o["source_url"],
            is_public=not o["unpublished"],
        )
        self.report(
            f"{report.status} dataset {report.obj}"
            + (f" ({report.detail})" if report.detail else "")
        )
