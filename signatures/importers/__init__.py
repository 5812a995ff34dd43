"""Readers for the signatures app's input files, by sub-domain (no ORM).

``genes`` (LINCS gene_info, gene tables), ``perturbagens`` (pert_info, drug annotations),
``genesets`` (GMT libraries), ``libraries`` (signature libraries: GCT, GCTX, iLINCS TSV,
matrices). Raw file reading is ``analysis.engine.formats``'s; these add the portal's meaning.
"""

from signatures.importers.common import entrez_ids, file_digest, require
from signatures.importers.genes import read_gene_info, read_gene_table
from signatures.importers.genesets import GmtSet, read_gmt
from signatures.importers.libraries import (
    BLOCK,
    LibrarySource,
    entrez_for_rows,
    library_from_frames,
    library_from_gct,
    library_from_gctx,
    library_from_ilincs_tsv,
    library_from_matrices,
    read_probe_map,
    read_signature_metadata,
)
from signatures.importers.perturbagens import read_drug_annotations, read_pertinfo

__all__ = [
    "BLOCK",
    "GmtSet",
    "LibrarySource",
    "entrez_for_rows",
    "entrez_ids",
    "file_digest",
    "library_from_frames",
    "library_from_gct",
    "library_from_gctx",
    "library_from_ilincs_tsv",
    "library_from_matrices",
    "read_drug_annotations",
    "read_gene_info",
    "read_gene_table",
    "read_gmt",
    "read_pertinfo",
    "read_probe_map",
    "read_signature_metadata",
    "require",
]
