"""Read-side helpers shared by the interpretation run kinds and pages (issue 7).

Gene-set libraries come from ``GeneSetLibrary``/``GeneSet`` rows (member gene symbols), cached
per process by library version (slug, number of sets, largest row id). Signature values come
from ``analysis.signature_sources`` / ``signatures.io``; nothing here writes.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from analysis.runners import RunInputError
from signatures.io import library_open
from signatures.models import Gene, GeneSet, GeneSetLibrary, Signature, SignatureLibrary

#: Link-out templates for a gene set, chosen by the library slug's prefix.
PATHWAY_LINKS = {
    "hallmark": (
        "MSigDB",
        "https://www.gsea-msigdb.org/gsea/msigdb/geneset_page.jsp?geneSetName={name}",
    ),
    "kegg-msigdb": (
        "MSigDB",
        "https://www.gsea-msigdb.org/gsea/msigdb/geneset_page.jsp?geneSetName={name}",
    ),
    "kegg": ("KEGG", "https://www.kegg.jp/kegg-bin/search_pathway_text?map=hsa&keyword={name}"),
    "reactome": ("Reactome", "https://reactome.org/content/query?q={name}"),
    "go": ("QuickGO", "https://www.ebi.ac.uk/QuickGO/search/{name}"),
}


def geneset_slugs() -> list[str]:
    return list(GeneSetLibrary.objects.order_by("name").values_list("slug", flat=True))


def validate_geneset_slugs(slugs) -> list[str]:
    """The requested gene-set libraries (all installed ones when ``slugs`` is empty)."""
    installed = geneset_slugs()
    if not installed:
        raise RunInputError("no gene-set library is installed (manage.py import_genesets)")
    if not slugs:
        return installed
    if isinstance(slugs, str):
        slugs = [slugs]
    if not isinstance(slugs, list) or not all(isinstance(s, str) for s in slugs):
        raise RunInputError("genesets must be a list of gene-set library slugs")
    unknown = [s for s in slugs if s not in installed]
    if unknown:
        raise RunInputError(
            f"unknown gene-set library {', '.join(unknown)} (installed: {', '.join(installed)})"
        )
    return list(dict.fromkeys(slugs))


def gene_sets(slug: str) -> dict[str, tuple[str, ...]]:
    """name -> member symbols of one gene-set library (cached per process and version)."""
    library = GeneSetLibrary.objects.get(slug=slug)
    sets = GeneSet.objects.filter(library=library)
    last = sets.order_by("-pk").values_list("pk", flat=True).first() or 0
    return _gene_sets_cached(library.pk, sets.count(), last)


@lru_cache(maxsize=16)
def _gene_sets_cached(library_id: int, n: int, last: int) -> dict[str, tuple[str, ...]]:
    rows = GeneSet.objects.filter(library_id=library_id).values_list("name", "genes")
    return {name: tuple(genes) for name, genes in rows}


def pathway_link(slug: str, name: str) -> tuple[str, str] | None:
    from urllib.parse import quote

    for prefix, (label, template) in PATHWAY_LINKS.items():
        if slug.startswith(prefix):
            term = name.split(" (GO:")[0] if prefix != "go" else _go_id(name)
            return label, template.format(name=quote(term))
    return None


def _go_id(name: str) -> str:
    if "(GO:" in name:
        return name.rsplit("(", 1)[1].rstrip(")")
    return name


def scores_by_symbol(table: pd.DataFrame, *, rank_by: str) -> pd.Series:
    """Per-symbol score of a signature table: logFC, or sign(logFC)·−log10 p ("significance")."""
    frame = table.dropna(subset=["logFC"]).drop_duplicates("symbol")
    values = frame["logFC"].to_numpy(dtype=float)
    if rank_by == "significance":
        p = np.fmax(frame["pValue"].to_numpy(dtype=float), np.finfo(float).tiny)
        values = np.sign(values) * -np.log10(p)
    return pd.Series(values, index=frame["symbol"].astype(str).to_numpy(), name="score")


def library_choice(slug: str | None, *, kinds: tuple[str, ...], what: str) -> SignatureLibrary:
    """A signature library by slug, or the first library of one of ``kinds``."""
    libraries = SignatureLibrary.objects.filter(is_public=True)
    if slug:
        library = libraries.filter(slug=slug).first()
        if library is None:
            raise RunInputError(f"no signature library {slug!r}")
        return library
    library = libraries.filter(kind__in=kinds).order_by("name").first()
    if library is None:
        raise RunInputError(f"no {what} library is installed; give 'library'")
    return library


def signature_columns(accessions: list[str]) -> pd.DataFrame:
    """genes (Entrez) × signatures values of stored signatures, possibly of several libraries."""
    rows = Signature.objects.filter(accession__in=accessions).select_related("library")
    found = {s.accession: s for s in rows}
    missing = [a for a in accessions if a not in found]
    if missing:
        raise RunInputError(f"unknown signature(s): {', '.join(missing[:10])}")
    columns = {}
    for acc in accessions:
        matrices = library_open(slug=found[acc].library.slug)
        values = np.asarray(matrices.logfc[:, matrices.column(acc)], dtype=np.float64)
        columns[acc] = pd.Series(values, index=matrices.genes)
    return pd.DataFrame(columns)


def symbols(entrez) -> dict[int, str]:
    ids = [int(e) for e in entrez]
    return dict(Gene.objects.filter(entrez_id__in=ids).values_list("entrez_id", "symbol"))
