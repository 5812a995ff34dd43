"""Read-side helpers shared by the interpretation run kinds and pages (issue 7).

Gene-set libraries come from ``GeneSetLibrary``/``GeneSet`` rows (member gene symbols), cached
per process by library version (slug, number of sets, largest row id). Signature values come
from ``analysis.runs.sources`` / ``signatures.io``; nothing here writes.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from analysis.runs.registry import RunInputError
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
    """A signature library the submitter may use, by slug, or the first one of ``kinds``."""
    from analysis.runs.visibility import visible_libraries

    libraries = visible_libraries()
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


# --- page selectors ------------------------------------------------------------------------


def signature_values(signature: Signature) -> pd.DataFrame:
    """A stored signature's genes: entrez, symbol, logFC, pValue (z-scores without p-values
    get the two-sided normal p of the z, marked in ``p_source``), sorted by |logFC|."""
    from scipy.stats import norm

    from analysis.runs.sources import library_signature_table

    table = library_signature_table(signature.accession)
    table["p_source"] = "library"
    if table["pValue"].isna().all():
        table["pValue"] = 2 * norm.sf(np.abs(table["logFC"].to_numpy(dtype=float)))
        table["p_source"] = "normal (z-score)"
    order = table["logFC"].abs().sort_values(ascending=False, kind="stable").index
    return table.loc[order].reset_index(drop=True)


def gene_across_library(gene: Gene, library: SignatureLibrary) -> pd.DataFrame | None:
    """The gene's value in every signature of a library, annotated, sorted by value; None when
    the library does not measure the gene."""
    matrices = library_open(slug=library.slug)
    where = np.flatnonzero(matrices.genes == gene.entrez_id)
    if not len(where):
        return None
    values = np.asarray(matrices.logfc[where[0], :], dtype=np.float64)
    notes = {
        s["accession"]: s
        for s in Signature.objects.filter(library=library).values(
            "accession",
            "perturbagen__name",
            "perturbagen__accession",
            "cell_line__name",
            "dose",
            "dose_unit",
            "time",
            "time_unit",
        )
    }
    frame = pd.DataFrame({"signature": matrices.signature_ids, "value": values}).dropna()
    extra = pd.DataFrame([notes.get(a, {"accession": a}) for a in frame.signature])
    frame = pd.concat([frame.reset_index(drop=True), extra.drop(columns="accession")], axis=1)
    return frame.sort_values("value", kind="stable").reset_index(drop=True)


def gene_extreme_signatures(gene: Gene, *, n_extreme: int = 100, limit: int = 200) -> pd.DataFrame:
    """Signatures (all public libraries) where the gene is among the ``n_extreme`` highest or
    lowest values (rank 1 = most extreme in that direction)."""
    rows = []
    for library in SignatureLibrary.objects.filter(is_public=True).order_by("name"):
        matrices = library_open(slug=library.slug)
        where = np.flatnonzero(matrices.genes == gene.entrez_id)
        if not len(where):
            continue
        values = np.asarray(matrices.logfc, dtype=np.float64)
        mine = values[where[0]]
        filled = np.where(np.isnan(values), 0.0, values)
        higher = (filled > np.where(np.isnan(mine), np.inf, mine)).sum(axis=0) + 1
        lower = (filled < np.where(np.isnan(mine), -np.inf, mine)).sum(axis=0) + 1
        for j in np.flatnonzero((higher <= n_extreme) & (mine > 0)):
            rows.append((library.slug, matrices.signature_ids[j], "up", int(higher[j]), mine[j]))
        for j in np.flatnonzero((lower <= n_extreme) & (mine < 0)):
            rows.append((library.slug, matrices.signature_ids[j], "down", int(lower[j]), mine[j]))
    frame = pd.DataFrame(rows, columns=["library", "signature", "direction", "rank", "value"])
    return frame.sort_values(["rank", "library"], kind="stable").head(limit).reset_index(drop=True)


def gene_in_dataset(gene: Gene, dataset, field: str) -> tuple[pd.Series, pd.Series] | None:
    """The gene's values across a dataset's samples and each sample's ``field`` value."""
    from catalog.storage import dataset_matrix

    matrix = dataset_matrix(dataset)
    keys = {gene.symbol.upper(), str(gene.entrez_id)}
    hits = [f for f in matrix.index if str(f).upper() in keys]
    if not hits:
        return None
    values = matrix.loc[hits[0]].astype(float)
    meta = dict(dataset.samples.values_list("name", "metadata"))
    groups = pd.Series({name: str((m or {}).get(field, "NA")) for name, m in meta.items()})
    return values, groups


def perturbagen_connection_series(perturbagen, query: Signature, *, visible) -> pd.DataFrame:
    """Pearson r of each signature of the perturbagen with ``query`` over their shared genes,
    with cell line, dose and time (for dose–response and time plots). ``visible``: the
    signatures the viewer may see (``signatures.selectors.signature_list``)."""
    signatures = list(
        visible.filter(perturbagen=perturbagen).select_related("cell_line", "library")
    )
    accessions = [s.accession for s in signatures if s.accession != query.accession]
    if not accessions:
        return pd.DataFrame()
    matrix = signature_columns([query.accession, *accessions])
    target = matrix[query.accession]
    rows = []
    for s in signatures:
        if s.accession == query.accession:
            continue
        pair = pd.concat([target, matrix[s.accession]], axis=1).dropna()
        r = float(np.corrcoef(pair.iloc[:, 0], pair.iloc[:, 1])[0, 1]) if len(pair) > 2 else np.nan
        rows.append(
            {
                "signature": s.accession,
                "cell_line": s.cell_line.name if s.cell_line else "",
                "dose": s.dose,
                "dose_unit": s.dose_unit,
                "time": s.time,
                "time_unit": s.time_unit,
                "similarity": r,
                "n_genes": len(pair),
            }
        )
    return pd.DataFrame(rows)


def perturbagen_consensus(perturbagen, *, visible, top: int = 25) -> tuple[pd.DataFrame, list[str]]:
    """Consensus (MODZ) of the perturbagen's visible signatures in its largest library: top
    genes up and down, and the signatures used. MODZ weights replicates by their agreement."""
    from analysis.engine.l1000 import modz

    by_library: dict[str, list[str]] = {}
    for acc, slug in visible.filter(perturbagen=perturbagen).values_list(
        "accession", "library__slug"
    ):
        by_library.setdefault(slug, []).append(acc)
    if not by_library:
        return pd.DataFrame(), []
    accessions = max(by_library.values(), key=len)
    matrix = signature_columns(accessions).dropna(how="any")
    if matrix.empty:
        return pd.DataFrame(), accessions
    consensus = pd.Series(modz(matrix.to_numpy()).signature, index=matrix.index)
    order = consensus.sort_values(kind="stable")
    chosen = pd.concat([order.tail(top)[::-1], order.head(top)])
    names = symbols(chosen.index)
    frame = pd.DataFrame(
        {
            "entrez": chosen.index,
            "symbol": [names.get(int(g), str(g)) for g in chosen.index],
            "consensus": chosen.to_numpy(),
        }
    )
    return frame, accessions
