"""Writes to the signature catalogue: genes, perturbagens, gene sets, signature libraries.

One module per sub-domain; ``lincs`` parses LINCS metadata and writes nothing. Callers use
``from signatures.services import ...`` (or ``services.<name>``): the names below are the
package's public face.
"""

from signatures.services.genes import genes_import
from signatures.services.genesets import geneset_library_import
from signatures.services.libraries import libraries_set_published, library_import
from signatures.services.lincs import parse_amount, perturbagen_kind, signature_fields
from signatures.services.perturbagens import perturbagens_for_signatures, perturbagens_import

__all__ = [
    "genes_import",
    "geneset_library_import",
    "libraries_set_published",
    "library_import",
    "parse_amount",
    "perturbagen_kind",
    "perturbagens_for_signatures",
    "perturbagens_import",
    "signature_fields",
]
