"""Run kinds ``moa_genetic`` and ``moa_targets``: the iLINCS paper's two MoA workflows.

moa_genetic: a (chemical) signature -> the knock-down / CGS signatures most positively
connected to it (``connectivity_query``, order "up") -> the genes they knock down -> ORA of
those genes in gene-set libraries ("which pathway's loss mimics this drug?").
Params: ``source``; ``library`` (a knock-down library slug, default the first installed);
``metric`` ("pearson"); ``n_connected`` (20); ``min_similarity`` (0: positive only);
``genesets`` (default all); ``background`` ("genome": the genes of each gene-set library plus
the knocked-down genes, as Enrichr; or "library": the genes knocked down anywhere in the
library, i.e. what could have been connected).

moa_targets: a signature -> the most positively connected chemical signatures (the query
signature itself and other signatures of the query's own perturbagen left out) -> their
compounds' annotated targets and MoA classes (``Perturbagen.targets``/``moa``) -> enrichment
among the connected compounds, against all annotated compounds of the library.
Params: ``source``; ``library`` (a chemical library, default the source signature's library
when it is chemical, else the first chemical library); ``metric`` ("pearson");
``n_connected`` (20 signatures); ``min_similarity`` (0).
"""

from __future__ import annotations

import pandas as pd

from analysis.choices import RunKind
from analysis.connectivity.services import connectivity_query
from analysis.engine.connectivity import METRICS, QueryError
from analysis.engine.enrichment import ora
from analysis.engine.moa import ANNOTATION_COLUMNS, brd_prefix, compound_annotation_enrichment
from analysis.interpret.kinds.enrichment import _int
from analysis.interpret.selectors import gene_sets, library_choice, validate_geneset_slugs
from analysis.runs.registry import ProgressFn, RunInputError, RunResult, register
from analysis.runs.sources import signature_table, validate_source
from analysis.runs.visibility import visible_signatures
from signatures.choices import LibraryKind
from signatures.models import Perturbagen, Signature, SignatureLibrary

GENETIC_KINDS = (LibraryKind.KNOCKDOWN, LibraryKind.CMAP)
CHEMICAL_KINDS = (LibraryKind.CHEMICAL, LibraryKind.CMAP)


def _common(params: dict) -> dict:
    if "source" not in params:
        raise RunInputError("'source' (the signature to explain) is required")
    metric = params.get("metric", "pearson")
    if metric not in METRICS:
        raise RunInputError(f"metric must be one of {', '.join(METRICS)}")
    similarity = params.get("min_similarity", 0.0)
    if isinstance(similarity, bool) or not isinstance(similarity, int | float):
        raise RunInputError("min_similarity must be a number")
    return {
        "source": validate_source(params["source"]),
        "metric": metric,
        "n_connected": _int(params, "n_connected", 20, 1, 1000),
        "min_similarity": float(similarity),
    }


def _payload(table: pd.DataFrame) -> dict:
    payload = {"genes": [str(int(e)) for e in table.entrez], "logFC": table.logFC.tolist()}
    if table.logFC.isna().all():
        return {"genes": payload["genes"]}
    if table.pValue.notna().all():
        payload["pvalue"] = table.pValue.tolist()
    return payload


def connected_signatures(
    params: dict, library: SignatureLibrary, *, exclude: set[str]
) -> tuple[pd.DataFrame, dict]:
    """The most positively connected signatures of ``library`` (minus ``exclude``), annotated."""
    table = signature_table(params["source"])
    top = params["n_connected"] + len(exclude)
    try:
        result = connectivity_query(
            library=library, metric=params["metric"], query=_payload(table), top=top, order="up"
        )
    except QueryError as exc:
        raise RunInputError(str(exc)) from None
    rows = pd.DataFrame(result["rows"])
    if rows.empty:
        return rows, result
    rows = rows[~rows.signature.isin(exclude) & (rows.similarity > params["min_similarity"])]
    return rows.head(params["n_connected"]).reset_index(drop=True), result


def validate_genetic(params: dict) -> dict:
    clean = _common(params)
    library = library_choice(params.get("library"), kinds=GENETIC_KINDS, what="knock-down")
    background = params.get("background", "genome")
    if background not in ("genome", "library"):
        raise RunInputError("background must be 'genome' or 'library'")
    return clean | {
        "library": library.slug,
        "genesets": validate_geneset_slugs(params.get("genesets")),
        "background": background,
    }


def _knocked_genes(library: SignatureLibrary) -> dict[str, str]:
    """signature accession -> symbol of the gene its perturbagen knocks down."""
    rows = Signature.objects.filter(
        library=library, perturbagen__target_gene__isnull=False
    ).values_list("accession", "perturbagen__target_gene__symbol")
    return {acc: symbol.upper() for acc, symbol in rows}


