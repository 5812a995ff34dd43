"""Writes to the signature catalogue: genes, perturbagens, gene sets, signature libraries."""

from signatures.services.libraries import (
    genes_import,
    geneset_library_import,
    libraries_set_published,
    library_import,
    parse_amount,
    perturbagen_kind,
    perturbagens_import,
    signature_fields,
)

__all__ = [
    "genes_import",
    "geneset_library_import",
    "libraries_set_published",
    "library_import",
    "parse_amount",
    "perturbagen_kind",
    "perturbagens_import",
    "signature_fields",
]
