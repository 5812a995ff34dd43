"""manage.py import_library: a signature library (GCT/GCTX, iLINCS TSV, logFC/p matrices)."""

from django.conf import settings

from analysis.engine.formats import InputError
from catalog.management.commands._common import ImportCommand
from catalog.services import collection_ensure, organism_ensure
from signatures import importers, services
from signatures.choices import GeneSpace, LibraryKind, ScoreKind

PROBE_MAP = "lincs/landmark_probe_meta_n978.txt"


def probe_map():
    """L1000 probe id -> Entrez id, from the fixtures (None when they are absent)."""
    path = settings.BASE_DIR / "fixtures" / PROBE_MAP
    return importers.read_probe_map(path) if path.exists() else None


class Command(ImportCommand):
    help = "Import a signature library into the matrix store and the catalogue."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--kind", required=True, choices=LibraryKind.values)
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--gct", help="GCT 1.2/1.3, genes x signatures")
        source.add_argument("--gctx", help="GCTX (HDF5)")
        source.add_argument("--ilincs-tsv", nargs="+", help="iLINCS signature TSV file(s)")
        source.add_argument("--logfc", help="genes x signatures TSV of logFC (or scores)")
        parser.add_argument("--pvalue", help="genes x signatures TSV of p-values (with --logfc)")
        parser.add_argument("--metadata", help="signature metadata table (id column first)")
        parser.add_argument("--collection", help="collection slug")
        parser.add_argument("--organism", default="9606")
        parser.add_argument("--gene-space", default=GeneSpace.LANDMARK, choices=GeneSpace.values)
        parser.add_argument("--score-kind", default=ScoreKind.LOGFC, choices=ScoreKind.values)
        parser.add_argument("--id-prefix", default="", help="prefix for signature accessions")
        parser.add_argument("--description", default="")
        parser.add_argument("--unpublished", action="store_true")
        parser.add_argument(
            "--verify",
            action="store_true",
            help="re-hash every stored file of an unchanged library (sizes, headers and the "
            "small files are always checked) and rewrite the store if any is damaged",
        )

    def handle(self, *args, **o):
        if o["pvalue"] and not o["logfc"]:
            raise InputError("--pvalue goes with --logfc")
        prefix = o["id_prefix"]
        if o["gct"]:
            source = importers.library_from_gct(o["gct"], probe_map=probe_map(), prefix=prefix)
        elif o["gctx"]:
            source = importers.library_from_gctx(o["gctx"], probe_map=probe_map(), prefix=prefix)
        elif o["ilincs_tsv"]:
            source = importers.library_from_ilincs_tsv(o["ilincs_tsv"], prefix=prefix)
        else:
            source = importers.library_from_matrices(o["logfc"], o["pvalue"], prefix=prefix)
        metadata = importers.read_signature_metadata(o["metadata"]) if o["metadata"] else None
        report = services.library_import(
            slug=o["slug"],
            name=o["name"],
            kind=o["kind"],
            source=source,
            metadata=metadata,
            collection=collection_ensure(slug=o["collection"]) if o["collection"] else None,
            organism=organism_ensure(name_or_taxon=o["organism"]),
            gene_space=o["gene_space"],
            score_kind=o["score_kind"],
            description=o["description"],
            is_public=not o["unpublished"],
            progress=lambda done, total: self.progress(done, total, o["slug"]),
            verify=o["verify"],
        )
        for note in source.notes:
            self.stdout.write(f"note: {note}")
        self.report(f"{report.status} library {report.obj.slug} ({report.detail})")