@register(RunKind.MOA_GENETIC, validate=validate_genetic, reads=("source", "library"))
def run_moa_genetic(params: dict, progress: ProgressFn) -> RunResult:
    library = SignatureLibrary.objects.get(slug=params["library"])
    progress(10, f"connecting to {library.name}")
    genes_of = _knocked_genes(library)
    if not genes_of:
        raise RunInputError(f"no signature of {library.slug} names the gene it knocks down")
    # Control wells (empty vector, untreated) knock nothing down: leave them out.
    controls = set(
        Signature.objects.filter(library=library).values_list("accession", flat=True)
    ) - set(genes_of)
    exclude = controls | ({params["source"].get("signature")} - {None})
    connected, result = connected_signatures(params, library, exclude=exclude)
    if connected.empty:
        raise RunInputError("no knock-down signature is positively connected to this signature")
    connected["knocked_down_gene"] = connected.signature.map(genes_of)
    genes = [g for g in dict.fromkeys(connected.knocked_down_gene) if g]
    parts = []
    for i, slug in enumerate(params["genesets"]):
        progress(40 + 50 * i // len(params["genesets"]), f"pathways of the genes in {slug}")
        sets = gene_sets(slug)
        if params["background"] == "library":
            background = set(genes_of.values())
        else:
            background = set().union(*sets.values()) | set(genes)
        try:
            part = ora(genes, sets, background=background, min_size=5, max_size=2000)
        except ValueError:
            continue
        parts.append(part.assign(library=slug))
    pathways = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if not pathways.empty:
        pathways = pathways[["library", *[c for c in pathways.columns if c != "library"]]]
        pathways = pathways.sort_values(["p_value", "library", "term"], kind="stable")
    summary = {
        "library": library.slug,
        "n_connected": int(len(connected)),
        "knocked_down_genes": genes,
        "top_pathways": [
            f"{r.term} ({r.library}, {r.overlap}/{r.set_size}, FDR {r.fdr:.2g})"
            for r in pathways.head(5).itertuples()
        ],
    }
    return RunResult(
        tables={"connected": connected, "pathways": pathways.reset_index(drop=True)},
        summary=summary,
        library_version=result["version"],
    )


def validate_targets(params: dict) -> dict:
    clean = _common(params)
    slug = params.get("library")
    source_acc = clean["source"].get("signature")
    if not slug and source_acc:
        own = visible_signatures().get(accession=source_acc).library
        slug = own.slug if own.kind in CHEMICAL_KINDS else None
    library = library_choice(slug, kinds=CHEMICAL_KINDS, what="chemical")
    return clean | {"library": library.slug}


def _annotations(library: SignatureLibrary) -> tuple[pd.DataFrame, dict[str, str]]:
    """Targets/MoA of the library's compounds (one row per perturbagen) and signature -> key."""
    perturbagens = Perturbagen.objects.filter(signatures__library=library).distinct()
    rows = [
        (brd_prefix(p.accession), p.name, (p.accession,), tuple(p.targets), tuple(p.moa))
        for p in perturbagens
    ]
    frame = pd.DataFrame(rows, columns=ANNOTATION_COLUMNS)
    keys = dict(
        Signature.objects.filter(library=library, perturbagen__isnull=False).values_list(
            "accession", "perturbagen__accession"
        )
    )
    return frame, keys


@register(RunKind.MOA_TARGETS, validate=validate_targets, reads=("source", "library"))
def run_moa_targets(params: dict, progress: ProgressFn) -> RunResult:
    library = SignatureLibrary.objects.get(slug=params["library"])
    annotations, compound_of = _annotations(library)
    exclude = set()
    source_acc = params["source"].get("signature")
    if source_acc:
        own = Signature.objects.filter(accession=source_acc).values_list("perturbagen__accession")
        own = {p for (p,) in own if p}
        exclude = {s for s, c in compound_of.items() if c in own} | {source_acc}
    progress(10, f"connecting to {library.name}")
    connected, result = connected_signatures(params, library, exclude=exclude)
    if connected.empty:
        raise RunInputError("no signature of the library is positively connected to this one")
    connected["compound"] = connected.signature.map(compound_of).fillna("")
    progress(60, "enrichment of targets and MoA classes")
    excluded_compounds = {compound_of.get(s) for s in exclude}
    background = [c for c in dict.fromkeys(compound_of.values()) if c not in excluded_compounds]
    chosen = [c for c in dict.fromkeys(connected.compound) if c]
    terms = compound_annotation_enrichment(chosen, background, annotations)
    names = dict(Perturbagen.objects.filter(accession__in=chosen).values_list("accession", "name"))
    terms["compound_names"] = [
        ";".join(names.get(c, c) for c in str(members).split(";")) for members in terms.compounds
    ]
    n_annotated = int(terms.connected_annotated.max()) if len(terms) else 0
    summary = {
        "library": library.slug,
        "n_connected_signatures": int(len(connected)),
        "n_connected_compounds": len(chosen),
        "n_connected_annotated": n_annotated,
        "n_background_compounds": len(background),
        "excluded": sorted(exclude),
        "top_terms": [
            f"{r.kind} {r.term}: {r.overlap}/{r.connected_annotated} vs {r.term_size}/"
            f"{r.background_annotated} (FDR {r.fdr:.2g})"
            for r in terms.sort_values("p_value", kind="stable").head(6).itertuples()
        ],
    }
    return RunResult(
        tables={"connected": connected, "terms": terms},
        summary=summary,
        library_version=result["version"],
    )
